/* Test helper: loads a decrypted RTSP exchange as verify_captures.py writes it
 * (tests/data/captures/stream-*.rtsp.txt): blocks of "==== client|host, encryption seq N\n",
 * the message byte for byte, then "\n". Not for production use. */
#ifndef SKY_TESTS_RTSP_CAPTURE_H
#define SKY_TESTS_RTSP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRTSP_MAX_MSGS 32

typedef struct TRtspMsg {
    bool from_client;
    uint32_t seq;     /* the encryption sequence number */
    const char *text; /* into TRtspCapture.file; not NUL-terminated */
    size_t len;
} TRtspMsg;

typedef struct TRtspCapture {
    char *file; /* malloc'd, NUL-terminated */
    size_t file_len;
    size_t n;
    TRtspMsg msgs[TRTSP_MAX_MSGS];
} TRtspCapture;

/* Reads `<data_dir>/captures/<name>` into c. Returns false if it cannot be read or parsed. */
bool trtsp_load(const char *data_dir, const char *name, TRtspCapture *c);
void trtsp_free(TRtspCapture *c);
/* Reads a whole file (malloc'd, NUL-terminated); NULL on failure. */
char *trtsp_read_file(const char *path, size_t *len);

#endif
