/* RTSP replies as Sunshine v0.23 writes them, for the test host (rtsp_reply.h). */
#include "tests/host/proto/rtsp_reply.h"

#include "common/core/error.h"

static bool wr_header(SkyWriter *wr, const char *name, const char *value)
{
    return sky_wr_str(wr, name) && sky_wr_str(wr, ": ") && sky_wr_str(wr, value) &&
           sky_wr_str(wr, "\r\n");
}

const char *sky_rtsp_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "BAD REQUEST";
    case 403: return "Forbidden";
    case 404: return "NOT FOUND";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

int sky_rtsp_build_response(SkyWriter *wr, const SkyRtspResponse *resp)
{
    if (resp->status < 100 || resp->status > 599)
        return SKY_ERR(EINVAL);
    const char *reason = resp->reason ? resp->reason : sky_rtsp_reason(resp->status);
    if (!sky_rtsp_text_ok(reason, false) || (resp->body_len && !resp->body) ||
        (resp->n_headers && !resp->headers))
        return SKY_ERR(EINVAL);
    for (size_t i = 0; i < resp->n_headers; i++) {
        const char *n = resp->headers[i].name, *v = resp->headers[i].value;
        if (!n || !v || !*n || !sky_rtsp_text_ok(v, false))
            return SKY_ERR(EINVAL);
        for (const char *c = n; *c; c++)
            if (!sky_rtsp_is_token((unsigned char)*c))
                return SKY_ERR(EINVAL);
    }
    bool ok = sky_wr_str(wr, "RTSP/1.0 ") && sky_wr_dec(wr, resp->status) &&
              sky_wr_str(wr, " ") && sky_wr_str(wr, reason) && sky_wr_str(wr, "\r\n");
    if (ok && resp->has_cseq)
        ok = sky_wr_str(wr, "CSeq: ") && sky_wr_dec(wr, resp->cseq) && sky_wr_str(wr, "\r\n");
    for (size_t i = 0; ok && i < resp->n_headers; i++)
        ok = wr_header(wr, resp->headers[i].name, resp->headers[i].value);
    ok = ok && sky_wr_str(wr, "\r\n");
    if (ok && resp->body_len)
        ok = sky_wr_bytes(wr, resp->body, resp->body_len);
    return ok ? 0 : SKY_ERR(E2BIG);
}
