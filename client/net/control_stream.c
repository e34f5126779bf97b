/* The ENet control connection and its thread (control_stream.h). */
/* Threads (docs/threading.md): create/destroy on the session's thread; the control thread owns the
 * ENetHost, the peer and the sealing state; any thread may queue messages (send) and read the
 * status (atomics). */
#define _POSIX_C_SOURCE 200809L
#include "client/net/control_stream.h"

#include <enet/enet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/queue.h"
#include "common/core/stats.h"
#include "common/core/time.h"

#define TAG "control"
#define PING_INTERVAL_US 100000
#define OUT_SLOTS 256
#define DISCONNECT_WAIT_MS 2000

typedef struct OutMsg {
    size_t len;
    unsigned hints;
    int64_t capture_us; /* input: when the event was captured (0: not input) */
    uint8_t data[SKY_CONTROL_MAX_MSG];
} OutMsg;

struct SkyControlStream {
    SkyControlStreamCfg cfg;
    uint8_t key[16];
    int wake_fd;
    OutMsg *pool;
    SkyQueue *free_q;   /* free slots */
    SkyQueue *out_q;    /* queued for the control thread */
    pthread_t thread;
    bool thread_started;

    /* Control thread only (and start, before the thread exists). */
    ENetHost *host;
    ENetPeer *peer;
    SkyControlCrypto *crypto;
    int64_t next_ping_us;
    SkyLogLimit limit;
    int hdr_on;          /* the host's last HDR mode: -1 none yet, 0 off, 1 on */

    /* Shared atomics. */
    atomic_bool stop;
    atomic_bool ended;
    _Atomic int end;
    _Atomic uint32_t code;
    atomic_bool saw_frame;
    _Atomic uint32_t rtt_ms, rtt_var_ms;
    _Atomic uint64_t sent, received, dropped_auth;
    SkyHistogram input_latency; /* capture -> handed to the socket, µs (any thread reads) */
};

static pthread_once_t g_enet_once = PTHREAD_ONCE_INIT;
static int g_enet_ok;

static void enet_init_once(void)
{
    g_enet_ok = enet_initialize() == 0;
}

static void no_free(void *opaque, void *item)
{
    (void)opaque;
    (void)item; /* slots live in the pool */
}

static void wake(SkyControlStream *cs)
{
    uint64_t one = 1;
    ssize_t w = write(cs->wake_fd, &one, sizeof(one));
    (void)w;
}

/* Seals (if needed) and hands one message to ENet. Control thread. */
static int transmit(SkyControlStream *cs, const uint8_t *msg, size_t len, unsigned hints)
{
    uint8_t wire[SKY_CONTROL_MAX_WIRE];
    size_t n = 0;
    SkyControlRoute route;
    int ret = sky_control_route(msg, len, hints, (uint32_t)cs->peer->channelCount, &route);
    if (ret < 0)
        return ret;
    if (cs->crypto)
        ret = sky_control_seal(cs->crypto, msg, len, wire, sizeof(wire), &n);
    else
        ret = sky_control_plain_wrap(msg, len, wire, sizeof(wire), &n);
    if (ret < 0)
        return ret;
    enet_uint32 flags = route.delivery == SKY_CONTROL_RELIABLE      ? ENET_PACKET_FLAG_RELIABLE
                        : route.delivery == SKY_CONTROL_UNSEQUENCED ? ENET_PACKET_FLAG_UNSEQUENCED
                                                                    : 0;
    ENetPacket *p = enet_packet_create(wire, n, flags);
    if (!p)
        return SKY_ERR(ENOMEM);
    if (enet_peer_send(cs->peer, route.channel, p) < 0) {
        enet_packet_destroy(p);
        return SKY_ERR(EIO);
    }
    atomic_fetch_add(&cs->sent, 1);
    return 0;
}

/* Control thread only. The reason is stored before `ended`, which readers check first. */
static void finish(SkyControlStream *cs, SkyControlEnd end, uint32_t code)
{
    if (atomic_load(&cs->ended))
        return;
    atomic_store(&cs->end, (int)end);
    atomic_store(&cs->code, code);
    atomic_store(&cs->ended, true);
    char why[200];
    sky_control_end_message(end, code, why, sizeof(why));
    SKY_LOGI(TAG, "stream ended: %s", why);
    sky_feedback_stream_ended(cs->cfg.feedback);
}

/* One line when the host's HDR mode changes (the first "off" only at verbose level: every
 * session starts with one). Control thread. */
static void note_hdr(SkyControlStream *cs, const SkyControlHdrMode *h)
{
    int on = h->enabled ? 1 : 0;
    if (on == cs->hdr_on)
        return;
    if (on)
        SKY_LOGI(TAG, "the host's display is in HDR mode (mastering display %.4f to %u cd/m2, "
                      "content light level %u, frame average %u cd/m2)",
                 h->min_display_luminance / 10000.0, h->max_display_luminance,
                 h->max_content_light_level, h->max_frame_average_light_level);
    else if (cs->hdr_on == 1)
        SKY_LOGI(TAG, "the host's display left HDR mode");
    else
        SKY_LOGV(TAG, "the host's display is not in HDR mode");
    cs->hdr_on = on;
}

static void receive(SkyControlStream *cs, const ENetPacket *p)
{
    uint8_t msg[SKY_CONTROL_MAX_MSG];
    size_t len = 0;
    int ret = cs->crypto ? sky_control_open(cs->crypto, p->data, p->dataLength, msg, sizeof(msg),
                                            &len, NULL)
                         : sky_control_plain_unwrap(p->data, p->dataLength, msg, sizeof(msg),
                                                    &len);
    if (ret == SKY_CONTROL_ERR_AUTH) {
        atomic_fetch_add(&cs->dropped_auth, 1);
        sky_log_limited(&cs->limit, sky_time_us(), SKY_LOG_WARN, TAG,
                        "dropped a control message that does not authenticate");
        return;
    }
    SkyControlHostMsg m;
    if (ret < 0 || sky_control_parse_host(msg, len, &m) < 0) {
        sky_log_limited(&cs->limit, sky_time_us(), SKY_LOG_VERBOSE, TAG,
                        "dropped a malformed control message (%zu bytes)", (size_t)p->dataLength);
        return;
    }
    atomic_fetch_add(&cs->received, 1);
    if (m.kind == SKY_CONTROL_HOST_TERMINATION) {
        finish(cs, sky_control_termination_end(&m.u.termination, atomic_load(&cs->saw_frame)),
               m.u.termination.code);
        enet_peer_disconnect_now(cs->peer, 0);
    } else if (m.kind == SKY_CONTROL_HOST_UNKNOWN) {
        SKY_LOGD(TAG, "host message of unknown type 0x%04x ignored", m.type);
    } else {
        if (m.kind == SKY_CONTROL_HOST_HDR_MODE)
            note_hdr(cs, &m.u.hdr);
        sky_feedback_host_message(cs->cfg.feedback, &m);
    }
}

static void service(SkyControlStream *cs)
{
    ENetEvent ev;
    while (!atomic_load(&cs->ended) && enet_host_service(cs->host, &ev, 0) > 0) {
        switch (ev.type) {
        case ENET_EVENT_TYPE_RECEIVE:
            receive(cs, ev.packet);
            enet_packet_destroy(ev.packet);
            break;
        case ENET_EVENT_TYPE_DISCONNECT:
            finish(cs, SKY_CONTROL_END_CONNECTION_LOST, 0);
            break;
        default:
            break;
        }
    }
}

/* Sends what other threads queued, then flushes ENet at once so input leaves now; an input
 * message's capture-to-socket time is taken after the flush (the sendmsg). */
static void send_queued(SkyControlStream *cs)
{
    void *item;
    int64_t captured[OUT_SLOTS];
    int n_captured = 0;
    bool any = false;
    while (sky_queue_pop(cs->out_q, &item, NULL, 0) == 0) {
        OutMsg *m = item;
        if (!atomic_load(&cs->ended)) {
            if (transmit(cs, m->data, m->len, m->hints) < 0)
                SKY_LOGW(TAG, "could not send a control message");
            else if (m->capture_us > 0 && n_captured < OUT_SLOTS)
                captured[n_captured++] = m->capture_us;
            any = true;
        }
        sky_queue_push(cs->free_q, m, 0, 0);
    }
    if (!any)
        return;
    enet_host_flush(cs->host);
    int64_t now = sky_time_us();
    for (int i = 0; i < n_captured; i++)
        sky_hist_record(&cs->input_latency, (uint64_t)(now > captured[i] ? now - captured[i] : 0));
}

static void *control_thread(void *arg)
{
    SkyControlStream *cs = arg;
    uint8_t ping[16];
    size_t ping_len = 0;
    sky_control_build_ping(ping, sizeof(ping), &ping_len);
    struct pollfd fds[2] = {{cs->host->socket, POLLIN, 0}, {cs->wake_fd, POLLIN, 0}};
    while (!atomic_load(&cs->stop)) {
        int64_t now = sky_time_us();
        int timeout_ms = (int)((cs->next_ping_us - now + 999) / 1000);
        if (timeout_ms < 0)
            timeout_ms = 0;
        bool ended = atomic_load(&cs->ended);
        /* Once ended, only waiting to be stopped: ENet's socket is no longer serviced, so it
         * is not polled either (it could stay readable). */
        poll(ended ? fds + 1 : fds, ended ? 1 : 2, ended ? 100 : timeout_ms);
        if (fds[1].revents & POLLIN) {
            uint64_t v;
            ssize_t r = read(cs->wake_fd, &v, sizeof(v));
            (void)r;
        }
        if (atomic_load(&cs->ended)) {
            send_queued(cs); /* give the slots back */
            continue;
        }
        send_queued(cs);
        now = sky_time_us();
        if (now >= cs->next_ping_us) {
            transmit(cs, ping, ping_len, 0);
            cs->next_ping_us = now + PING_INTERVAL_US;
        }
        service(cs);
        enet_host_flush(cs->host);
        atomic_store(&cs->rtt_ms, cs->peer->roundTripTime);
        atomic_store(&cs->rtt_var_ms, cs->peer->roundTripTimeVariance);
    }
    if (!atomic_load(&cs->ended)) {
        /* Ours to end: a graceful disconnect once queued messages are acknowledged. */
        enet_peer_disconnect_later(cs->peer, 0);
        ENetEvent ev;
        int64_t give_up = sky_time_us() + DISCONNECT_WAIT_MS * 1000;
        bool acked = false;
        while (!acked && sky_time_us() < give_up) {
            int r = enet_host_service(cs->host, &ev, 50);
            if (r > 0 && ev.type == ENET_EVENT_TYPE_DISCONNECT)
                acked = true;
            else if (r > 0 && ev.type == ENET_EVENT_TYPE_RECEIVE)
                enet_packet_destroy(ev.packet);
            else if (r < 0)
                break;
        }
        if (!acked)
            enet_peer_reset(cs->peer);
        atomic_store(&cs->end, (int)SKY_CONTROL_END_GRACEFUL);
        atomic_store(&cs->ended, true);
    }
    return NULL;
}

/* Waits for the host to accept the connection. */
static int connect_host(SkyControlStream *cs, char *err, size_t errlen)
{
    ENetAddress addr;
    if (strchr(cs->cfg.host, ':')) {
        snprintf(err, errlen, "the control stream needs an IPv4 address (this ENet has no IPv6)");
        return SKY_ERR(EAFNOSUPPORT);
    }
    if (enet_address_set_host_ip(&addr, cs->cfg.host) < 0) {
        snprintf(err, errlen, "'%s' is not an IPv4 address", cs->cfg.host);
        return SKY_ERR(EINVAL);
    }
    addr.port = cs->cfg.port;
    cs->host = enet_host_create(NULL, 1, SKY_CONTROL_CHANNELS, 0, 0);
    if (!cs->host) {
        snprintf(err, errlen, "cannot create the ENet host");
        return SKY_ERR(EIO);
    }
    cs->peer = enet_host_connect(cs->host, &addr, SKY_CONTROL_CHANNELS, cs->cfg.connect_data);
    if (!cs->peer) {
        snprintf(err, errlen, "cannot start the ENet connection");
        return SKY_ERR(EIO);
    }
    int64_t timeout = cs->cfg.connect_timeout_ms > 0 ? cs->cfg.connect_timeout_ms : 10000;
    int64_t give_up = sky_time_us() + timeout * 1000;
    ENetEvent ev;
    while (sky_time_us() < give_up) {
        if (cs->cfg.cancel && atomic_load(cs->cfg.cancel)) {
            snprintf(err, errlen, "cancelled");
            return SKY_ERR(ECANCELED);
        }
        int r = enet_host_service(cs->host, &ev, 50);
        if (r < 0)
            break;
        if (r == 0)
            continue;
        if (ev.type == ENET_EVENT_TYPE_CONNECT) {
            /* Ten seconds without acknowledgements ends the connection. */
            enet_peer_timeout(cs->peer, 2, 10000, 10000);
            return 0;
        }
        if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
            snprintf(err, errlen, "the host refused the control connection (%s:%u)",
                     cs->cfg.host, (unsigned)cs->cfg.port);
            return SKY_ERR(ECONNREFUSED);
        }
        if (ev.type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(ev.packet);
    }
    snprintf(err, errlen, "the host did not answer on its control port %s:%u within %lld s",
             cs->cfg.host, (unsigned)cs->cfg.port, (long long)(timeout / 1000));
    return SKY_ERR(ETIMEDOUT);
}

int sky_control_stream_create(SkyControlStream **out, const SkyControlStreamCfg *cfg, char *err,
                              size_t errlen)
{
    *out = NULL;
    err[0] = '\0';
    pthread_once(&g_enet_once, enet_init_once);
    if (!g_enet_ok) {
        snprintf(err, errlen, "ENet cannot be initialised");
        return SKY_ERR(EIO);
    }
    SkyControlStream *cs = calloc(1, sizeof(*cs));
    if (!cs)
        return SKY_ERR(ENOMEM);
    cs->cfg = *cfg;
    cs->limit = (SkyLogLimit)SKY_LOG_LIMIT_INIT;
    cs->hdr_on = -1;
    sky_hist_init(&cs->input_latency);
    memcpy(cs->key, cfg->key, 16);
    cs->cfg.key = cs->key;
    cs->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    cs->pool = calloc(OUT_SLOTS, sizeof(*cs->pool));
    SkyQueueCfg qc = {OUT_SLOTS, no_free, NULL};
    int ret = cs->wake_fd >= 0 && cs->pool ? 0 : SKY_ERR(ENOMEM);
    if (ret == 0)
        ret = sky_queue_create(&cs->free_q, &qc);
    if (ret == 0)
        ret = sky_queue_create(&cs->out_q, &qc);
    for (int i = 0; ret == 0 && i < OUT_SLOTS; i++)
        ret = sky_queue_push(cs->free_q, &cs->pool[i], 0, 0);
    if (ret == 0 && cfg->encrypted)
        ret = sky_control_crypto_create(&cs->crypto, cs->key, SKY_CONTROL_CLIENT);
    if (ret == 0)
        ret = connect_host(cs, err, errlen);
    if (ret == 0) {
        /* The opening messages ("start A", then "start B"), then a first ping at once. */
        uint8_t msg[16];
        size_t n;
        sky_control_build_idr_request(msg, sizeof(msg), &n);
        ret = transmit(cs, msg, n, SKY_CONTROL_ROUTE_STARTUP);
        sky_control_build_start_b(msg, sizeof(msg), &n);
        if (ret == 0)
            ret = transmit(cs, msg, n, 0);
        enet_host_flush(cs->host);
        cs->next_ping_us = sky_time_us();
        if (ret < 0)
            snprintf(err, errlen, "cannot send the opening control messages");
    }
    if (ret == 0) {
        if (pthread_create(&cs->thread, NULL, control_thread, cs) != 0) {
            ret = SKY_ERR(EAGAIN);
            snprintf(err, errlen, "cannot start the control thread");
        } else {
            cs->thread_started = true;
        }
    }
    if (ret < 0) {
        if (!err[0])
            snprintf(err, errlen, "control stream: %s", sky_strerror(ret));
        sky_control_stream_destroy(&cs);
        return ret;
    }
    SKY_LOGV(TAG, "connected to %s:%u%s", cfg->host, (unsigned)cfg->port,
             cfg->encrypted ? " (encrypted)" : "");
    *out = cs;
    return 0;
}

void sky_control_stream_destroy(SkyControlStream **pcs)
{
    SkyControlStream *cs = *pcs;
    if (!cs)
        return;
    atomic_store(&cs->stop, true);
    if (cs->thread_started) {
        wake(cs);
        pthread_join(cs->thread, NULL);
    } else if (cs->peer) {
        enet_peer_reset(cs->peer);
    }
    if (cs->host)
        enet_host_destroy(cs->host);
    sky_control_crypto_destroy(&cs->crypto);
    sky_queue_destroy(&cs->out_q);
    sky_queue_destroy(&cs->free_q);
    free(cs->pool);
    if (cs->wake_fd >= 0)
        close(cs->wake_fd);
    sky_wipe(cs->key, sizeof(cs->key));
    free(cs);
    *pcs = NULL;
}

int sky_control_stream_send_at(SkyControlStream *cs, const uint8_t *msg, size_t len,
                               unsigned route_hints, int64_t capture_us)
{
    if (atomic_load(&cs->ended))
        return SKY_ERR(EPIPE);
    if (len > SKY_CONTROL_MAX_MSG)
        return SKY_ERR(EMSGSIZE);
    void *item;
    if (sky_queue_pop(cs->free_q, &item, NULL, 0) < 0)
        return SKY_ERR(EAGAIN);
    OutMsg *m = item;
    memcpy(m->data, msg, len);
    m->len = len;
    m->hints = route_hints;
    m->capture_us = capture_us;
    int ret = sky_queue_push(cs->out_q, m, 0, 0);
    if (ret < 0) {
        sky_queue_push(cs->free_q, m, 0, 0);
        return ret;
    }
    wake(cs);
    return 0;
}

int sky_control_stream_send(SkyControlStream *cs, const uint8_t *msg, size_t len,
                            unsigned route_hints)
{
    return sky_control_stream_send_at(cs, msg, len, route_hints, 0);
}

int sky_control_stream_request_idr(SkyControlStream *cs)
{
    uint8_t msg[16];
    size_t n;
    sky_control_build_idr_request(msg, sizeof(msg), &n);
    return sky_control_stream_send(cs, msg, n, 0);
}

int sky_control_stream_request_rfi(SkyControlStream *cs, uint32_t first, uint32_t last)
{
    uint8_t msg[64];
    size_t n;
    int ret = sky_control_build_rfi(first, last, msg, sizeof(msg), &n);
    return ret < 0 ? ret : sky_control_stream_send(cs, msg, n, 0);
}

void sky_control_stream_status(SkyControlStream *cs, SkyControlStatus *out)
{
    out->ended = atomic_load(&cs->ended);
    out->end = (SkyControlEnd)atomic_load(&cs->end);
    out->code = atomic_load(&cs->code);
    out->rtt_ms = atomic_load(&cs->rtt_ms);
    out->rtt_var_ms = atomic_load(&cs->rtt_var_ms);
    out->sent = atomic_load(&cs->sent);
    out->received = atomic_load(&cs->received);
    out->dropped_auth = atomic_load(&cs->dropped_auth);
    out->input_sent = sky_hist_count(&cs->input_latency);
    out->input_p50_us = sky_hist_percentile(&cs->input_latency, 50);
    out->input_p99_us = sky_hist_percentile(&cs->input_latency, 99);
}

void sky_control_stream_saw_frame(SkyControlStream *cs)
{
    atomic_store(&cs->saw_frame, true);
}
