/* RTSP replies as Sunshine v0.23 writes them (the test host): the status line with Sunshine's
 * reason phrases, CSeq, the headers in the order given, the blank line and the body, without a
 * Content-Length. Requests are parsed with common/proto/rtsp.h, which also frames rtspenc://.
 * Pure: no sockets, no allocation. The client never links it. */
#ifndef SKY_TESTHOST_PROTO_RTSP_REPLY_H
#define SKY_TESTHOST_PROTO_RTSP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/bytes.h"
#include "common/proto/rtsp.h"

typedef struct SkyRtspKv {
    const char *name;
    const char *value;
} SkyRtspKv;

/* One host reply: "RTSP/1.0 <status> <reason>", CSeq (if has_cseq), the extra headers in order,
 * the blank line and the body (no Content-Length, as Sunshine). */
typedef struct SkyRtspResponse {
    int status;               /* 100..599 */
    const char *reason;       /* NULL: sky_rtsp_reason(status) */
    bool has_cseq;
    uint32_t cseq;
    const SkyRtspKv *headers; /* n_headers entries */
    size_t n_headers;
    const void *body;
    size_t body_len;
} SkyRtspResponse;

/* Appends the reply to wr. Returns 0, SKY_ERR(EINVAL) for a status outside 100..599, a reason or
 * header value holding a control character, a header name that is not a token, or a missing body
 * or header array, SKY_ERR(E2BIG) if wr is full (as sky_rtsp_build_request). */
int sky_rtsp_build_response(SkyWriter *wr, const SkyRtspResponse *resp);

/* The reason phrase Sunshine uses: 200 "OK", 400 "BAD REQUEST", 403 "Forbidden", 404
 * "NOT FOUND", 500 "Internal Server Error", 503 "Service Unavailable"; others "Error". */
const char *sky_rtsp_reason(int status);

#endif
