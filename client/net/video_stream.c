/* The video receiver: socket, pings, decrypt, frame assembly, jitter buffer, keyframe requests,
 * frame generations (video_stream.h). */
/* Threads (docs/threading.md): create/destroy on the session's thread; the receive thread owns
 * the socket, the assembler, the jitter clock, the GCM context and the producer's side of the
 * video pipeline; the decoder thread's reports arrive through the SkyFeedback; figures are
 * atomics any thread reads. */
#define _POSIX_C_SOURCE 200809L
#include "client/net/video_stream.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/net/media_socket.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/proto/frame_assembler.h"
#include "common/core/log.h"
#include "common/core/seq.h"
#include "common/core/time.h"
#include "common/proto/video_packet.h"

#define TAG "video"
#define BATCH 32
#define MAX_BATCHES 16
#define PING_INTERVAL_US 500000
#define NO_VIDEO_US 10000000
#define SOCKET_BUFFER (8 * 1024 * 1024)
/* Lost frames written to --stats-json one by one, per loss event; the rest are only counted. */
#define MAX_LOST_LINES 64

struct SkyVideoStream {
    SkyVideoStreamCfg cfg;
    uint8_t key[16];
    SkyMediaSocket sock;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;

    /* Receive thread only. */
    SkyAssembler *asm_;
    SkyJitter *jitter;
    SkyGcm *gcm;
    size_t wire_len;            /* datagram size on the wire */
    uint8_t (*bufs)[SKY_VIDEO_MAX_PACKET_SIZE + 64];
    uint8_t plain[SKY_VIDEO_MAX_PACKET_SIZE + 64];
    int64_t next_ping_us;
    int64_t next_cpu_us;
    int64_t start_us, first_datagram_us, last_frame_us;
    bool have_seq;
    uint64_t max_seq_ext;       /* highest extended RTP sequence seen */
    uint64_t first_seq_ext;
    bool recovering;            /* a frame was lost; decoding waits for a recovery frame */
    int64_t loss_us;            /* when the loss was noticed */
    SkyLogLimit limit;

    /* Figures (receive thread writes). */
    _Atomic uint64_t bytes, datagrams, unique, expected, recovered, lost_frames, idr_requests,
        rfi_requests;
    _Atomic int64_t target_us;
    _Atomic uint64_t cpu_us;     /* the receive thread's CPU time, sampled every 100 ms */
    _Atomic uint64_t recoveries;
    _Atomic int64_t recovery_last_us, recovery_max_us;
    atomic_bool failed;
    _Atomic int fail_why;
};

static void send_ping(SkyVideoStream *vs, int64_t now)
{
    int ret = sky_media_socket_ping(&vs->sock);
    if (ret < 0)
        sky_log_limited(&vs->limit, now, SKY_LOG_WARN, TAG, "video ping failed: %s",
                        sky_strerror(ret));
    vs->next_ping_us = now + PING_INTERVAL_US;
}

/* Receive thread only. The reason is stored before `failed`, which readers check first. */
static void fail(SkyVideoStream *vs, SkyControlEnd why)
{
    if (atomic_load(&vs->failed))
        return;
    atomic_store(&vs->fail_why, (int)why);
    atomic_store(&vs->failed, true);
    sky_feedback_stream_ended(vs->cfg.feedback);
}

/* What the pipeline is told about a frame from the network. */
static SkyFrameMeta frame_meta(const SkyAsmFrameInfo *fi)
{
    return (SkyFrameMeta){
        .pts_us = (int64_t)fi->rtp_ts * 1000 / 90,
        .pts = fi->frame_index, /* --frame-md5 lines carry the host's frame number */
        .duration = 1,
        .keyframe = fi->frame_type == SKY_FRAME_TYPE_IDR,
        .net = {.valid = true,
                .host_frame = fi->frame_index,
                .frame_type = fi->frame_type,
                .first_packet_us = fi->first_packet_us,
                .last_packet_us = fi->last_packet_us,
                .host_latency_us = (uint32_t)fi->host_latency_100us * 100,
                .data_shards = fi->data_shards,
                .parity_shards = fi->parity_shards,
                .recovered_shards = fi->recovered_shards},
    };
}

/* Frames that never reach the decoder still get a timeline (dropped, with the reason); a lost
 * one (fi NULL) has only its number. */
static void report_unused(SkyVideoStream *vs, const SkyAsmFrameInfo *fi, uint32_t host_frame,
                          SkyDropReason why)
{
    SkyFrameMeta meta = {.net = {.valid = true, .host_frame = host_frame}};
    if (fi)
        meta = frame_meta(fi);
    sky_video_pipeline_skip(vs->cfg.vp, &meta, fi ? (uint32_t)fi->len : 0, why);
}

/* Folds new decode times from the decoder thread into the jitter clock. */
static void fold_decode_times(SkyVideoStream *vs)
{
    int64_t us;
    while (sky_feedback_take_decode_time(vs->cfg.feedback, &us))
        sky_jitter_decoded(vs->jitter, us);
}

/* What is queued for the decoder cannot be decoded any more: a new generation starts, at the
 * keyframe the assembler now waits for. */
static void new_generation(SkyVideoStream *vs, bool reset_jitter)
{
    uint32_t gen = sky_video_pipeline_new_generation(vs->cfg.vp);
    if (reset_jitter)
        sky_jitter_reset(vs->jitter);
    SKY_LOGV(TAG, "frame generation %u", gen);
}

/* The decoder asked for a keyframe (a decode error, or its fall-back to software). A need for
 * a generation already replaced was answered before. */
static void take_keyframe_need(SkyVideoStream *vs, int64_t now)
{
    SkyKeyframeNeed need;
    if (!sky_feedback_take_keyframe_need(vs->cfg.feedback, &need) ||
        need.gen != sky_video_pipeline_generation(vs->cfg.vp))
        return;
    /* A new decoder decodes at another pace: its times start afresh. */
    new_generation(vs, need.fell_back);
    sky_assembler_need_idr(vs->asm_, now);
}

static void deliver(SkyVideoStream *vs, const SkyAsmFrameInfo *fi, int64_t now)
{
    const uint8_t *au = sky_assembler_frame_data(vs->asm_);
    bool key = fi->frame_type == SKY_FRAME_TYPE_IDR;
    if (vs->cfg.recorder)
        sky_recorder_video(vs->cfg.recorder, au, fi->len, key, fi->rtp_ts);
    fold_decode_times(vs);
    SkyJitterTimes jt = sky_jitter_frame(vs->jitter, fi->rtp_ts, fi->last_packet_us);
    atomic_store(&vs->target_us, sky_jitter_target_us(vs->jitter));
    AVPacket *pkt = av_packet_alloc();
    if (!pkt || av_new_packet(pkt, (int)fi->len) < 0) {
        av_packet_free(&pkt);
        report_unused(vs, fi, fi->frame_index, SKY_DROP_FLUSHED);
        sky_assembler_need_idr(vs->asm_, now);
        return;
    }
    memcpy(pkt->data, au, fi->len);
    if (key)
        pkt->flags |= AV_PKT_FLAG_KEY;
    SkyFrameMeta meta = frame_meta(fi);
    meta.release_us = jt.release_us > now ? jt.release_us : 0;
    meta.present_us = jt.present_us;
    meta.net.release_us = jt.release_us > now ? jt.release_us : now;
    /* Never block the receive thread: a full queue means the decoder cannot keep up, and the
     * frame is gone (its successors need a keyframe). */
    int ret = sky_video_pipeline_submit(vs->cfg.vp, &pkt, &meta, 0);
    if (ret < 0) {
        av_packet_free(&pkt);
        report_unused(vs, fi, fi->frame_index, SKY_DROP_FLUSHED);
        sky_log_limited(&vs->limit, now, SKY_LOG_WARN, TAG,
                        "the decoder is behind: dropping a frame and asking for a keyframe");
        sky_assembler_need_idr(vs->asm_, now);
        return;
    }
    vs->last_frame_us = now;
    if (vs->recovering) {
        /* The first frame handed out after a loss is a recovery frame (the assembler sees to
         * it): the episode is over. */
        vs->recovering = false;
        int64_t took = now - vs->loss_us;
        atomic_fetch_add(&vs->recoveries, 1);
        atomic_store(&vs->recovery_last_us, took);
        if (took > atomic_load(&vs->recovery_max_us))
            atomic_store(&vs->recovery_max_us, took);
        SKY_LOGV(TAG, "decoding again %.1f ms after a loss", (double)took / 1000.0);
    }
    if (vs->cfg.control)
        sky_control_stream_saw_frame(vs->cfg.control);
}

/* Sunshine's per-frame FEC report (we announce SKY_ML_FF_FEC_STATUS): best effort. */
static void send_fec_status(SkyVideoStream *vs, const SkyAsmBlockStatus *b)
{
    SkyControlFecStatus st = {
        .frame_index = b->frame_index,
        .highest_received_seq = b->highest_seq,
        .next_contiguous_seq = b->next_contiguous_seq,
        .missing_before_highest = b->missing_before_highest,
        .total_data_packets = b->data_shards,
        .total_parity_packets = b->parity_shards,
        .received_data_packets = b->received_data,
        .received_parity_packets = b->received_parity,
        .fec_percentage = b->fec_percentage,
        .multi_fec_block_index = b->block,
        .multi_fec_block_count = b->blocks,
    };
    uint8_t msg[64];
    size_t n;
    if (sky_control_build_fec_status(&st, msg, sizeof(msg), &n) == 0)
        sky_control_stream_send(vs->cfg.control, msg, n, 0);
}

static void handle_events(SkyVideoStream *vs, int64_t now)
{
    SkyAsmEvent ev;
    while (sky_assembler_poll(vs->asm_, now, &ev)) {
        switch (ev.type) {
        case SKY_ASM_FRAME:
            deliver(vs, &ev.frame, now);
            break;
        case SKY_ASM_DROPPED:
            report_unused(vs, &ev.frame, ev.frame.frame_index, SKY_DROP_WAIT_KEYFRAME);
            break;
        case SKY_ASM_LOST: {
            uint32_t n = ev.last - ev.first + 1;
            if (!vs->recovering) {
                vs->recovering = true;
                vs->loss_us = now;
            }
            atomic_fetch_add(&vs->lost_frames, n);
            for (uint32_t i = 0; i < n && i < MAX_LOST_LINES; i++)
                report_unused(vs, NULL, ev.first + i, SKY_DROP_LOST);
            sky_log_limited(&vs->limit, now, SKY_LOG_VERBOSE, TAG, "lost frames %u..%u",
                            ev.first, ev.last);
            break;
        }
        case SKY_ASM_REQUEST_IDR:
            atomic_fetch_add(&vs->idr_requests, 1);
            if (vs->cfg.control)
                sky_control_stream_request_idr(vs->cfg.control);
            break;
        case SKY_ASM_REQUEST_RFI:
            atomic_fetch_add(&vs->rfi_requests, 1);
            if (vs->cfg.control)
                sky_control_stream_request_rfi(vs->cfg.control, ev.first, ev.last);
            break;
        case SKY_ASM_FEC_STATUS:
            if (vs->cfg.control)
                send_fec_status(vs, &ev.block);
            break;
        case SKY_ASM_RESTART:
            sky_log_limited(&vs->limit, now, SKY_LOG_WARN, TAG,
                            "the host's frame numbers jumped to %u: starting over at its next "
                            "keyframe", ev.first);
            new_generation(vs, true);
            break;
        }
    }
}

static void count_seq(SkyVideoStream *vs, const uint8_t *plain)
{
    uint16_t seq = (uint16_t)(plain[2] << 8 | plain[3]);
    if (!vs->have_seq) {
        vs->have_seq = true;
        vs->max_seq_ext = vs->first_seq_ext = seq;
        return;
    }
    uint64_t ext = sky_seq16_extend(vs->max_seq_ext, seq);
    if (ext > vs->max_seq_ext)
        vs->max_seq_ext = ext;
    atomic_store(&vs->expected, vs->max_seq_ext - vs->first_seq_ext + 1);
}

static void receive_batch(SkyVideoStream *vs, int64_t now)
{
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    memset(msgs, 0, sizeof(msgs));
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = vs->bufs[i];
        iov[i].iov_len = sizeof(vs->bufs[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    /* A bounded number of batches per wake-up: pings, deadlines and stop must not wait for a
     * socket that never empties (a host sending faster than we can take). */
    for (int round = 0; round < MAX_BATCHES && !atomic_load(&vs->stop); round++) {
        int n = recvmmsg(vs->sock.fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        for (int i = 0; i < n; i++) {
            size_t len = msgs[i].msg_len;
            const uint8_t *pkt = vs->bufs[i];
            atomic_fetch_add(&vs->bytes, len);
            atomic_fetch_add(&vs->datagrams, 1);
            if (!vs->first_datagram_us)
                vs->first_datagram_us = now;
            if (len != vs->wire_len) {
                sky_log_limited(&vs->limit, now, SKY_LOG_VERBOSE, TAG,
                                "ignored a %zu-byte datagram (expected %zu)", len, vs->wire_len);
                continue;
            }
            if (vs->gcm) {
                size_t plen;
                if (sky_video_decrypt(vs->gcm, pkt, len, vs->plain, sizeof(vs->plain), &plen) <
                    0) {
                    sky_log_limited(&vs->limit, now, SKY_LOG_WARN, TAG,
                                    "a video datagram does not decrypt: dropped");
                    continue;
                }
                pkt = vs->plain;
                len = plen;
            }
            count_seq(vs, pkt);
            sky_assembler_add(vs->asm_, pkt, len, now);
        }
        handle_events(vs, now);
        SkyAssemblerStats st;
        sky_assembler_stats(vs->asm_, &st);
        atomic_store(&vs->recovered, st.recovered_shards);
        atomic_store(&vs->unique, st.datagrams - st.duplicates - st.malformed);
        if (n < BATCH)
            return;
        now = sky_time_us();
    }
}

static void *receive_thread(void *arg)
{
    SkyVideoStream *vs = arg;
    vs->start_us = sky_time_us();
    struct pollfd fds[3] = {
        {vs->sock.fd, POLLIN, 0},
        {sky_feedback_video_fd(vs->cfg.feedback), POLLIN, 0},
        {vs->sock.wake_fd, POLLIN, 0},
    };
    while (!atomic_load(&vs->stop)) {
        int64_t now = sky_time_us();
        int64_t wake = vs->next_ping_us;
        int64_t d = sky_assembler_deadline(vs->asm_);
        if (d < wake)
            wake = d;
        if (!vs->last_frame_us) { /* the checks for "no video" below */
            int64_t since = vs->first_datagram_us ? vs->first_datagram_us : vs->start_us;
            if (since + NO_VIDEO_US + 1 < wake)
                wake = since + NO_VIDEO_US + 1;
        }
        int timeout = (int)((wake - now + 999) / 1000);
        if (timeout < 0)
            timeout = 0;
        poll(fds, 3, timeout);
        now = sky_time_us();
        if (fds[0].revents & POLLERR) /* an ICMP error (host port closed): noted, then go on */
            sky_media_socket_clear_error(&vs->sock);
        if (fds[1].revents & POLLIN)
            take_keyframe_need(vs, now);
        if (fds[0].revents & POLLIN)
            receive_batch(vs, now);
        handle_events(vs, now);
        if (now >= vs->next_ping_us)
            send_ping(vs, now);
        /* Video must come: none at all, or no whole frame, for 10 s ends the stream. */
        if (!vs->first_datagram_us && now - vs->start_us > NO_VIDEO_US)
            fail(vs, SKY_CONTROL_END_NO_VIDEO_TRAFFIC);
        else if (vs->first_datagram_us && !vs->last_frame_us &&
                 now - vs->first_datagram_us > NO_VIDEO_US)
            fail(vs, SKY_CONTROL_END_NO_VIDEO_FRAME);
        if (now >= vs->next_cpu_us) { /* a system call: not every round */
            struct timespec cpu;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
            atomic_store(&vs->cpu_us, (uint64_t)cpu.tv_sec * 1000000 + (uint64_t)cpu.tv_nsec / 1000);
            vs->next_cpu_us = now + 100000;
        }
    }
    return NULL;
}

int sky_video_stream_create(SkyVideoStream **out, const SkyVideoStreamCfg *cfg)
{
    *out = NULL;
    SkyVideoStream *vs = calloc(1, sizeof(*vs));
    if (!vs)
        return SKY_ERR(ENOMEM);
    vs->cfg = *cfg;
    vs->sock = (SkyMediaSocket){.fd = -1, .wake_fd = -1};
    vs->limit = (SkyLogLimit)SKY_LOG_LIMIT_INIT;
    if (cfg->key) {
        memcpy(vs->key, cfg->key, 16);
        vs->cfg.key = vs->key;
    }
    vs->wire_len = cfg->packet_size + 16 + (cfg->encrypted ? SKY_VIDEO_ENC_PREFIX_LEN : 0);
    vs->bufs = malloc(BATCH * sizeof(*vs->bufs));
    SkyAssemblerCfg ac = {.packet_size = cfg->packet_size, .rfi = cfg->rfi};
    /* Waiting for reordered datagrams adds latency to a frame only when one was lost. */
    ac.reorder_wait_us = cfg->latency_mode == SKY_LATENCY_LOWEST ? 3000 : 10000;
    SkyJitterCfg jc = {cfg->latency_mode, 90000, 0};
    int ret = vs->bufs ? sky_assembler_create(&vs->asm_, &ac) : SKY_ERR(ENOMEM);
    if (ret == 0)
        ret = sky_jitter_create(&vs->jitter, &jc);
    if (ret == 0 && cfg->encrypted)
        ret = sky_gcm_create(&vs->gcm, vs->key);
    if (ret < 0)
        SKY_LOGE(TAG, "cannot set up the video receiver: %s", sky_strerror(ret));
    if (ret == 0)
        /* A big receive buffer: a whole IDR can arrive in one burst. */
        ret = sky_media_socket_open(&vs->sock, cfg->host, cfg->port, cfg->ping_payload,
                                    SOCKET_BUFFER, "video");
    if (ret == 0) {
        send_ping(vs, sky_time_us());
        if (pthread_create(&vs->thread, NULL, receive_thread, vs) != 0) {
            ret = SKY_ERR(EAGAIN);
            SKY_LOGE(TAG, "cannot start the video thread");
        } else {
            vs->thread_started = true;
        }
    }
    if (ret < 0) {
        sky_video_stream_destroy(&vs);
        return ret;
    }
    *out = vs;
    return 0;
}

void sky_video_stream_destroy(SkyVideoStream **pvs)
{
    SkyVideoStream *vs = *pvs;
    if (!vs)
        return;
    atomic_store(&vs->stop, true);
    if (vs->thread_started) {
        sky_media_socket_wake(&vs->sock);
        pthread_join(vs->thread, NULL);
    }
    sky_media_socket_close(&vs->sock);
    sky_assembler_destroy(&vs->asm_);
    sky_jitter_destroy(&vs->jitter);
    sky_gcm_destroy(&vs->gcm);
    sky_wipe(vs->key, sizeof(vs->key));
    free(vs->bufs);
    free(vs);
    *pvs = NULL;
}

void sky_video_stream_figures(SkyVideoStream *vs, SkyNetFigures *out)
{
    out->active = true;
    out->video_bytes = atomic_load(&vs->bytes);
    out->video_datagrams = atomic_load(&vs->datagrams);
    uint64_t unique = atomic_load(&vs->unique);
    uint64_t expected = atomic_load(&vs->expected);
    out->datagrams_lost = expected > unique ? expected - unique : 0;
    out->fec_recovered_shards = atomic_load(&vs->recovered);
    out->frames_lost = atomic_load(&vs->lost_frames);
    out->idr_requests = atomic_load(&vs->idr_requests);
    out->rfi_requests = atomic_load(&vs->rfi_requests);
    out->jitter_target_ms = (double)atomic_load(&vs->target_us) / 1000.0;
    out->recoveries = atomic_load(&vs->recoveries);
    out->recovery_ms_last = (double)atomic_load(&vs->recovery_last_us) / 1000.0;
    out->recovery_ms_max = (double)atomic_load(&vs->recovery_max_us) / 1000.0;
    out->receive_cpu_us = atomic_load(&vs->cpu_us);
}

bool sky_video_stream_failed(SkyVideoStream *vs, SkyControlEnd *why)
{
    if (!atomic_load(&vs->failed))
        return false;
    *why = (SkyControlEnd)atomic_load(&vs->fail_why);
    return true;
}
