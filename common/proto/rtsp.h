/* RTSP messages of the GameStream handshake and the encrypted framing of `rtspenc://` sessions:
 * parsing requests and replies, building the client's requests. Pure: no sockets, no allocation.
 * docs/protocol.md ("RTSP and SDP") describes what is sent and accepted. The host's replies, as
 * Sunshine writes them, are built by the test host's tests/host/proto/rtsp_reply.h.
 *
 * Transport model (Sunshine): one TCP connection per request. The client writes one request and
 * reads the reply until the host closes the connection, so a reply is "everything received"; the
 * host reads one request (plain: headers then Content-length bytes; encrypted: one frame).
 *
 * Parsed messages are views into the caller's buffer: a SkyRtspMsg is valid only while the
 * bytes it was parsed from are. Everything a peer sent is untrusted: sizes are capped, header
 * lines must end in CRLF and hold no control characters, numbers are range-checked. */
#ifndef SKY_COMMON_RTSP_H
#define SKY_COMMON_RTSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/bytes.h"
#include "common/core/crypto.h"

/* Limits on what we parse. A message (head and body) is at most SKY_RTSP_MAX_MESSAGE bytes, its
 * head (start line, headers, blank line) at most SKY_RTSP_MAX_HEAD, one line at most
 * SKY_RTSP_MAX_LINE bytes without its CRLF, and it has at most SKY_RTSP_MAX_HEADERS headers.
 * Sunshine's replies are a few hundred bytes. */
#define SKY_RTSP_MAX_MESSAGE 65536
#define SKY_RTSP_MAX_HEAD 8192
#define SKY_RTSP_MAX_LINE 1024
#define SKY_RTSP_MAX_HEADERS 32

/* X-GS-ClientVersion for hosts with appversion major 7 (every Sunshine). */
#define SKY_RTSP_CLIENT_VERSION 14

/* Request targets of the handshake (appversion 7.1.431 and later). OPTIONS and DESCRIBE use the
 * URL, e.g. "rtsp://0.0.0.0:48010"; PLAY uses "/". */
#define SKY_RTSP_STREAMID_AUDIO "streamid=audio/0/0"
#define SKY_RTSP_STREAMID_VIDEO "streamid=video/0/0"
#define SKY_RTSP_STREAMID_CONTROL "streamid=control/13/0"

/* ---- Encrypted framing (rtspenc://) -------------------------------------------------------
 *
 *   BE32 0x80000000 | N   (N = plaintext length = ciphertext length)
 *   BE32 sequence number
 *   16   AES-128-GCM tag  (key: the session's rikey, no additional data)
 *   N    ciphertext
 *
 * IV: LE32 sequence number, 6 zero bytes, the sender ('C' client, 'H' host), 'R'. The client
 * numbers its requests 1, 2, ... across connections; the host keeps its own counter (one per
 * reply, errors included), so a reader takes the sequence number from the received header. */
#define SKY_RTSP_ENC_HEADER_LEN 24
#define SKY_RTSP_ENC_BIT 0x80000000u
/* Sunshine reads a request into a 2048-byte buffer and refuses one where 24 + N >= 2048: an
 * encrypted request carries at most this many bytes of plaintext. The client builds its requests
 * into a buffer of this size when the session is encrypted. */
#define SKY_RTSP_HOST_BUFFER 2048
#define SKY_RTSP_ENC_MAX_REQUEST (SKY_RTSP_HOST_BUFFER - SKY_RTSP_ENC_HEADER_LEN - 1)

typedef enum SkyRtspDir {
    SKY_RTSP_FROM_CLIENT = 'C',
    SKY_RTSP_FROM_HOST = 'H',
} SkyRtspDir;

/* Appends one sealed frame of `len` plaintext bytes (1..SKY_RTSP_MAX_MESSAGE) to wr, numbered
 * `seq`, as sent by `dir`. plain must not overlap wr's buffer. Returns 0, SKY_ERR(EINVAL) for an
 * empty or oversized message, SKY_ERR(E2BIG) if wr lacks len + 24 bytes (wr then has its error
 * flag set), or the error of sky_gcm_encrypt. The caller keeps ownership of everything. */
int sky_rtsp_seal(SkyGcm *gcm, SkyRtspDir dir, uint32_t seq, const void *plain, size_t len,
                  SkyWriter *wr);

/* From the first bytes of a frame, the whole frame's size (24 + N), so a reader knows how much
 * to read. Returns 0, SKY_ERR(EAGAIN) if fewer than 4 bytes are given, SKY_ERR(EPROTO) if the
 * high bit is clear (not an encrypted message), SKY_ERR(EMSGSIZE) if N is 0 or over
 * SKY_RTSP_MAX_MESSAGE. Nothing here is authenticated yet: use it only to size the read. */
int sky_rtsp_frame_len(const void *data, size_t len, size_t *frame_len);

/* Opens exactly one frame (data, len = every byte received for it) sent by `dir`, into out
 * (cap bytes, not overlapping data). Returns 0 with *plain_len and *seq (either may be NULL), or:
 *   SKY_ERR(EPROTO)   high bit clear: an unencrypted message
 *   SKY_ERR(EAGAIN)   partial: fewer bytes than the header announces (read more)
 *   SKY_ERR(EMSGSIZE) excess bytes after the frame, or N is 0 or over SKY_RTSP_MAX_MESSAGE
 *   SKY_ERR(E2BIG)    out is smaller than N
 *   SKY_ERR(EBADMSG)  the tag does not verify (wrong key, direction or sequence, or tampering)
 * On failure *plain_len is 0 and out holds nothing usable. */
int sky_rtsp_unseal(SkyGcm *gcm, SkyRtspDir dir, const void *data, size_t len, void *out,
                    size_t cap, size_t *plain_len, uint32_t *seq);

/* ---- Parsed messages ------------------------------------------------------------------------ */

/* A view into the parsed buffer: not NUL-terminated. */
typedef struct SkyRtspStr {
    const char *p;
    size_t len;
} SkyRtspStr;

typedef struct SkyRtspHeader {
    SkyRtspStr name;  /* as sent; compared case-insensitively */
    SkyRtspStr value; /* spaces and tabs around it trimmed */
} SkyRtspHeader;

typedef struct SkyRtspMsg {
    bool is_request;
    SkyRtspStr method;  /* requests: "OPTIONS", ... */
    SkyRtspStr target;  /* requests: "rtsp://0.0.0.0:48010", "streamid=audio/0/0", "/" */
    SkyRtspStr version; /* "RTSP/1.0" (the only version accepted) */
    int status;         /* responses: 100..599 */
    SkyRtspStr reason;  /* responses: "OK", possibly empty */
    size_t n_headers;
    SkyRtspHeader headers[SKY_RTSP_MAX_HEADERS];
    const char *body;   /* into the buffer; NULL when body_len is 0 */
    size_t body_len;
} SkyRtspMsg;

/* Parses a complete reply (everything the host sent before closing). The body is every byte
 * after the blank line: Sunshine sends no Content-Length, and DESCRIBE bodies end lines in LF
 * only. Returns 0, SKY_ERR(EBADMSG) if malformed (no blank line, a line not ending in CRLF,
 * control characters, a bad status line or header), SKY_ERR(E2BIG) past the limits above. */
int sky_rtsp_parse_response(const void *data, size_t len, SkyRtspMsg *out);

/* Parses a request from the start of data (the host's side, kept here because it shares the
 * head parser with replies). The body is Content-length bytes (none without the header).
 * Returns 0 with *consumed = head + body (bytes after it are not looked at: plain RTSP has one
 * request per connection, and an encrypted frame must hold exactly one request, i.e.
 * *consumed == len), SKY_ERR(EAGAIN) if the head or the body is not complete yet,
 * SKY_ERR(EBADMSG) if malformed (a duplicate or non-numeric Content-length included),
 * SKY_ERR(E2BIG) past the limits. */
int sky_rtsp_parse_request(const void *data, size_t len, SkyRtspMsg *out, size_t *consumed);

/* True if s equals the NUL-terminated lit exactly. */
bool sky_rtsp_str_eq(SkyRtspStr s, const char *lit);
/* Copies s into out with a NUL. Returns 0 or SKY_ERR(E2BIG) (out then holds ""). */
int sky_rtsp_str_copy(SkyRtspStr s, char *out, size_t cap);

/* The first header named `name` (case-insensitive). */
bool sky_rtsp_header(const SkyRtspMsg *m, const char *name, SkyRtspStr *value);

/* CSeq as a decimal u32. SKY_ERR(ENOENT) if absent, SKY_ERR(EBADMSG) if malformed or repeated. */
int sky_rtsp_cseq(const SkyRtspMsg *m, uint32_t *out);
/* Session up to the first ';', trimmed ("DEADBEEFCAFE;timeout = 90" -> "DEADBEEFCAFE").
 * SKY_ERR(ENOENT) if absent, SKY_ERR(EBADMSG) if empty, SKY_ERR(E2BIG) if it does not fit. */
int sky_rtsp_session(const SkyRtspMsg *m, char *out, size_t cap);
/* The port after "server_port=" in Transport. SKY_ERR(ENOENT) if there is none (the client then
 * uses the default port), SKY_ERR(EBADMSG) if it is not a decimal in 1..65535. */
int sky_rtsp_server_port(const SkyRtspMsg *m, uint16_t *port);
/* X-SS-Ping-Payload: used only if exactly 16 visible ASCII characters (the client otherwise
 * sends the legacy "PING"). SKY_ERR(ENOENT) if absent, SKY_ERR(EBADMSG) otherwise. */
#define SKY_RTSP_PING_PAYLOAD_LEN 16
int sky_rtsp_ping_payload(const SkyRtspMsg *m, char out[SKY_RTSP_PING_PAYLOAD_LEN + 1]);
/* X-SS-Connect-Data: a u32, decimal or 0x-prefixed hex. SKY_ERR(ENOENT) if absent (the client
 * then uses 0), SKY_ERR(EBADMSG) if malformed or over 32 bits. */
int sky_rtsp_connect_data(const SkyRtspMsg *m, uint32_t *out);
/* Content-length as a decimal. SKY_ERR(ENOENT) if absent, SKY_ERR(EBADMSG) if malformed or
 * repeated, SKY_ERR(E2BIG) if over SKY_RTSP_MAX_MESSAGE. */
int sky_rtsp_content_length(const SkyRtspMsg *m, size_t *out);

/* ---- Grammar both sides check -------------------------------------------------------------- */

/* A character of a method or header name: visible ASCII except the separators
 * ()<>@,;:\"/[]?={}. */
bool sky_rtsp_is_token(unsigned char c);
/* True if s, a target, header value or reason phrase about to be written, holds no control
 * character (and no space either when no_space). */
bool sky_rtsp_text_ok(const char *s, bool no_space);

/* ---- Building (into a caller's SkyWriter; nothing is allocated) ----------------------------- */

typedef enum SkyRtspKind {
    SKY_RTSP_OPTIONS,
    SKY_RTSP_DESCRIBE,
    SKY_RTSP_SETUP,
    SKY_RTSP_ANNOUNCE,
    SKY_RTSP_PLAY,
} SkyRtspKind;

/* One client request. Headers go out in moonlight-common-c's order: CSeq, X-GS-ClientVersion,
 * Host, Session, Transport (SETUP), Accept (DESCRIBE), If-Modified-Since (DESCRIBE, SETUP),
 * Content-type and Content-length (ANNOUNCE), then the body. */
typedef struct SkyRtspRequest {
    SkyRtspKind kind;
    uint32_t cseq;          /* 1, 2, ... */
    const char *target;     /* see SKY_RTSP_STREAMID_*; NULL for PLAY means "/" */
    const char *host;       /* Host value; NULL omits it */
    const char *session;    /* NULL until the first SETUP reply gave one */
    int client_version;     /* 0 means SKY_RTSP_CLIENT_VERSION */
    const char *sdp;        /* ANNOUNCE body (sent as application/sdp) */
    size_t sdp_len;
} SkyRtspRequest;

/* Appends the request to wr. Returns 0, SKY_ERR(EINVAL) for a missing target or a value holding
 * a space (target), CR, LF or other control character, or an ANNOUNCE without a body,
 * SKY_ERR(E2BIG) if wr is full (wr's error flag is set; its bytes are then unusable). For an
 * encrypted session give wr a capacity of SKY_RTSP_ENC_MAX_REQUEST so a request the host would
 * refuse is never built. */
int sky_rtsp_build_request(SkyWriter *wr, const SkyRtspRequest *req);

#endif
