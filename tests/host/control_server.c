/* The test host's ENet control stream and the session thread's loop (control_server.h). */
#include "tests/host/control_server.h"

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/proto/control.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/hex.h"
#include "common/proto/input.h"
#include "common/core/log.h"
#include "common/core/time.h"
#include "tests/host/proto/control_host.h"
#include "tests/host/proto/input_parse.h"

#define TAG "th-control"
/* ENet needs servicing for its retransmissions and pings even without traffic. */
#define SERVICE_INTERVAL_MS 10
/* How long a termination message may take to be acknowledged before the peer is dropped. */
#define LINGER_US 1000000
/* Input packets longer than this are shown cut (an event line holds 1 KiB). */
#define INPUT_HEX_MAX 480
/* Host messages queued by stdin commands (rumble, LED, ...) until the session thread sends them. */
#define OUTBOX_SLOTS 16

struct SkyThControl {
    SkyThControlCfg cfg;
    uint8_t key[SKY_CONTROL_KEY_LEN];
    SkyImpairCfg up_cfg;
    int wake_fd;

    /* Session thread only. */
    SkyControlCrypto *crypto;    /* NULL: unencrypted control stream */
    SkyImpair *up;               /* NULL: no upstream impairment */
    ENetPeer *peer;              /* the session's connected peer */
    bool hdr_sent;
    bool start_a_seen;           /* the first IDR request (start A) has come */
    int64_t start_us, last_event_us;
    uint64_t up_dropped;
    SkyLogLimit drop_limit;
    struct {
        int64_t next_us;
        SkyThVideoStats video;
        SkyThUdpStats vu, au;
        SkyThAudioStats audio;
        uint64_t up_dropped;
    } st;                        /* --stats: the previous line's totals */

    pthread_mutex_t lock;
    /* Guarded by lock. */
    SkyThEnd command;
    uint32_t command_code;
    struct {
        uint8_t msg[64];
        size_t len;
    } outbox[OUTBOX_SLOTS];
    size_t outbox_count;
};

const char *sky_th_end_name(SkyThEnd e)
{
    switch (e) {
    case SKY_TH_END_CLIENT_DISCONNECT:
        return "client-disconnect";
    case SKY_TH_END_PING_TIMEOUT:
        return "ping-timeout";
    case SKY_TH_END_NO_PING:
        return "no-ping";
    case SKY_TH_END_CONTROL_AUTH:
        return "control-auth";
    case SKY_TH_END_QUIT_APP:
        return "quit-app";
    case SKY_TH_END_TERMINATE:
        return "terminate";
    case SKY_TH_END_DROP:
        return "drop";
    case SKY_TH_END_STREAM_SECONDS:
        return "stream-seconds";
    case SKY_TH_END_SHUTDOWN:
        return "shutdown";
    case SKY_TH_END_ERROR:
        return "error";
    default:
        return "none";
    }
}

void sky_th_control_command(SkyThControl *c, SkyThEnd how, uint32_t code)
{
    pthread_mutex_lock(&c->lock);
    if (c->command == SKY_TH_END_NONE) {
        c->command = how;
        c->command_code = code;
    }
    pthread_mutex_unlock(&c->lock);
    uint64_t one = 1;
    ssize_t r = write(c->wake_fd, &one, sizeof(one));
    (void)r;
}

void sky_th_control_destroy(SkyThControl **pc)
{
    SkyThControl *c = *pc;
    if (!c)
        return;
    sky_control_crypto_destroy(&c->crypto);
    sky_impair_destroy(&c->up);
    if (c->wake_fd >= 0)
        close(c->wake_fd);
    pthread_mutex_destroy(&c->lock);
    sky_wipe(c->key, sizeof(c->key));
    free(c);
    *pc = NULL;
}

int sky_th_control_create(SkyThControl **out, const SkyThControlCfg *cfg)
{
    *out = NULL;
    SkyThControl *c = calloc(1, sizeof(*c));
    if (!c)
        return SKY_ERR(ENOMEM);
    c->cfg = *cfg;
    memcpy(c->key, cfg->key, sizeof(c->key));
    c->cfg.key = c->key;
    c->drop_limit = (SkyLogLimit)SKY_LOG_LIMIT_INIT;
    pthread_mutex_init(&c->lock, NULL);
    c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int ret = c->wake_fd < 0 ? SKY_ERR(errno) : 0;
    if (ret == 0 && cfg->encrypted)
        ret = sky_control_crypto_create(&c->crypto, c->key, SKY_CONTROL_HOST);
    if (ret == 0 && cfg->up && !sky_impair_cfg_is_none(cfg->up)) {
        c->up_cfg = *cfg->up;
        ret = sky_impair_create(&c->up, &c->up_cfg);
    }
    if (ret < 0) {
        sky_th_control_destroy(&c);
        return ret;
    }
    c->cfg.up = c->up ? &c->up_cfg : NULL;
    *out = c;
    return 0;
}

/* ---- Upstream impairment: ENet's intercept callback ---- */

/* The control object of the session thread that services the ENet host (ENet's host has no
 * user pointer). */
static _Thread_local SkyThControl *tl_control;

static int ENET_CALLBACK intercept(ENetHost *host, ENetEvent *event)
{
    (void)event;
    SkyThControl *c = tl_control;
    if (!c || !c->up)
        return 0;
    SkyImpairOut o;
    size_t len = host->receivedDataLength;
    if (sky_impair_packet(c->up, len, sky_time_us(), &o) == SKY_IMPAIR_DROP) {
        c->up_dropped++;
        return 1; /* swallowed: ENet never sees it */
    }
    if (o.corrupt)
        sky_impair_flip_bit(host->receivedData, len, o.corrupt_bit);
    return 0;
}

/* ---- Sending ---- */

static int send_msg(SkyThControl *c, const uint8_t *msg, size_t len)
{
    if (!c->peer)
        return SKY_ERR(ENOTCONN);
    uint8_t wire[SKY_CONTROL_MAX_WIRE];
    size_t wl = 0;
    int ret = c->crypto ? sky_control_seal(c->crypto, msg, len, wire, sizeof(wire), &wl)
                        : sky_control_plain_wrap(msg, len, wire, sizeof(wire), &wl);
    if (ret < 0)
        return ret;
    ENetPacket *p = enet_packet_create(wire, wl, ENET_PACKET_FLAG_RELIABLE);
    if (!p)
        return SKY_ERR(ENOMEM);
    if (enet_peer_send(c->peer, 0, p) < 0) {
        enet_packet_destroy(p);
        return SKY_ERR(EIO);
    }
    enet_host_flush(c->cfg.enet);
    return 0;
}

static void send_hdr(SkyThControl *c)
{
    uint8_t msg[SKY_CONTROL_MAX_MSG];
    size_t len;
    if (sky_control_build_hdr_mode(&c->cfg.hdr, msg, sizeof(msg), &len) == 0 &&
        send_msg(c, msg, len) == 0) {
        SKY_LOGV(TAG, "sent HDR mode: %s", c->cfg.hdr.enabled ? "on" : "off");
        sky_th_event("hdr-mode enabled=%d", c->cfg.hdr.enabled ? 1 : 0);
    }
    c->hdr_sent = true;
}

/* ---- Receiving ---- */

/* Logs one input packet, decoded, with its arrival time on the session's clock and on
 * CLOCK_MONOTONIC (benchmarks on the same machine compare it with when they made the input); a
 * packet that does not parse is shown in hex. Returns the decoded packet's kind (UNKNOWN if it
 * did not). */
static bool log_input(SkyThControl *c, const uint8_t *data, size_t len, SkyInputPacket *p)
{
    int64_t now = sky_time_us(), at = now - c->start_us;
    if (sky_input_parse(data, len, p) == 0) {
        char text[256];
        sky_input_format(p, text, sizeof(text));
        sky_th_event("input %s at_us=%lld mono_us=%lld", text, (long long)at, (long long)now);
        return true;
    }
    char hex[2 * INPUT_HEX_MAX + 1];
    size_t n = len > INPUT_HEX_MAX ? INPUT_HEX_MAX : len;
    sky_hex_encode(data, n, hex, false);
    sky_th_event("input-malformed len=%zu hex=%s%s at_us=%lld mono_us=%lld", len, hex,
                 n < len ? "..." : "", (long long)at, (long long)now);
    return false;
}

/* Handles one client message. Returns SKY_TH_END_NONE or why the session must end. */
static SkyThEnd handle_msg(SkyThControl *c, const uint8_t *msg, size_t len)
{
    SkyControlClientMsg m;
    if (sky_control_parse_client(msg, len, &m) < 0) {
        SKY_LOGV(TAG, "malformed control message (%zu bytes) ignored", len);
        return SKY_TH_END_NONE;
    }
    switch (m.kind) {
    case SKY_CONTROL_CLIENT_IDR_REQUEST:
    case SKY_CONTROL_CLIENT_START_A: {
        uint32_t last = sky_th_video_last_frame(c->cfg.video);
        sky_th_event("idr-request frame=%u", last);
        /* The session's first request is start A: the stream's first frame (an IDR) answers
         * it, also when the first ping beat it here by a frame (Sunshine's slower capture
         * start makes that race impossible there). */
        if (!c->start_a_seen && last <= 1)
            SKY_LOGV(TAG, "start A: served by the first frame");
        else
            sky_th_video_request_idr(c->cfg.video);
        c->start_a_seen = true;
        break;
    }
    case SKY_CONTROL_CLIENT_RFI:
        sky_th_event("rfi first=%llu last=%llu", (unsigned long long)m.u.rfi.first_frame,
                     (unsigned long long)m.u.rfi.last_frame);
        sky_th_video_request_idr(c->cfg.video);
        break;
    case SKY_CONTROL_CLIENT_INPUT: {
        SkyInputPacket p;
        bool ok = log_input(c, m.u.input.data, m.u.input.len, &p);
        sky_th_video_note_input(c->cfg.video, ok ? &p : NULL);
        break;
    }
    case SKY_CONTROL_CLIENT_FEC_STATUS: {
        const SkyControlFecStatus *f = &m.u.fec; /* Sunshine logs these (verbose) */
        sky_th_event("fec-status frame=%u block=%u/%u data=%u/%u parity=%u/%u", f->frame_index,
                     f->multi_fec_block_index, f->multi_fec_block_count, f->received_data_packets,
                     f->total_data_packets, f->received_parity_packets, f->total_parity_packets);
        break;
    }
    case SKY_CONTROL_CLIENT_START_B:
    case SKY_CONTROL_CLIENT_PING:
    case SKY_CONTROL_CLIENT_LOSS_STATS:
        SKY_LOGD(TAG, "control message 0x%04x", m.type);
        break;
    default:
        SKY_LOGD(TAG, "unknown control message 0x%04x (%zu bytes) ignored", m.type, len);
        break;
    }
    return SKY_TH_END_NONE;
}

static SkyThEnd receive(SkyThControl *c, const uint8_t *data, size_t len)
{
    uint8_t msg[SKY_CONTROL_MAX_MSG];
    size_t mlen = 0;
    bool wrapped = len >= 2 && data[0] == (SKY_CONTROL_ENCRYPTED & 0xff) &&
                   data[1] == (SKY_CONTROL_ENCRYPTED >> 8);
    if (c->crypto && wrapped) {
        int ret = sky_control_open(c->crypto, data, len, msg, sizeof(msg), &mlen, NULL);
        if (ret == SKY_CONTROL_ERR_AUTH) {
            SKY_LOGW(TAG, "a control message failed its tag: ending the session (as Sunshine)");
            return SKY_TH_END_CONTROL_AUTH;
        }
        if (ret < 0) {
            SKY_LOGV(TAG, "runt or malformed encrypted control message (%zu bytes) ignored", len);
            return SKY_TH_END_NONE;
        }
        return handle_msg(c, msg, mlen);
    }
    if (c->cfg.drop_unencrypted) {
        sky_log_limited(&c->drop_limit, sky_time_us(), SKY_LOG_WARN, TAG,
                        "dropping an unencrypted message on the encrypted control stream");
        return SKY_TH_END_NONE;
    }
    if (sky_control_plain_unwrap(data, len, msg, sizeof(msg), &mlen) < 0) {
        SKY_LOGV(TAG, "malformed control message (%zu bytes) ignored", len);
        return SKY_TH_END_NONE;
    }
    return handle_msg(c, msg, mlen);
}

static void peer_text(const ENetPeer *p, char *out, size_t cap)
{
    struct in_addr a = {.s_addr = p->address.host};
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &a, ip, sizeof(ip));
    snprintf(out, cap, "%s:%u", ip, p->address.port);
}

static SkyThEnd on_event(SkyThControl *c, const ENetEvent *ev, int64_t now)
{
    char who[64];
    switch (ev->type) {
    case ENET_EVENT_TYPE_CONNECT:
        peer_text(ev->peer, who, sizeof(who));
        if (c->peer || (c->cfg.match_connect_data && ev->data != c->cfg.connect_data)) {
            SKY_LOGW(TAG, "rejected control peer %s (connect data %u)", who, ev->data);
            enet_peer_disconnect_now(ev->peer, 0);
            return SKY_TH_END_NONE;
        }
        c->peer = ev->peer;
        c->last_event_us = now;
        SKY_LOGI(TAG, "control peer %s connected", who);
        pthread_mutex_lock(&c->cfg.host->lock);
        c->cfg.host->launch_pending = false; /* Sunshine clears the launch session here */
        pthread_mutex_unlock(&c->cfg.host->lock);
        sky_th_event("client control=%s", who);
        return SKY_TH_END_NONE;
    case ENET_EVENT_TYPE_RECEIVE: {
        SkyThEnd end = SKY_TH_END_NONE;
        if (ev->peer == c->peer) {
            c->last_event_us = now;
            end = receive(c, ev->packet->data, ev->packet->dataLength);
        }
        enet_packet_destroy(ev->packet);
        return end;
    }
    case ENET_EVENT_TYPE_DISCONNECT:
        if (ev->peer != c->peer)
            return SKY_TH_END_NONE;
        c->peer = NULL;
        SKY_LOGI(TAG, "control peer disconnected");
        return SKY_TH_END_CLIENT_DISCONNECT;
    default:
        return SKY_TH_END_NONE;
    }
}

/* ---- Host messages on command ---- */

int sky_th_control_send(SkyThControl *c, const uint8_t *msg, size_t len)
{
    int ret = 0;
    pthread_mutex_lock(&c->lock);
    if (len > sizeof(c->outbox[0].msg))
        ret = SKY_ERR(EMSGSIZE);
    else if (c->outbox_count == OUTBOX_SLOTS)
        ret = SKY_ERR(EAGAIN);
    else {
        memcpy(c->outbox[c->outbox_count].msg, msg, len);
        c->outbox[c->outbox_count++].len = len;
    }
    pthread_mutex_unlock(&c->lock);
    uint64_t one = 1;
    ssize_t r = write(c->wake_fd, &one, sizeof(one));
    (void)r;
    return ret;
}

static void send_outbox(SkyThControl *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->outbox_count;
    for (size_t i = 0; i < n && c->peer; i++) {
        SkyControlHostMsg m;
        if (send_msg(c, c->outbox[i].msg, c->outbox[i].len) == 0 &&
            sky_control_parse_host(c->outbox[i].msg, c->outbox[i].len, &m) == 0)
            sky_th_event("sent type=0x%04x", m.type);
    }
    if (c->peer)
        c->outbox_count = 0; /* without a peer they wait for one */
    pthread_mutex_unlock(&c->lock);
}

/* ---- The loop ---- */

static void stats_line(SkyThControl *c, int64_t now)
{
    if (!c->cfg.stats || now < c->st.next_us)
        return;
    c->st.next_us = now + 1000000;
    SkyThVideoStats v;
    SkyThUdpStats vu, au;
    SkyThAudioStats a;
    sky_th_video_stats(c->cfg.video, &v);
    sky_th_audio_stats(c->cfg.audio, &a);
    sky_th_udp_stats(c->cfg.video_udp, &vu);
    sky_th_udp_stats(c->cfg.audio_udp, &au);
    sky_th_event("stats video_frames=%llu video_datagrams=%llu video_bytes=%llu "
                 "video_dropped=%llu video_overflow=%llu audio_packets=%llu "
                 "audio_datagrams=%llu audio_dropped=%llu upstream_dropped=%llu",
                 (unsigned long long)(v.frames - c->st.video.frames),
                 (unsigned long long)(vu.sent - c->st.vu.sent),
                 (unsigned long long)(vu.sent_bytes - c->st.vu.sent_bytes),
                 (unsigned long long)(vu.impair_dropped - c->st.vu.impair_dropped),
                 (unsigned long long)(vu.overflow - c->st.vu.overflow),
                 (unsigned long long)(a.packets - c->st.audio.packets),
                 (unsigned long long)(au.sent - c->st.au.sent),
                 (unsigned long long)(au.impair_dropped - c->st.au.impair_dropped),
                 (unsigned long long)(c->up_dropped + vu.pings_dropped + au.pings_dropped -
                                      c->st.up_dropped));
    c->st.video = v;
    c->st.vu = vu;
    c->st.au = au;
    c->st.audio = a;
    c->st.up_dropped = c->up_dropped + vu.pings_dropped + au.pings_dropped;
}

/* Why the session must end now, from the clocks and the other threads (NONE: go on). */
static SkyThEnd check(SkyThControl *c, int64_t now, uint32_t *code)
{
    pthread_mutex_lock(&c->lock);
    SkyThEnd cmd = c->command;
    *code = c->command_code;
    pthread_mutex_unlock(&c->lock);
    if (cmd != SKY_TH_END_TERMINATE)
        *code = SKY_CONTROL_TERM_CLOSED; /* Sunshine's only code: the app quit, host stopped */
    if (cmd != SKY_TH_END_NONE)
        return cmd;
    int64_t timeout = (int64_t)c->cfg.ping_timeout_s * 1000000;
    if (sky_th_video_error(c->cfg.video) || sky_th_audio_error(c->cfg.audio))
        return SKY_TH_END_ERROR;
    if (now - c->start_us > timeout && (!sky_th_udp_has_client(c->cfg.video_udp) ||
                                        !sky_th_udp_has_client(c->cfg.audio_udp))) {
        SKY_LOGW(TAG, "no %s ping within %d s", sky_th_udp_has_client(c->cfg.video_udp) ? "audio"
                 : "video", c->cfg.ping_timeout_s);
        return SKY_TH_END_NO_PING;
    }
    if (now - c->last_event_us > timeout) {
        SKY_LOGW(TAG, "no control traffic for %d s", c->cfg.ping_timeout_s);
        return SKY_TH_END_PING_TIMEOUT;
    }
    int64_t vstart = sky_th_video_start_us(c->cfg.video);
    if (c->cfg.stream_seconds > 0 && vstart != 0 &&
        now - vstart >= (int64_t)c->cfg.stream_seconds * 1000000)
        return SKY_TH_END_STREAM_SECONDS;
    return SKY_TH_END_NONE;
}

/* Sends the termination, then lets ENet deliver it (the client disconnects on receipt). */
static void terminate(SkyThControl *c, uint32_t code)
{
    uint8_t msg[SKY_CONTROL_MAX_MSG];
    size_t len;
    if (sky_control_build_termination(code, msg, sizeof(msg), &len) < 0 ||
        send_msg(c, msg, len) < 0)
        return;
    SKY_LOGI(TAG, "sent termination 0x%08x", code);
    enet_peer_disconnect_later(c->peer, 0);
    int64_t end = sky_time_us() + LINGER_US;
    while (c->peer && sky_time_us() < end) {
        ENetEvent ev;
        int r = enet_host_service(c->cfg.enet, &ev, SERVICE_INTERVAL_MS);
        if (r > 0)
            on_event(c, &ev, sky_time_us());
        else if (r < 0)
            break;
    }
}

static void disconnect_all(SkyThControl *c)
{
    if (c->peer)
        enet_peer_disconnect_now(c->peer, 0);
    c->peer = NULL;
    for (size_t i = 0; i < c->cfg.enet->peerCount; i++) {
        ENetPeer *p = &c->cfg.enet->peers[i];
        if (p->state != ENET_PEER_STATE_DISCONNECTED)
            enet_peer_reset(p);
    }
    enet_host_flush(c->cfg.enet);
}

SkyThEnd sky_th_control_run(SkyThControl *c)
{
    tl_control = c;
    c->cfg.enet->intercept = intercept;
    c->start_us = c->last_event_us = sky_time_us();
    c->st.next_us = c->start_us + 1000000;
    SkyThEnd end = SKY_TH_END_NONE;
    uint32_t code = SKY_CONTROL_TERM_CLOSED;
    while (end == SKY_TH_END_NONE) {
        struct pollfd p[2] = {{.fd = c->cfg.enet->socket, .events = POLLIN},
                              {.fd = c->wake_fd, .events = POLLIN}};
        int r = poll(p, 2, SERVICE_INTERVAL_MS);
        if (r > 0 && p[1].revents) {
            uint64_t v;
            ssize_t rr = read(c->wake_fd, &v, sizeof(v));
            (void)rr;
        }
        ENetEvent ev;
        while (end == SKY_TH_END_NONE && (r = enet_host_service(c->cfg.enet, &ev, 0)) > 0)
            end = on_event(c, &ev, sky_time_us());
        if (r < 0) {
            SKY_LOGE(TAG, "ENet service failed");
            end = SKY_TH_END_ERROR;
        }
        int64_t now = sky_time_us();
        if (end == SKY_TH_END_NONE)
            end = check(c, now, &code);
        if (end == SKY_TH_END_NONE && c->peer && !c->hdr_sent &&
            sky_th_video_capturing(c->cfg.video))
            send_hdr(c);
        if (end == SKY_TH_END_NONE)
            send_outbox(c);
        stats_line(c, now);
    }
    if (c->peer && (end == SKY_TH_END_QUIT_APP || end == SKY_TH_END_TERMINATE ||
                    end == SKY_TH_END_STREAM_SECONDS || end == SKY_TH_END_SHUTDOWN))
        terminate(c, code);
    disconnect_all(c);
    c->cfg.enet->intercept = NULL;
    tl_control = NULL;
    return end;
}
