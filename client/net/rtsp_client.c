/* The RTSP handshake with a host over TCP (rtspenc:// framing when the host asks), from
 * OPTIONS to PLAY (rtsp_client.h). */
#define _POSIX_C_SOURCE 200809L
#include "client/net/rtsp_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/core/bytes.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/proto/rtsp.h"
#include "common/core/time.h"

#define TAG "rtsp"
/* Bitrate from which audio is asked for in high quality (as Moonlight does). */
#define HIGH_AUDIO_BITRATE_KBPS 15000

typedef struct Conn {
    const SkyRtspClientCfg *cfg;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    SkyGcm *gcm;               /* NULL: plain RTSP */
    uint32_t cseq;             /* also the encryption sequence */
    char target[300];          /* OPTIONS/DESCRIBE target */
    char host_header[300];
    char session[64];
    uint8_t reply[SKY_RTSP_MAX_MESSAGE + SKY_RTSP_ENC_HEADER_LEN];
    size_t reply_len;
    uint8_t plain[SKY_RTSP_MAX_MESSAGE];
    uint8_t request[SKY_RTSP_MAX_HEAD + 4096];
    uint8_t sealed[SKY_RTSP_MAX_HEAD + 4096 + SKY_RTSP_ENC_HEADER_LEN];
} Conn;

static bool cancelled(const Conn *c)
{
    return c->cfg->cancel && atomic_load(c->cfg->cancel);
}

/* Waits for fd to become ready for `events` until deadline. */
static int wait_fd(const Conn *c, int fd, short events, int64_t deadline)
{
    for (;;) {
        if (cancelled(c))
            return SKY_ERR(ECANCELED);
        int64_t left = (deadline - sky_time_us()) / 1000;
        if (left <= 0)
            return SKY_ERR(ETIMEDOUT);
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, left > 200 ? 200 : (int)left);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return SKY_ERR(errno);
    }
}

/* One request over its own connection: sends req, reads the reply until the host closes. */
static int exchange(Conn *c, const uint8_t *req, size_t req_len, char *err, size_t errlen)
{
    int64_t deadline = sky_time_us() + c->cfg->timeout_ms * 1000;
    int fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return SKY_ERR(errno);
    int one = 1, ret = 0;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* Hosts may answer /launch before they listen for RTSP: retry refusals for a while. */
    for (;;) {
        if (connect(fd, (struct sockaddr *)&c->addr, c->addr_len) == 0 || errno == EISCONN)
            break;
        if (errno == EINPROGRESS || errno == EALREADY) {
            ret = wait_fd(c, fd, POLLOUT, deadline);
            if (ret < 0)
                goto done;
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            if (soerr == 0)
                break;
            errno = soerr;
        }
        if (errno != ECONNREFUSED || sky_time_us() > deadline) {
            ret = SKY_ERR(errno);
            goto done;
        }
        close(fd);
        sky_sleep_us(500000);
        fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return SKY_ERR(errno);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    for (size_t sent = 0; sent < req_len;) {
        ssize_t w = send(fd, req + sent, req_len - sent, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            ret = wait_fd(c, fd, POLLOUT, deadline);
            if (ret < 0)
                goto done;
            continue;
        }
        if (w < 0) {
            ret = SKY_ERR(errno);
            goto done;
        }
        sent += (size_t)w;
    }
    c->reply_len = 0;
    for (;;) {
        if (c->reply_len == sizeof(c->reply)) {
            ret = SKY_ERR(E2BIG);
            goto done;
        }
        ssize_t r = recv(fd, c->reply + c->reply_len, sizeof(c->reply) - c->reply_len, 0);
        if (r == 0)
            break;
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            ret = wait_fd(c, fd, POLLIN, deadline);
            if (ret < 0)
                goto done;
            continue;
        }
        if (r < 0) {
            /* A reset after the reply counts as its end. */
            if (errno == ECONNRESET && c->reply_len)
                break;
            ret = SKY_ERR(errno);
            goto done;
        }
        c->reply_len += (size_t)r;
    }
    if (c->reply_len == 0)
        ret = SKY_ERR(EPROTO);
done:
    close(fd);
    if (ret < 0)
        snprintf(err, errlen, "%s", ret == SKY_ERR(ETIMEDOUT)      ? "timed out"
                                    : ret == SKY_ERR(ECONNREFUSED) ? "connection refused"
                                    : ret == SKY_ERR(EPROTO)       ? "the host closed without a reply"
                                    : ret == SKY_ERR(E2BIG)        ? "the reply is too large"
                                                                   : sky_strerror(ret));
    return ret;
}

/* Sends one request and parses the reply into m (which views c->plain or c->reply). */
static int transact(Conn *c, SkyRtspRequest *req, SkyRtspMsg *m, char *err, size_t errlen)
{
    uint8_t *buf = c->request, *sealed = c->sealed;
    const char *what = req->kind == SKY_RTSP_OPTIONS    ? "OPTIONS"
                       : req->kind == SKY_RTSP_DESCRIBE ? "DESCRIBE"
                       : req->kind == SKY_RTSP_SETUP    ? "SETUP"
                       : req->kind == SKY_RTSP_ANNOUNCE ? "ANNOUNCE"
                                                        : "PLAY";
    char why[200];
    req->cseq = ++c->cseq;
    SkyWriter wr = sky_wr_init(buf, c->gcm ? SKY_RTSP_ENC_MAX_REQUEST : sizeof(c->request));
    int ret = sky_rtsp_build_request(&wr, req);
    if (ret < 0) {
        snprintf(err, errlen, "RTSP %s: cannot build the request (%s)", what, sky_strerror(ret));
        return ret;
    }
    const uint8_t *out = buf;
    size_t out_len = wr.pos;
    if (c->gcm) {
        SkyWriter sw = sky_wr_init(sealed, sizeof(c->sealed));
        ret = sky_rtsp_seal(c->gcm, SKY_RTSP_FROM_CLIENT, c->cseq, buf, wr.pos, &sw);
        if (ret < 0)
            return ret;
        out = sealed;
        out_len = sw.pos;
    }
    SKY_LOGD(TAG, "%s %s", what, req->target ? req->target : "/");
    ret = exchange(c, out, out_len, why, sizeof(why));
    if (ret < 0) {
        snprintf(err, errlen, "RTSP %s to %s:%u: %s", what, c->cfg->url->host,
                 (unsigned)c->cfg->url->port, why);
        return ret;
    }
    const void *reply = c->reply;
    size_t reply_len = c->reply_len;
    if (c->gcm) {
        size_t n = 0;
        ret = sky_rtsp_unseal(c->gcm, SKY_RTSP_FROM_HOST, c->reply, c->reply_len, c->plain,
                              sizeof(c->plain), &n, NULL);
        if (ret < 0) {
            snprintf(err, errlen, "RTSP %s: the host's reply %s", what,
                     ret == SKY_ERR(EBADMSG) ? "does not decrypt with the session key"
                     : ret == SKY_ERR(EPROTO) ? "is not encrypted although the session is"
                                              : "is malformed");
            return SKY_ERR(EBADMSG);
        }
        reply = c->plain;
        reply_len = n;
    }
    ret = sky_rtsp_parse_response(reply, reply_len, m);
    if (ret < 0) {
        snprintf(err, errlen, "RTSP %s: the host's reply is malformed", what);
        return SKY_ERR(EBADMSG);
    }
    if (m->status != 200) {
        char reason[64] = "";
        sky_rtsp_str_copy(m->reason, reason, sizeof(reason));
        snprintf(err, errlen, "RTSP %s: the host answered %d %s%s", what, m->status, reason,
                 m->status == 400 && req->kind == SKY_RTSP_ANNOUNCE
                     ? " (it refused the stream settings: codec, resolution or encryption)"
                 : m->status == 503 ? " (it is already streaming to someone)"
                                    : "");
        return SKY_ERR(EPROTO);
    }
    return 0;
}

static int resolve(Conn *c, const SkySessionUrl *url, char *numeric, size_t cap, char *err,
                   size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char port[8];
    snprintf(port, sizeof(port), "%u", (unsigned)url->port);
    int r = getaddrinfo(url->host, port, &hints, &res);
    if (r != 0 || !res) {
        snprintf(err, errlen, "cannot resolve the RTSP host '%s'", url->host);
        return SKY_ERR(EHOSTUNREACH);
    }
    memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
    c->addr_len = res->ai_addrlen;
    getnameinfo(res->ai_addr, res->ai_addrlen, numeric, (socklen_t)cap, NULL, 0, NI_NUMERICHOST);
    freeaddrinfo(res);
    return 0;
}

/* The codec and chroma from DESCRIBE (sky_video_format_pick); says what the host could not
 * give. */
static int pick_format(const SkyRtspClientCfg *cfg, const SkyHostCaps *caps, SkyVideoFormat *out,
                       char *err, size_t errlen)
{
    unsigned dropped = 0;
    int ret = sky_video_format_pick(&cfg->format, cfg->codec_support, caps->hevc, caps->av1, out,
                                    &dropped);
    if (ret < 0) {
        snprintf(err, errlen, "the host does not offer %s (see 'skylight info')",
                 sky_sdp_codec_name(out->codec));
        return ret;
    }
    if (dropped & SKY_VIDEO_DROPPED_HDR)
        SKY_LOGW(TAG, "the host offers no 10-bit %s: streaming without HDR",
                 sky_sdp_codec_name(out->codec));
    if (dropped & SKY_VIDEO_DROPPED_444)
        SKY_LOGW(TAG, "the host offers no %s%s 4:4:4 (--yuv444): streaming 4:2:0",
                 out->ten_bit ? "10-bit " : "", sky_sdp_codec_name(out->codec));
    return 0;
}

int sky_rtsp_client_handshake(const SkyRtspClientCfg *cfg, SkyRtspSession *out, char *err,
                              size_t errlen)
{
    memset(out, 0, sizeof(*out));
    Conn *c = calloc(1, sizeof(*c));
    if (!c)
        return SKY_ERR(ENOMEM);
    c->cfg = cfg;
    SkyRtspMsg *m = malloc(sizeof(*m));
    int ret = m ? resolve(c, cfg->url, out->host, sizeof(out->host), err, errlen)
                : SKY_ERR(ENOMEM);
    if (ret == 0 && cfg->url->encrypted)
        ret = sky_gcm_create(&c->gcm, cfg->key);
    if (ret < 0)
        goto done;
    bool ipv6 = c->addr.ss_family == AF_INET6;
    /* Moonlight's convention, which Sunshine reads: asking with the host's real address means
     * "high-quality audio"; 0.0.0.0 means normal quality. */
    bool high_audio = cfg->want.bitrate_kbps >= HIGH_AUDIO_BITRATE_KBPS;
    if (high_audio) {
        snprintf(c->target, sizeof(c->target), "%s://%s%s%s:%u",
                 cfg->url->encrypted ? "rtspenc" : "rtsp", ipv6 ? "[" : "", out->host,
                 ipv6 ? "]" : "", (unsigned)cfg->url->port);
        snprintf(c->host_header, sizeof(c->host_header), "%s", out->host);
    } else {
        snprintf(c->target, sizeof(c->target), "rtsp://0.0.0.0:%u", (unsigned)cfg->url->port);
        snprintf(c->host_header, sizeof(c->host_header), "0.0.0.0");
    }

    SkyRtspRequest req = {.kind = SKY_RTSP_OPTIONS, .target = c->target, .host = c->host_header};
    if ((ret = transact(c, &req, m, err, errlen)) < 0)
        goto done;
    req = (SkyRtspRequest){.kind = SKY_RTSP_DESCRIBE, .target = c->target, .host = c->host_header};
    if ((ret = transact(c, &req, m, err, errlen)) < 0)
        goto done;
    ret = sky_sdp_host_caps_parse(m->body ? m->body : "", m->body_len, cfg->want.audio_channels,
                                  &out->caps);
    if (ret < 0) {
        snprintf(err, errlen, "RTSP DESCRIBE: the host's description is malformed or offers no "
                              "%d-channel audio",
                 cfg->want.audio_channels);
        goto done;
    }
    if ((ret = pick_format(cfg, &out->caps, &out->format, err, errlen)) < 0)
        goto done;
    int codec = out->format.codec;
    out->opus = high_audio && out->caps.opus_high_ok ? out->caps.opus_high : out->caps.opus_normal;

    static const char *const targets[3] = {SKY_RTSP_STREAMID_AUDIO, SKY_RTSP_STREAMID_VIDEO,
                                           SKY_RTSP_STREAMID_CONTROL};
    static const uint16_t defaults[3] = {48000, 47998, 47999};
    uint16_t *ports[3] = {&out->audio_port, &out->video_port, &out->control_port};
    for (int i = 0; i < 3; i++) {
        req = (SkyRtspRequest){.kind = SKY_RTSP_SETUP, .target = targets[i],
                               .host = c->host_header,
                               .session = c->session[0] ? c->session : NULL};
        if ((ret = transact(c, &req, m, err, errlen)) < 0)
            goto done;
        if (!c->session[0] && sky_rtsp_session(m, c->session, sizeof(c->session)) < 0) {
            snprintf(err, errlen, "RTSP SETUP: the host gave no session");
            ret = SKY_ERR(EBADMSG);
            goto done;
        }
        if (sky_rtsp_server_port(m, ports[i]) < 0)
            *ports[i] = defaults[i];
        if (!out->have_ping_payload && sky_rtsp_ping_payload(m, out->ping_payload) == 0)
            out->have_ping_payload = true;
        if (i == 2 && sky_rtsp_connect_data(m, &out->connect_data) < 0)
            out->connect_data = 0;
    }

    out->stream = cfg->want;
    SkySdpStreamCfg *s = &out->stream;
    s->host_addr = out->host;
    s->ipv6 = ipv6;
    s->codec = codec;
    s->ten_bit = out->format.ten_bit;
    s->yuv444 = out->format.yuv444;
    s->encryption_enabled = sky_sdp_encryption_negotiate(out->caps.encryption_supported,
                                                         out->caps.encryption_requested,
                                                         cfg->encryption_wanted);
    s->remote = !sky_host_addr_is_local(out->host);
    ret = sky_sdp_packet_size(cfg->packet_size, s->remote, ipv6,
                              (s->encryption_enabled & SKY_ENC_VIDEO) != 0);
    if (ret < 0) {
        snprintf(err, errlen, "packet size %d is too small", cfg->packet_size);
        goto done;
    }
    s->packet_size = ret;
    s->video_port = out->video_port;
    s->audio_high_quality = high_audio && out->caps.opus_high_ok;
    /* FFmpeg's HEVC and AV1 decoders take any reference the codec allows, so the host may use
     * several and invalidate them after a loss instead of sending an IDR (its H.264 decoder
     * mishandles the frame-number gaps that leaves). */
    s->decoder_rfi = codec != SKY_SDP_CODEC_H264;
    out->rfi = out->caps.rfi && s->decoder_rfi;
    char sdp[4096];
    SkyWriter sw = sky_wr_init(sdp, sizeof(sdp));
    ret = sky_sdp_announce_build(&sw, s);
    if (ret < 0) {
        snprintf(err, errlen, "cannot describe the stream: %s", sky_strerror(ret));
        goto done;
    }
    req = (SkyRtspRequest){.kind = SKY_RTSP_ANNOUNCE, .target = SKY_RTSP_STREAMID_CONTROL,
                           .host = c->host_header, .session = c->session, .sdp = sdp,
                           .sdp_len = sw.pos};
    if ((ret = transact(c, &req, m, err, errlen)) < 0)
        goto done;
    req = (SkyRtspRequest){.kind = SKY_RTSP_PLAY, .target = NULL, .host = c->host_header,
                           .session = c->session};
    if ((ret = transact(c, &req, m, err, errlen)) < 0)
        goto done;
    s->host_addr = NULL; /* pointed into out: callers use out->host */
    char format[32];
    sky_video_format_name(&out->format, format, sizeof(format));
    SKY_LOGI(TAG, "handshake done: %s %dx%d at %d fps, %d kb/s, %d audio channels, packets of "
                  "%d bytes, encryption 0x%x%s%s",
             format, s->width, s->height, s->fps, s->bitrate_kbps,
             s->audio_channels, s->packet_size, s->encryption_enabled,
             s->remote ? ", remote host" : "", out->rfi ? ", reference invalidation" : "");
    ret = 0;
done:
    sky_gcm_destroy(&c->gcm);
    free(m);
    free(c);
    return ret;
}
