/* Reader for the captured-datagram fixtures in tests/data/captures (<capture>.dgrams and
 * <capture>.keys, written by tests/data/captures/extract.py; the format is in the README there).
 * For tests only.
 *
 *   .dgrams: "SKYDGRM1", then records of
 *            u8 stream (1 video, 2 audio), u8 0, u16le length, u32le 0, u64le time_us + payload
 *   .keys:   "key = value" lines (common/core/opts.h sky_config_parse) */
#ifndef SKY_TESTS_DGRAMS_H
#define SKY_TESTS_DGRAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/bytes.h"

#define TDGRAM_MAGIC "SKYDGRM1"
#define TDGRAM_MAGIC_LEN 8
#define TDGRAM_RECORD_HEADER 16

enum {
    TDGRAM_VIDEO = 1, /* host UDP 47998, as on the wire (still encrypted if the session was) */
    TDGRAM_AUDIO = 2, /* host UDP 48000: RTP PT 97 (data) and 127 (FEC) */
};

typedef struct TDgram {
    uint8_t stream;      /* TDGRAM_VIDEO or TDGRAM_AUDIO */
    uint64_t time_us;    /* capture time since the first record */
    const uint8_t *data; /* points into the reader's buffer */
    size_t len;
} TDgram;

typedef struct TDgramReader {
    SkyReader rd;
} TDgramReader;

/* Starts reading buf (borrowed: it must outlive the reader and the records). Returns 0, or
 * SKY_ERR(EBADMSG) when the magic is missing. */
int tdgram_init(TDgramReader *r, const uint8_t *buf, size_t len);
/* Returns 1 with *out set, 0 at the clean end of the buffer, SKY_ERR(EBADMSG) for a truncated
 * record, nonzero reserved bytes or an unknown stream (the reader then stays failed). */
int tdgram_next(TDgramReader *r, TDgram *out);

/* Reads a whole file into a malloc'd buffer the caller frees. Returns 0, SKY_ERR(ENOENT)/EIO,
 * SKY_ERR(EFBIG) past 64 MiB, or SKY_ERR(ENOMEM). */
int tdgram_read_file(const char *path, uint8_t **buf, size_t *len);

/* The values of a <capture>.keys file. */
typedef struct TDgramKeys {
    char capture[64];
    char codec[16];
    uint8_t rikey[16];
    uint32_t rikeyid;
    int packet_size;
    bool video_encrypted;
    int frames, first_frame, last_frame;
    int video_datagrams;
    uint64_t video_es_bytes;
    uint8_t video_es_sha256[32];
    int audio_datagrams, audio_data_packets, audio_fec_packets;
    uint8_t opus_sha256[32];
} TDgramKeys;

/* Parses a .keys file. Every field above must be present; unknown keys are ignored. Returns 0
 * or a negative errno (SKY_ERR(EBADMSG) for a missing or malformed value). */
int tdgram_keys_load(const char *path, TDgramKeys *out);

/* Loads <test_data_dir>/captures/<capture>.dgrams and .keys in one go (pass SKY_TEST_DATA).
 * Returns what tdgram_read_file or tdgram_keys_load returned; *buf is NULL on failure. */
int tdgram_load_capture(const char *test_data_dir, const char *capture, uint8_t **buf,
                        size_t *len, TDgramKeys *keys);

#endif
