/* The test host's RTSP server, as Sunshine v0.23 answers (rtsp_server.h). */
#include "tests/host/rtsp_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/proto/hostapi.h"
#include "common/core/log.h"
#include "common/proto/rtsp.h"
#include "common/core/time.h"
#include "tests/host/proto/rtsp_reply.h"
#include "tests/host/proto/sdp_host.h"

#define TAG "th-rtsp"
/* A connection must deliver its request within this time. */
#define IO_TIMEOUT_US 10000000
/* Plain requests up to this size are read (Sunshine's encrypted limit is 2048). */
#define IN_MAX (SKY_RTSP_MAX_MESSAGE + 1024)
#define OUT_MAX 8192
#define SESSION_ID "DEADBEEFCAFE"

/* Encryption modes (--video-encryption), as Sunshine's lan_encryption_mode. */
enum { ENC_NEVER = 0, ENC_OPPORTUNISTIC = 1, ENC_MANDATORY = 2 };

int sky_th_rtsp_bitrate(const SkySdpAnnounce *an, bool audio_high_quality, int fec_percent)
{
    if (an->configured_bitrate_kbps == 0)
        return an->max_bitrate_kbps;
    int64_t b = an->configured_bitrate_kbps;
    if (fec_percent <= 80)
        b = (int64_t)((double)b / (100.0 / (100 - fec_percent)));
    int64_t audio = (int64_t)(audio_high_quality ? 256 : 96) * an->audio_channels;
    b -= audio < b / 5 ? audio : b / 5;
    b -= 500 < b / 10 ? 500 : b / 10;
    return b < 1 ? 1 : (int)b;
}

/* ---- Building replies ---- */

typedef struct Reply {
    int status;
    bool has_cseq;
    uint32_t cseq;
    SkyRtspKv headers[4];
    size_t n_headers;
    const void *body;
    size_t body_len;
} Reply;

static void add_header(Reply *r, const char *name, const char *value)
{
    SKY_ASSERT(r->n_headers < sizeof(r->headers) / sizeof(r->headers[0]));
    r->headers[r->n_headers].name = name;
    r->headers[r->n_headers].value = value;
    r->n_headers++;
}

/* Writes the reply into out, sealed if the launch is encrypted. */
static int finish(const SkyThLaunch *l, SkyThRtspState *st, const Reply *r, uint8_t *out,
                  size_t cap, size_t *out_len)
{
    uint8_t plain[OUT_MAX];
    SkyWriter wr = sky_wr_init(plain, sizeof(plain));
    SkyRtspResponse resp = {
        .status = r->status,
        .has_cseq = r->has_cseq,
        .cseq = r->cseq,
        .headers = r->headers,
        .n_headers = r->n_headers,
        .body = r->body,
        .body_len = r->body_len,
    };
    int ret = sky_rtsp_build_response(&wr, &resp);
    if (ret < 0)
        return ret;
    if (l->corever < 1) {
        if (wr.pos > cap)
            return SKY_ERR(E2BIG);
        memcpy(out, plain, wr.pos);
        *out_len = wr.pos;
        return 0;
    }
    SkyGcm *gcm = NULL;
    if ((ret = sky_gcm_create(&gcm, l->rikey)) < 0)
        return ret;
    SkyWriter ow = sky_wr_init(out, cap);
    /* Sunshine numbers every reply of the launch, errors included, from 1. */
    ret = sky_rtsp_seal(gcm, SKY_RTSP_FROM_HOST, ++st->host_seq, plain, wr.pos, &ow);
    sky_gcm_destroy(&gcm);
    if (ret < 0)
        return ret;
    *out_len = ow.pos;
    return 0;
}

static int reply_status(const SkyThLaunch *l, SkyThRtspState *st, int status, bool has_cseq,
                        uint32_t cseq, uint8_t *out, size_t cap, size_t *out_len)
{
    Reply r = {.status = status, .has_cseq = has_cseq, .cseq = cseq};
    return finish(l, st, &r, out, cap, out_len);
}

/* ---- Methods ---- */

static int describe(const SkyThCfg *cfg, Reply *r, uint8_t *body, size_t cap)
{
    uint32_t scm = (uint32_t)cfg->codec_support;
    SkySdpDescribe d = {
        .feature_flags = (uint32_t)cfg->feature_flags,
        .encryption_supported = SKY_ENC_CONTROL_V2 | SKY_ENC_AUDIO |
                                (cfg->video_encryption != ENC_NEVER ? SKY_ENC_VIDEO : 0),
        .encryption_requested = cfg->video_encryption == ENC_MANDATORY ? SKY_ENC_ALL
                                                                       : SKY_ENC_CONTROL_V2,
        .rfi = cfg->rfi,
        .hevc = scm & SKY_SCM_HEVC,
        .av1 = scm & (SKY_SCM_AV1_MAIN8 | SKY_SCM_AV1_MAIN10),
    };
    SkyWriter wr = sky_wr_init(body, cap);
    int ret = sky_sdp_describe_build(&wr, &d);
    if (ret < 0)
        return ret;
    r->body = body;
    r->body_len = wr.pos;
    return 0;
}

/* "streamid=TYPE/..." -> TYPE. */
static bool setup_type(SkyRtspStr target, const char *type)
{
    static const char prefix[] = "streamid=";
    size_t pl = sizeof(prefix) - 1, tl = strlen(type);
    return target.len > pl + tl && memcmp(target.p, prefix, pl) == 0 &&
           memcmp(target.p + pl, type, tl) == 0 && target.p[pl + tl] == '/';
}

static void announce_event(const SkyThStreamCfg *s)
{
    static const char *const codecs[] = {"h264", "hevc", "av1"};
    const SkySdpAnnounce *a = &s->an;
    sky_th_event("announce width=%d height=%d fps=%d codec=%s bitrate=%d packet_size=%d slices=%d "
                 "audio=%d encryption=%u hdr=%d audio_quality=%s packet_duration=%d "
                 "min_fec=%d ml_flags=%u chroma=%s",
                 a->width, a->height, a->fps, codecs[a->codec], s->bitrate_kbps, a->packet_size,
                 a->slices_per_frame, a->audio_channels, a->encryption_enabled, a->dynamic_range,
                 s->audio_high_quality ? "high" : "normal", a->packet_duration_ms,
                 a->min_fec_packets, a->ml_feature_flags, a->chroma_sampling == 1 ? "444" : "420");
}

/* Returns the status for an ANNOUNCE. */
static int announce(const SkyThCfg *cfg, const SkyThLaunch *l, const SkyRtspMsg *m,
                    SkyThAnnounceFn fn, void *opaque)
{
    SkySdpAttrs attrs;
    SkyThStreamCfg s;
    const char *bad = NULL;
    memset(&s, 0, sizeof(s));
    if (sky_sdp_attrs_parse(m->body, m->body_len, &attrs) < 0 ||
        sky_sdp_announce_read(&attrs, &s.an, &bad) < 0) {
        SKY_LOGW(TAG, "ANNOUNCE: %s%s", bad ? "missing or malformed " : "malformed SDP",
                 bad ? bad : "");
        return 400;
    }
    uint32_t scm = (uint32_t)cfg->codec_support;
    if ((s.an.codec == SKY_SDP_CODEC_HEVC && !(scm & SKY_SCM_HEVC)) ||
        (s.an.codec == SKY_SDP_CODEC_AV1 && !(scm & (SKY_SCM_AV1_MAIN8 | SKY_SCM_AV1_MAIN10)))) {
        SKY_LOGW(TAG, "ANNOUNCE: codec %d is not offered (--codec-support 0x%x)", s.an.codec, scm);
        return 400;
    }
    if (cfg->video_encryption == ENC_MANDATORY &&
        (s.an.encryption_enabled & (SKY_ENC_VIDEO | SKY_ENC_AUDIO)) !=
            (SKY_ENC_VIDEO | SKY_ENC_AUDIO)) {
        SKY_LOGW(TAG, "ANNOUNCE: encryption is mandatory but the client enabled only 0x%x",
                 s.an.encryption_enabled);
        return 403;
    }
    if (s.an.audio_channels == 2) {
        /* Sunshine: high-quality stereo unless the Host header holds 0.0.0.0 (the GFE hack). */
        SkyRtspStr host;
        bool zero = sky_rtsp_header(m, "Host", &host) && host.len >= 7 &&
                    memmem(host.p, host.len, "0.0.0.0", 7) != NULL;
        s.audio_high_quality = !zero;
    } else {
        s.audio_high_quality = s.an.audio_high_quality;
    }
    s.bitrate_kbps = sky_th_rtsp_bitrate(&s.an, s.audio_high_quality, cfg->fec_percent);
    s.launch = *l;
    announce_event(&s);
    int status = fn ? fn(opaque, &s) : 500;
    sky_wipe(&s, sizeof(s));
    return status;
}

static int handle(const SkyThCfg *cfg, const SkyThLaunch *l, SkyThRtspState *st,
                  const uint16_t ports[3], SkyThAnnounceFn fn, void *opaque, const SkyRtspMsg *m,
                  uint8_t *out, size_t cap, size_t *out_len)
{
    char method[32], target[160];
    sky_th_sanitize(sky_rtsp_str_copy(m->method, method, sizeof(method)) == 0 ? method : "?",
                    method, sizeof(method), false);
    if (sky_rtsp_str_copy(m->target, target, sizeof(target)) < 0)
        snprintf(target, sizeof(target), "(long)");
    sky_th_sanitize(target, target, sizeof(target), false);
    sky_th_event("rtsp %s %s", method, target);

    Reply r = {.status = 200};
    uint32_t cseq = 0;
    r.has_cseq = sky_rtsp_cseq(m, &cseq) == 0;
    r.cseq = cseq;
    uint8_t body[1024];
    char port[32], extra[24];
    if (sky_rtsp_str_eq(m->method, "OPTIONS") || sky_rtsp_str_eq(m->method, "PLAY")) {
        /* nothing more */
    } else if (sky_rtsp_str_eq(m->method, "DESCRIBE")) {
        if (describe(cfg, &r, body, sizeof(body)) < 0)
            r.status = 500;
    } else if (sky_rtsp_str_eq(m->method, "SETUP")) {
        int which = setup_type(m->target, "video")     ? 0
                    : setup_type(m->target, "audio")   ? 1
                    : setup_type(m->target, "control") ? 2
                                                       : -1;
        if (which < 0) {
            r.status = 404;
        } else {
            snprintf(port, sizeof(port), "server_port=%u", ports[which]);
            add_header(&r, "Session", SESSION_ID ";timeout = 90");
            add_header(&r, "Transport", port);
            if (which < 2) {
                add_header(&r, "X-SS-Ping-Payload", l->ping_payload);
            } else {
                snprintf(extra, sizeof(extra), "%u", l->connect_data);
                add_header(&r, "X-SS-Connect-Data", extra);
            }
        }
    } else if (sky_rtsp_str_eq(m->method, "ANNOUNCE")) {
        r.status = announce(cfg, l, m, fn, opaque);
    } else {
        r.status = 404;
    }
    if (r.status != 200) {
        r.n_headers = 0;
        r.body_len = 0;
    }
    return finish(l, st, &r, out, cap, out_len);
}

int sky_th_rtsp_answer(const SkyThCfg *cfg, const SkyThLaunch *launch, SkyThRtspState *st,
                       const uint16_t ports[3], SkyThAnnounceFn fn, void *opaque,
                       const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                       size_t *need)
{
    *out_len = 0;
    if (need)
        *need = 0;
    SkyRtspMsg m;
    size_t used = 0;
    int ret;
    if (launch->corever >= 1) {
        size_t flen = 0;
        ret = sky_rtsp_frame_len(in, len, &flen);
        if (ret == SKY_ERR(EAGAIN))
            return ret;
        /* Sunshine reads into 2048 bytes and refuses a request that would not fit. */
        if (ret < 0 || flen >= SKY_RTSP_HOST_BUFFER) {
            SKY_LOGW(TAG, "refused an %s encrypted request",
                     ret < 0 ? "unencrypted or malformed" : "oversized");
            return reply_status(launch, st, 400, false, 0, out, cap, out_len);
        }
        if (len < flen) {
            if (need)
                *need = flen;
            return SKY_ERR(EAGAIN);
        }
        uint8_t plain[SKY_RTSP_HOST_BUFFER];
        size_t plen = 0;
        SkyGcm *gcm = NULL;
        if ((ret = sky_gcm_create(&gcm, launch->rikey)) < 0)
            return ret;
        ret = sky_rtsp_unseal(gcm, SKY_RTSP_FROM_CLIENT, in, len, plain, sizeof(plain), &plen,
                              NULL);
        sky_gcm_destroy(&gcm);
        if (ret == 0)
            ret = sky_rtsp_parse_request(plain, plen, &m, &used);
        if (ret < 0 || used != plen) {
            SKY_LOGW(TAG, "an encrypted request failed to decrypt or parse: %s",
                     sky_strerror(ret < 0 ? ret : SKY_ERR(EBADMSG)));
            return reply_status(launch, st, 400, false, 0, out, cap, out_len);
        }
        return handle(cfg, launch, st, ports, fn, opaque, &m, out, cap, out_len);
    }
    ret = sky_rtsp_parse_request(in, len, &m, &used);
    if (ret == SKY_ERR(EAGAIN) && len < IN_MAX)
        return ret;
    if (ret < 0) {
        SKY_LOGW(TAG, "malformed request: %s", sky_strerror(ret));
        return reply_status(launch, st, 400, false, 0, out, cap, out_len);
    }
    return handle(cfg, launch, st, ports, fn, opaque, &m, out, cap, out_len);
}

/* ---- The server thread ---- */

struct SkyThRtsp {
    SkyThHost *h;
    int fd;
    uint16_t ports[3];
    SkyThAnnounceFn announce;
    void *opaque;
    pthread_t thread;
    bool started;
    /* RTSP thread only. */
    SkyThRtspState st;
    uint8_t in[IN_MAX];
    uint8_t out[OUT_MAX];
};

/* Reads until the request is whole and answers it. */
static void serve(SkyThRtsp *r, int fd, const SkyThLaunch *l)
{
    size_t len = 0, out_len = 0;
    int64_t deadline = sky_time_us() + IO_TIMEOUT_US;
    for (;;) {
        size_t need = 0;
        int ret = len ? sky_th_rtsp_answer(r->h->cfg, l, &r->st, r->ports, r->announce, r->opaque,
                                           r->in, len, r->out, sizeof(r->out), &out_len, &need)
                      : SKY_ERR(EAGAIN);
        if (ret == 0)
            break;
        if (ret != SKY_ERR(EAGAIN)) {
            SKY_LOGW(TAG, "cannot answer: %s", sky_strerror(ret));
            return;
        }
        int64_t left = deadline - sky_time_us();
        if (left <= 0) {
            SKY_LOGV(TAG, "a connection sent no whole request in time");
            return;
        }
        /* Short waits, so that a stopping host is noticed. */
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, left > 200000 ? 200 : (int)(left / 1000) + 1);
        pthread_mutex_lock(&r->h->lock);
        bool stopping = r->h->stopping;
        pthread_mutex_unlock(&r->h->lock);
        if (stopping)
            return;
        if (pr <= 0)
            continue;
        size_t want = need > len && need <= sizeof(r->in) ? need - len : sizeof(r->in) - len;
        ssize_t n = recv(fd, r->in + len, want, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (len)
                SKY_LOGV(TAG, "the client closed in the middle of a request");
            return;
        }
        len += (size_t)n;
    }
    for (size_t off = 0; off < out_len;) {
        ssize_t n = send(fd, r->out + off, out_len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        off += (size_t)n;
    }
}

static void *rtsp_main(void *arg)
{
    SkyThRtsp *r = arg;
    SkyThHost *h = r->h;
    for (;;) {
        int fd = accept4(r->fd, NULL, NULL, SOCK_CLOEXEC);
        pthread_mutex_lock(&h->lock);
        bool stopping = h->stopping, pending = h->launch_pending;
        SkyThLaunch l = h->session;
        uint64_t gen = h->launch_gen;
        pthread_mutex_unlock(&h->lock);
        if (stopping) {
            if (fd >= 0)
                close(fd);
            sky_wipe(&l, sizeof(l));
            break;
        }
        if (fd < 0) {
            sky_wipe(&l, sizeof(l));
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
                if (errno == EMFILE || errno == ENFILE)
                    sky_sleep_us(50000);
                continue;
            }
            SKY_LOGE(TAG, "accept: %s", sky_strerror(SKY_ERR(errno)));
            break;
        }
        if (!pending) {
            SKY_LOGI(TAG, "connection refused: no pending launch");
        } else {
            if (gen != r->st.launch_gen) {
                r->st.launch_gen = gen;
                r->st.host_seq = 0;
            }
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            serve(r, fd, &l);
            shutdown(fd, SHUT_RDWR);
        }
        sky_wipe(&l, sizeof(l));
        close(fd);
    }
    return NULL;
}

int sky_th_rtsp_create(SkyThRtsp **out, SkyThHost *h, int listen_fd, const uint16_t ports[3],
                      SkyThAnnounceFn fn, void *opaque)
{
    *out = NULL;
    SkyThRtsp *r = calloc(1, sizeof(*r));
    if (!r) {
        close(listen_fd);
        return SKY_ERR(ENOMEM);
    }
    r->h = h;
    r->fd = listen_fd;
    memcpy(r->ports, ports, sizeof(r->ports));
    r->announce = fn;
    r->opaque = opaque;
    int ret = pthread_create(&r->thread, NULL, rtsp_main, r);
    if (ret != 0) {
        SKY_LOGE(TAG, "cannot start the RTSP thread: %s", sky_strerror(SKY_ERR(ret)));
        close(listen_fd);
        free(r);
        return SKY_ERR(ret);
    }
    r->started = true;
    *out = r;
    return 0;
}

void sky_th_rtsp_destroy(SkyThRtsp **pr)
{
    SkyThRtsp *r = *pr;
    if (!r)
        return;
    /* The host is stopping: shutdown() wakes accept(), which then sees it. */
    shutdown(r->fd, SHUT_RDWR);
    if (r->started)
        pthread_join(r->thread, NULL);
    close(r->fd);
    free(r);
    *pr = NULL;
}
