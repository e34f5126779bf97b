/* The test host's streaming side: its sockets, the RTSP thread and one session per stream
 * (session.h). */
#include "tests/host/session.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/proto/audio_rtp.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/proto/sdp.h"
#include "common/proto/video_packet.h"
#include "tests/host/audio_sender.h"
#include "tests/host/proto/sdp_host.h"
#include "tests/host/rtsp_server.h"
#include "tests/host/udp_sender.h"
#include "tests/host/video_sender.h"

#define TAG "th-stream"
/* Video datagram buffers: enough for a few large frames in flight behind a delay. */
#define VIDEO_POOL_MAX 8192
#define VIDEO_POOL_BYTES (24u << 20)
#define AUDIO_POOL 1024
/* Distinct seeds for the models that share one spec. */
#define SEED_AUDIO 0x9e3779b97f4a7c15ULL

typedef struct SkyThSession {
    SkyThStream *st;
    pthread_t thread;
    atomic_bool done;            /* the session thread has finished its work */
    SkyThUdp *video_udp, *audio_udp;
    SkyThVideo *video;
    SkyThAudio *audio;
    SkyThControl *control;
    bool quits_app;              /* quit-app and stream-seconds end the app too */
} SkyThSession;

struct SkyThStream {
    SkyThHost *h;
    SkyImpairCfg down, up;       /* parsed options */
    int video_fd, audio_fd;
    ENetHost *enet;
    bool enet_initialized;
    SkyThRtsp *rtsp;

    pthread_mutex_t lock;
    /* Guarded by lock. */
    SkyThSession *session;       /* the running session, or a finished one not joined yet */
};

/* ---- Sockets ---- */


/* Binds addr:port; when the port is one of the defaults (not given on the command line) and
 * busy (another test host, a real Sunshine), takes a free port instead: clients learn the real
 * ports from sessionUrl0 and the SETUP replies anyway. */
static int bind_socket(const SkyThCfg *cfg, int port, int type, const char *what, int *fd_out,
                       uint16_t *port_out)
{
    int ret = sky_th_bind(cfg->bind, port, type, 16, fd_out, port_out);
    if (ret == SKY_ERR(EADDRINUSE) && port != 0 && !cfg->stream_ports_given) {
        ret = sky_th_bind(cfg->bind, 0, type, 16, fd_out, port_out);
        if (ret == 0)
            SKY_LOGW(TAG, "%s port %d is in use: using %u", what, port, *port_out);
    }
    if (ret == SKY_ERR(EADDRINUSE))
        SKY_LOGE(TAG, "cannot bind the %s port %d: address in use", what, port);
    return ret;
}


/* Debian's ENet speaks IPv4 only: an IPv6 --bind puts the control port on 127.0.0.1 (for ::1)
 * or on every IPv4 address. */
static int make_enet(SkyThStream *st)
{
    const SkyThCfg *cfg = st->h->cfg;
    if (enet_initialize() != 0) {
        SKY_LOGE(TAG, "enet_initialize failed");
        return SKY_ERR(EIO);
    }
    st->enet_initialized = true;
    ENetAddress a = {.host = ENET_HOST_ANY, .port = (enet_uint16)cfg->control_port};
    struct in_addr v4;
    if (inet_pton(AF_INET, cfg->bind, &v4) == 1) {
        a.host = v4.s_addr;
    } else if (strcmp(cfg->bind, "::1") == 0) {
        a.host = htonl(INADDR_LOOPBACK);
        SKY_LOGW(TAG, "ENet is IPv4 only: the control port listens on 127.0.0.1");
    } else {
        SKY_LOGW(TAG, "ENet is IPv4 only: the control port listens on every IPv4 address");
    }
    /* One peer, as many channels as a peer asks for (Sunshine: channel limit 0). */
    st->enet = enet_host_create(&a, 1, 0, 0, 0);
    if (!st->enet && a.port != 0 && !cfg->stream_ports_given) {
        a.port = 0; /* busy default: a free port (see bind_socket) */
        st->enet = enet_host_create(&a, 1, 0, 0, 0);
        if (st->enet)
            SKY_LOGW(TAG, "control port %d is in use: using another", cfg->control_port);
    }
    if (!st->enet) {
        SKY_LOGE(TAG, "cannot bind the control port %d (ENet)", cfg->control_port);
        return SKY_ERR(EADDRINUSE);
    }
    ENetAddress got;
    if (enet_socket_get_address(st->enet->socket, &got) < 0)
        return SKY_ERR(EIO);
    st->h->control_port = got.port;
    return 0;
}

/* ---- A session ---- */

static void session_free(SkyThSession **ps)
{
    SkyThSession *s = *ps;
    if (!s)
        return;
    if (s->video_udp)
        sky_th_udp_abort(s->video_udp);
    if (s->audio_udp)
        sky_th_udp_abort(s->audio_udp);
    sky_th_video_destroy(&s->video);
    sky_th_audio_destroy(&s->audio);
    sky_th_udp_destroy(&s->video_udp);
    sky_th_udp_destroy(&s->audio_udp);
    sky_th_control_destroy(&s->control);
    free(s);
    *ps = NULL;
}

static void *session_main(void *arg)
{
    SkyThSession *s = arg;
    SkyThHost *h = s->st->h;
    SkyThEnd end = sky_th_control_run(s->control);
    /* Stop the producers (they may still wait for a ping), then their senders. */
    sky_th_udp_abort(s->video_udp);
    sky_th_udp_abort(s->audio_udp);
    SkyThVideoStats vs;
    sky_th_video_stop(s->video);
    sky_th_video_stats(s->video, &vs);
    sky_th_video_destroy(&s->video);
    sky_th_audio_destroy(&s->audio);
    sky_th_udp_stop(s->video_udp);
    sky_th_udp_stop(s->audio_udp);
    SkyThUdpStats vu, au;
    sky_th_udp_stats(s->video_udp, &vu);
    sky_th_udp_stats(s->audio_udp, &au);
    sky_th_udp_destroy(&s->video_udp);
    sky_th_udp_destroy(&s->audio_udp);
    /* The control object stays until the session is joined: a stdin command may still reach
     * it (sky_th_stream_command checks `done` under the stream lock, not our progress). */

    pthread_mutex_lock(&h->lock);
    h->streaming = false;
    if (end == SKY_TH_END_QUIT_APP || end == SKY_TH_END_STREAM_SECONDS) {
        /* The app has exited: nothing to resume. */
        h->running_appid = 0;
        h->have_session = false;
        h->launch_pending = false;
        sky_wipe(&h->session, sizeof(h->session));
    }
    pthread_mutex_unlock(&h->lock);
    sky_th_event("stream-end reason=%s frames=%llu video_datagrams=%llu video_dropped=%llu "
                 "audio_datagrams=%llu audio_dropped=%llu",
                 sky_th_end_name(end), (unsigned long long)vs.frames,
                 (unsigned long long)vu.sent, (unsigned long long)vu.impair_dropped,
                 (unsigned long long)au.sent, (unsigned long long)au.impair_dropped);
    atomic_store(&s->done, true);
    return NULL;
}

/* The two UDP senders: pings with this launch's payload, the impairment models (each with a
 * seed of its own, so audio and video do not lose the same packets). */
static int make_senders(SkyThStream *st, const SkyThStreamCfg *sc, SkyThSession *s)
{
    const SkySdpAnnounce *an = &sc->an;
    bool legacy_ping = !(an->ml_feature_flags & SKY_ML_FF_SESSION_ID_V1);
    SkyImpairCfg vdown = st->down, adown = st->down, vup = st->up, aup = st->up;
    adown.seed ^= SEED_AUDIO;
    vup.seed += 1;
    aup.seed += 2;
    size_t vmax = (size_t)an->packet_size + 16 + SKY_VIDEO_ENC_PREFIX_LEN;
    size_t vpool = VIDEO_POOL_BYTES / vmax;
    SkyThUdpCfg vu = {
        .name = "video",
        .fd = st->video_fd,
        .allow_legacy = legacy_ping,
        .down = &vdown,
        .up = &vup,
        .max_datagram = vmax,
        .pool = vpool > VIDEO_POOL_MAX ? VIDEO_POOL_MAX : vpool,
    };
    SkyThUdpCfg au = {
        .name = "audio",
        .fd = st->audio_fd,
        .allow_legacy = legacy_ping,
        .down = &adown,
        .up = &aup,
        .max_datagram = SKY_AUDIO_MAX_DATAGRAM,
        .pool = AUDIO_POOL,
    };
    memcpy(vu.ping_payload, sc->launch.ping_payload, sizeof(vu.ping_payload));
    memcpy(au.ping_payload, sc->launch.ping_payload, sizeof(au.ping_payload));
    int ret = sky_th_udp_create(&s->video_udp, &vu);
    return ret < 0 ? ret : sky_th_udp_create(&s->audio_udp, &au);
}

/* Whether the stream is HDR (BT.2020 PQ, "HDR on"): as Sunshine, when the client asks for
 * dynamicRangeMode 1 and the display is HDR (here 10-bit needs HEVC or AV1; H.264 falls back to
 * 8-bit SDR). */
static bool stream_is_hdr(const SkyThCfg *cfg, const SkySdpAnnounce *an)
{
    return an->dynamic_range == 1 && an->codec != SKY_SDP_CODEC_H264 && !cfg->sdr_display;
}

/* The video and audio producers (encoders opened here, threads not started). */
static int make_media(SkyThStream *st, const SkyThStreamCfg *sc, SkyThSession *s)
{
    const SkyThCfg *cfg = st->h->cfg;
    const SkySdpAnnounce *an = &sc->an;
    const SkyThLaunch *l = &sc->launch;
    bool hdr = stream_is_hdr(cfg, an);
    SkyThVideoCfg vc = {
        .enc = {.codec = an->codec,
                .width = an->width,
                .height = an->height,
                .fps = an->fps,
                .bitrate_kbps = sc->bitrate_kbps,
                .slices = an->slices_per_frame,
                .ten_bit = an->dynamic_range == 1 && an->codec != SKY_SDP_CODEC_H264,
                .yuv444 = an->chroma_sampling == 1,
                .csc_mode = an->csc_mode,
                .pq = hdr,
                .mastering = hdr && !cfg->no_mastering_sei ? sky_th_hdr_display
                                                            : (SkyControlHdrMode){0}},
        .packet_size = (size_t)an->packet_size,
        .fec_percent = cfg->fec_percent,
        .min_parity = an->min_fec_packets,
        .key = an->encryption_enabled & SKY_ENC_VIDEO ? l->rikey : NULL,
        .udp = s->video_udp,
        .dump_path = cfg->dump_video,
        .clip_path = cfg->video_file,
        .log_frames = cfg->log_frames,
    };
    int ret = sky_th_video_create(&s->video, &vc);
    if (ret < 0)
        return ret;
    SkyThAudioCfg ac = {
        .channels = an->audio_channels,
        .high_quality = sc->audio_high_quality,
        .packet_duration_ms = an->packet_duration_ms,
        .key = an->encryption_enabled & SKY_ENC_AUDIO ? l->rikey : NULL,
        .key_id = l->rikeyid,
        .udp = s->audio_udp,
    };
    return sky_th_audio_create(&s->audio, &ac);
}

/* Builds every part of a session from what the ANNOUNCE asked for and starts its threads. The
 * keys in sc are copied by the parts that need them. */
static int session_create(SkyThStream *st, const SkyThStreamCfg *sc, SkyThSession **out)
{
    const SkyThCfg *cfg = st->h->cfg;
    const SkySdpAnnounce *an = &sc->an;
    int ret = SKY_ERR(ENOMEM);
    SkyThSession *s = calloc(1, sizeof(*s));
    if (!s)
        return ret;
    s->st = st;
    if ((ret = make_senders(st, sc, s)) < 0 || (ret = make_media(st, sc, s)) < 0)
        goto fail;
    SkyImpairCfg cup = st->up;
    SkyThControlCfg cc = {
        .host = st->h,
        .enet = st->enet,
        .key = sc->launch.rikey,
        .encrypted = an->encryption_enabled & SKY_ENC_CONTROL_V2,
        .drop_unencrypted = an->control_protocol == 13,
        .match_connect_data = an->ml_feature_flags & SKY_ML_FF_SESSION_ID_V1,
        .connect_data = sc->launch.connect_data,
        .ping_timeout_s = cfg->ping_timeout_s,
        .stream_seconds = cfg->stream_seconds,
        .stats = cfg->stats,
        .up = &cup,
        .hdr = stream_is_hdr(cfg, an) ? sky_th_hdr_display : (SkyControlHdrMode){0},
        .video = s->video,
        .audio = s->audio,
        .video_udp = s->video_udp,
        .audio_udp = s->audio_udp,
    };
    if ((ret = sky_th_control_create(&s->control, &cc)) < 0)
        goto fail;
    if ((ret = sky_th_video_start(s->video)) < 0 || (ret = sky_th_audio_start(s->audio)) < 0)
        goto fail;
    if ((ret = pthread_create(&s->thread, NULL, session_main, s)) != 0) {
        ret = SKY_ERR(ret);
        SKY_LOGE(TAG, "cannot start the session thread: %s", sky_strerror(ret));
        goto fail;
    }
    *out = s;
    return 0;
fail:
    session_free(&s);
    return ret;
}

/* Joins a finished session (st->lock held). */
static void reap_locked(SkyThStream *st)
{
    if (st->session && atomic_load(&st->session->done)) {
        pthread_join(st->session->thread, NULL);
        session_free(&st->session);
    }
}

/* The RTSP thread's ANNOUNCE callback. */
static int on_announce(void *opaque, const SkyThStreamCfg *sc)
{
    SkyThStream *st = opaque;
    SkyThHost *h = st->h;
    pthread_mutex_lock(&st->lock);
    reap_locked(st);
    if (st->session) {
        pthread_mutex_unlock(&st->lock);
        SKY_LOGW(TAG, "ANNOUNCE while a stream runs: 503");
        return 503;
    }
    pthread_mutex_lock(&h->lock);
    bool stopping = h->stopping;
    if (!stopping)
        h->streaming = true;
    pthread_mutex_unlock(&h->lock);
    int ret = stopping ? SKY_ERR(ESHUTDOWN) : session_create(st, sc, &st->session);
    pthread_mutex_unlock(&st->lock);
    if (ret < 0) {
        SKY_LOGE(TAG, "the stream cannot start: %s", sky_strerror(ret));
        pthread_mutex_lock(&h->lock);
        h->streaming = false;
        pthread_mutex_unlock(&h->lock);
        return 500;
    }
    sky_th_event("stream-start");
    return 200;
}

/* ---- The stream side ---- */

int sky_th_stream_send(SkyThStream *st, const uint8_t *msg, size_t len)
{
    int ret = SKY_ERR(ENOENT);
    pthread_mutex_lock(&st->lock);
    if (st->session && !atomic_load(&st->session->done))
        ret = sky_th_control_send(st->session->control, msg, len);
    pthread_mutex_unlock(&st->lock);
    return ret;
}

int sky_th_stream_command(SkyThStream *st, SkyThEnd how, uint32_t code)
{
    int ret = SKY_ERR(ENOENT);
    pthread_mutex_lock(&st->lock);
    if (st->session && !atomic_load(&st->session->done)) {
        sky_th_control_command(st->session->control, how, code);
        ret = 0;
    }
    pthread_mutex_unlock(&st->lock);
    return ret;
}

void sky_th_stream_destroy(SkyThStream **pst)
{
    SkyThStream *st = *pst;
    if (!st)
        return;
    sky_th_rtsp_destroy(&st->rtsp);
    pthread_mutex_lock(&st->lock);
    SkyThSession *s = st->session;
    st->session = NULL;
    if (s && !atomic_load(&s->done))
        sky_th_control_command(s->control, SKY_TH_END_SHUTDOWN, 0);
    pthread_mutex_unlock(&st->lock);
    if (s) {
        pthread_join(s->thread, NULL);
        session_free(&s);
    }
    if (st->video_fd >= 0)
        close(st->video_fd);
    if (st->audio_fd >= 0)
        close(st->audio_fd);
    if (st->enet)
        enet_host_destroy(st->enet);
    if (st->enet_initialized)
        enet_deinitialize();
    pthread_mutex_destroy(&st->lock);
    free(st);
    *pst = NULL;
}

static int parse_impair(const char *opt, const char *spec, SkyImpairCfg *out)
{
    char err[256];
    int ret = sky_impair_parse(spec, out, err, sizeof(err));
    if (ret < 0)
        SKY_LOGE(TAG, "--%s: %s", opt, err);
    return ret;
}

int sky_th_stream_create(SkyThStream **out, SkyThHost *h)
{
    *out = NULL;
    const SkyThCfg *cfg = h->cfg;
    SkyThStream *st = calloc(1, sizeof(*st));
    if (!st)
        return SKY_ERR(ENOMEM);
    st->h = h;
    st->video_fd = st->audio_fd = -1;
    pthread_mutex_init(&st->lock, NULL);
    int ret, rtsp_fd = -1;
    if ((ret = parse_impair("impair", cfg->impair, &st->down)) < 0 ||
        (ret = parse_impair("impair-upstream", cfg->impair_upstream, &st->up)) < 0)
        goto fail;
    if (st->up.delay_us || st->up.jitter_us || st->up.reorder > 0 || st->up.dup > 0 ||
        st->up.rate_bits_per_s)
        SKY_LOGW(TAG, "--impair-upstream: delay, jitter, reordering, duplication and rate apply "
                      "to pings only; the control stream only loses or corrupts datagrams");
    if ((ret = bind_socket(cfg, cfg->video_port, SOCK_DGRAM, "video", &st->video_fd,
                           &h->video_port)) < 0 ||
        (ret = bind_socket(cfg, cfg->audio_port, SOCK_DGRAM, "audio", &st->audio_fd,
                           &h->audio_port)) < 0 ||
        (ret = make_enet(st)) < 0 ||
        (ret = bind_socket(cfg, cfg->rtsp_port, SOCK_STREAM, "RTSP", &rtsp_fd, &h->rtsp_port)) < 0)
        goto fail;
    uint16_t ports[3] = {h->video_port, h->audio_port, h->control_port};
    ret = sky_th_rtsp_create(&st->rtsp, h, rtsp_fd, ports, on_announce, st);
    rtsp_fd = -1; /* taken, even on failure */
    if (ret < 0)
        goto fail;
    SKY_LOGI(TAG, "streaming ports: rtsp %u, video %u, audio %u, control %u", h->rtsp_port,
             h->video_port, h->audio_port, h->control_port);
    *out = st;
    return 0;
fail:
    if (rtsp_fd >= 0)
        close(rtsp_fd);
    sky_th_stream_destroy(&st);
    return ret;
}
