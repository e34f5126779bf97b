/* Unit tests for the reports between a stream's threads (client/feedback.h) and what they
 * drive: the decoder's keyframe need ending a frame generation (client/media/video_pipeline.h),
 * and the video receiver turning that need into an IDR request on the control stream at once,
 * while no video datagram arrives (client/net/video_stream.h, client/net/control_stream.h);
 * the host's HDR mode kept as a snapshot any thread reads without a lock, whole, with the
 * generation it belongs to, and reaching it from the host's control message.
 * The frames are real H.264 from the test host's encoder and pattern; the "host" is a silent
 * UDP socket and a small ENet server in this file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <enet/enet.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "client/feedback.h"
#include "client/media/video_pipeline.h"
#include "client/net/control_stream.h"
#include "client/net/video_stream.h"
#include "client/stats_out.h"
#include "common/core/time.h"
#include "common/proto/jitter.h"
#include "common/proto/sdp.h"
#include "tests/host/encoder.h"
#include "tests/host/host.h"
#include "tests/host/pattern.h"
#include "tests/host/proto/control_host.h"

/* Generous: these wait for threads, never measure them. */
#define WAIT_MS 20000

static bool readable(int fd, int timeout_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

/* ---- SkyFeedback alone ---- */

static void test_keyframe_need(void **state)
{
    (void)state;
    SkyFeedback *fb;
    assert_int_equal(sky_feedback_create(&fb), 0);
    int fd = sky_feedback_video_fd(fb);
    SkyKeyframeNeed need;
    assert_false(readable(fd, 0));
    assert_false(sky_feedback_take_keyframe_need(fb, &need));

    sky_feedback_need_keyframe(fb, 3, false);
    assert_true(readable(fd, 0));
    assert_true(sky_feedback_take_keyframe_need(fb, &need));
    assert_int_equal(need.gen, 3);
    assert_false(need.fell_back);
    assert_false(readable(fd, 0)); /* taken: the fd is quiet again */
    assert_false(sky_feedback_take_keyframe_need(fb, &need));

    /* Two needs before a take: the latest generation, and the fall-back is not forgotten. */
    sky_feedback_need_keyframe(fb, 4, true);
    sky_feedback_need_keyframe(fb, 5, false);
    assert_true(sky_feedback_take_keyframe_need(fb, &need));
    assert_int_equal(need.gen, 5);
    assert_true(need.fell_back);
    assert_false(sky_feedback_take_keyframe_need(fb, &need));
    sky_feedback_destroy(&fb);
    assert_null(fb);
    sky_feedback_destroy(&fb); /* NULL is fine */
}

static void test_decode_times(void **state)
{
    (void)state;
    SkyFeedback *fb;
    assert_int_equal(sky_feedback_create(&fb), 0);
    int64_t us;
    assert_false(sky_feedback_take_decode_time(fb, &us));
    sky_feedback_decoded(fb, 1000);
    sky_feedback_decoded(fb, 2000);
    assert_true(sky_feedback_take_decode_time(fb, &us));
    assert_int_equal(us, 1000);
    assert_true(sky_feedback_take_decode_time(fb, &us));
    assert_int_equal(us, 2000);
    assert_false(sky_feedback_take_decode_time(fb, &us));
    /* A reader far behind keeps the newest 64, in order. */
    for (int i = 0; i < 100; i++)
        sky_feedback_decoded(fb, i);
    for (int i = 36; i < 100; i++) {
        assert_true(sky_feedback_take_decode_time(fb, &us));
        assert_int_equal(us, i);
    }
    assert_false(sky_feedback_take_decode_time(fb, &us));
    sky_feedback_destroy(&fb);
}

static SkyControlHostMsg rumble(uint16_t controller, uint16_t low)
{
    SkyControlHostMsg m = {.kind = SKY_CONTROL_HOST_RUMBLE};
    m.u.rumble.controller = controller;
    m.u.rumble.low_freq = low;
    return m;
}

static void test_host_messages_and_wake(void **state)
{
    (void)state;
    assert_int_equal(SDL_Init(SDL_INIT_EVENTS), 0);
    SkyFeedback *fb;
    assert_int_equal(sky_feedback_create(&fb), 0);
    SkyControlHostMsg m, got;
    SDL_Event ev;
    /* Only the pads' messages are queued (HDR is a snapshot: test_hdr_mode); the wake-up it
     * pushed is seen. */
    SDL_FlushEvents(SDL_FIRSTEVENT, SDL_LASTEVENT);
    m = (SkyControlHostMsg){.kind = SKY_CONTROL_HOST_HDR_MODE};
    sky_feedback_host_message(fb, &m);
    assert_false(sky_feedback_take_host_message(fb, &got));
    while (SDL_PollEvent(&ev))
        sky_feedback_is_wake_event(fb, &ev);

    /* One wake-up event however many messages, until the main thread has seen it. */
    for (uint16_t i = 0; i < 10; i++) {
        m = rumble(i % 4, i);
        sky_feedback_host_message(fb, &m);
    }
    int wakes = 0;
    while (SDL_PollEvent(&ev))
        wakes += sky_feedback_is_wake_event(fb, &ev);
    assert_int_equal(wakes, 1);
    for (uint16_t i = 0; i < 10; i++) {
        assert_true(sky_feedback_take_host_message(fb, &got));
        assert_int_equal(got.kind, SKY_CONTROL_HOST_RUMBLE);
        assert_int_equal(got.u.rumble.low_freq, i);
    }
    assert_false(sky_feedback_take_host_message(fb, &got));

    /* A main thread that does not keep up: the excess is dropped and counted, the queued ones
     * stay whole and in order. */
    unsigned sent = 1000;
    for (unsigned i = 0; i < sent; i++) {
        m = rumble(1, (uint16_t)i);
        sky_feedback_host_message(fb, &m);
    }
    uint64_t dropped = sky_feedback_host_messages_dropped(fb);
    assert_true(dropped > 0 && dropped < sent);
    for (unsigned i = 0; i < sent - dropped; i++) {
        assert_true(sky_feedback_take_host_message(fb, &got));
        assert_int_equal(got.u.rumble.low_freq, i);
    }
    assert_false(sky_feedback_take_host_message(fb, &got));

    /* The end wakes the main thread too. */
    assert_false(sky_feedback_is_ended(fb));
    while (SDL_PollEvent(&ev)) /* the flood's wake-up, seen */
        sky_feedback_is_wake_event(fb, &ev);
    sky_feedback_stream_ended(fb);
    assert_true(sky_feedback_is_ended(fb));
    wakes = 0;
    while (SDL_PollEvent(&ev))
        wakes += sky_feedback_is_wake_event(fb, &ev);
    assert_int_equal(wakes, 1);
    sky_feedback_destroy(&fb);
    SDL_Quit();
}

/* The control thread's side: messages make(first) .. make(first + count - 1). */
typedef struct Producer {
    SkyFeedback *fb;
    unsigned first, count;
    SkyControlHostMsg (*make)(uint32_t i);
} Producer;

static void *produce(void *arg)
{
    Producer *p = arg;
    for (unsigned i = 0; i < p->count; i++) {
        SkyControlHostMsg m = p->make(p->first + i);
        sky_feedback_host_message(p->fb, &m);
    }
    return NULL;
}

static SkyControlHostMsg rumble_msg(uint32_t i)
{
    return rumble(2, (uint16_t)i);
}

/* The control thread writes while the main thread reads: every message arrives whole and in
 * order (bursts the queue can hold, so none is dropped). */
static void test_host_messages_threaded(void **state)
{
    (void)state;
    SkyFeedback *fb;
    assert_int_equal(sky_feedback_create(&fb), 0);
    unsigned next = 0;
    for (unsigned burst = 0; burst < 500; burst++) {
        Producer p = {fb, next, 32, rumble_msg};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
        int64_t give_up = sky_time_us() + WAIT_MS * 1000LL;
        SkyControlHostMsg got;
        while (next < p.first + p.count && sky_time_us() < give_up) {
            if (sky_feedback_take_host_message(fb, &got)) {
                assert_int_equal(got.kind, SKY_CONTROL_HOST_RUMBLE);
                assert_int_equal(got.u.rumble.low_freq, (uint16_t)next);
                next++;
            }
        }
        pthread_join(t, NULL);
        assert_int_equal(next, p.first + p.count);
    }
    assert_int_equal(sky_feedback_host_messages_dropped(fb), 0);
    sky_feedback_destroy(&fb);
}

/* ---- the host's HDR mode ---- */

/* An HDR message whose every value is derived from i (so a torn copy shows). */
static SkyControlHostMsg hdr_message(uint32_t i)
{
    SkyControlHostMsg m = {.kind = SKY_CONTROL_HOST_HDR_MODE, .type = SKY_CONTROL_HDR_MODE};
    SkyControlHdrMode *h = &m.u.hdr;
    h->enabled = i & 1;
    h->has_metadata = true;
    uint16_t v = (uint16_t)i;
    for (int k = 0; k < 3; k++)
        h->primaries[k][0] = h->primaries[k][1] = v;
    h->white_point[0] = h->white_point[1] = v;
    h->max_display_luminance = h->min_display_luminance = v;
    h->max_content_light_level = h->max_frame_average_light_level = v;
    h->max_full_frame_luminance = v;
    return m;
}

static void test_hdr_mode(void **state)
{
    (void)state;
    assert_int_equal(SDL_Init(SDL_INIT_EVENTS), 0);
    SkyFeedback *fb;
    assert_int_equal(sky_feedback_create(&fb), 0);
    SkyControlHdrMode got;
    uint32_t gen = 99;
    memset(&got, 0xAA, sizeof(got));
    assert_false(sky_feedback_hdr_mode(fb, &got, &gen));
    assert_int_equal(gen, 0);
    assert_false(got.enabled || got.has_metadata || got.max_display_luminance);

    /* "On" with a display's metadata: kept as it came, generation 1, the main thread woken. */
    SDL_FlushEvents(SDL_FIRSTEVENT, SDL_LASTEVENT);
    SkyControlHostMsg m = {.kind = SKY_CONTROL_HOST_HDR_MODE, .type = SKY_CONTROL_HDR_MODE};
    m.u.hdr = sky_th_hdr_display;
    sky_feedback_host_message(fb, &m);
    assert_true(sky_feedback_hdr_mode(fb, &got, &gen));
    assert_int_equal(gen, 1);
    assert_memory_equal(&got, &m.u.hdr, sizeof(got));
    SDL_Event ev;
    int wakes = 0;
    while (SDL_PollEvent(&ev))
        wakes += sky_feedback_is_wake_event(fb, &ev);
    assert_int_equal(wakes, 1);
    /* Not a pad message: nothing queued for the pads. */
    SkyControlHostMsg pad;
    assert_false(sky_feedback_take_host_message(fb, &pad));

    /* "Off" from an older host (the flag alone): the next generation; NULL generation is fine. */
    m.u.hdr = (SkyControlHdrMode){0};
    sky_feedback_host_message(fb, &m);
    assert_true(sky_feedback_hdr_mode(fb, &got, NULL));
    assert_false(got.enabled);
    assert_false(got.has_metadata);
    assert_true(sky_feedback_hdr_mode(fb, &got, &gen));
    assert_int_equal(gen, 2);
    sky_feedback_destroy(&fb);
    SDL_Quit();
}

/* The control thread replaces the snapshot while another thread reads it: every copy read is
 * one message whole (all its values from one i), and the generation is that message's (i + 1),
 * never going back. */
static void test_hdr_mode_threaded(void **state)
{
    (void)state;
    SkyFeedback *fb;
    assert_int_equal(sky_feedback_create(&fb), 0);
    Producer w = {fb, 0, 200000, hdr_message};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce, &w), 0);
    uint32_t last = 0, reads = 0;
    int64_t give_up = sky_time_us() + WAIT_MS * 1000LL;
    while (last < w.count && sky_time_us() < give_up) {
        SkyControlHdrMode got;
        uint32_t gen;
        if (!sky_feedback_hdr_mode(fb, &got, &gen))
            continue;
        reads++;
        assert_true(gen >= last);
        last = gen;
        SkyControlHostMsg want = hdr_message(gen - 1);
        assert_memory_equal(&got, &want.u.hdr, sizeof(got));
    }
    pthread_join(t, NULL);
    assert_int_equal(last, w.count);
    assert_true(reads > 0);
    sky_feedback_destroy(&fb);
}

/* ---- the decoder's keyframe need ends a generation ---- */

#define W 256
#define H 144

typedef struct Clip {
    SkyThEncoder *enc;
    int64_t pts;
} Clip;

/* Encodes picture `number` (its barcode) and returns the access unit as a packet. */
static AVPacket *encode(Clip *c, uint32_t number, bool idr)
{
    SkyThPicture pic;
    assert_int_equal(sky_th_encoder_picture(c->enc, &pic), 0);
    sky_th_pattern_draw(&pic, number, NULL);
    assert_int_equal(sky_th_encoder_send(c->enc, c->pts++, idr), 0);
    SkyThPacket out;
    assert_int_equal(sky_th_encoder_receive(c->enc, &out), 0); /* x264: at once */
    assert_int_equal(out.keyframe, idr);
    AVPacket *pkt = av_packet_alloc();
    assert_non_null(pkt);
    assert_int_equal(av_new_packet(pkt, (int)out.len), 0);
    memcpy(pkt->data, out.data, out.len);
    return pkt;
}

static void submit(SkyVideoPipeline *vp, AVPacket *pkt, bool key)
{
    SkyFrameMeta meta = {.keyframe = key, .duration = 1};
    assert_int_equal(sky_video_pipeline_submit(vp, &pkt, &meta, -1), 0);
    assert_null(pkt);
}

/* The next picture's barcode. */
static uint32_t take_number(SkyVideoPipeline *vp, SkyStatsOut *stats)
{
    AVFrame *f = NULL;
    SkyFrameTiming t;
    assert_int_equal(sky_video_pipeline_take(vp, &f, &t, WAIT_MS * 1000LL), 0);
    SkyThPicture pic = {.data = {f->data[0], f->data[1], f->data[2]},
                        .stride = {f->linesize[0], f->linesize[1], f->linesize[2]},
                        .width = f->width,
                        .height = f->height,
                        .bit_depth = 8};
    uint32_t n = 0;
    assert_int_equal(sky_th_pattern_read(&pic, &n), 0);
    t.fate = SKY_FATE_PRESENTED;
    t.presented_us = sky_time_us();
    sky_stats_out_frame_done(stats, &t);
    av_frame_free(&f);
    return n;
}

static SkyVideoPipeline *make_pipeline(SkyFeedback *fb, SkyStatsOut *stats, unsigned depth)
{
    SkyVideoPipelineCfg vc = {
        .decoder = {.opts = {.backend = SKY_BACKEND_SOFTWARE, .max_hw_failures = 3},
                    .codec_id = AV_CODEC_ID_H264,
                    .width = W,
                    .height = H,
                    .low_delay = true},
        .policy = {.max_hw_failures = 3, .resync_on_error = true},
        .queue_frames = 64,
        .present_depth = depth,
        .stats = stats,
        .feedback = fb,
    };
    SkyVideoPipeline *vp;
    assert_int_equal(sky_video_pipeline_create(&vp, &vc), 0);
    return vp;
}

static void test_decode_error_ends_generation(void **state)
{
    (void)state;
    SkyFeedback *fb;
    SkyStatsOut *stats;
    assert_int_equal(sky_feedback_create(&fb), 0);
    assert_int_equal(sky_stats_out_create(&stats, NULL, sky_time_us()), 0);
    /* In order, none replaced: every picture is seen. */
    SkyVideoPipeline *vp = make_pipeline(fb, stats, SKY_VIDEO_MAX_PRESENT_DEPTH);
    SkyThEncoderCfg ec = {.codec = SKY_SDP_CODEC_H264, .width = W, .height = H, .fps = 60,
                          .bitrate_kbps = 2000, .slices = 1, .threads = 1};
    Clip clip = {NULL, 0};
    assert_int_equal(sky_th_encoder_create(&clip.enc, &ec), 0);

    assert_int_equal(sky_video_pipeline_generation(vp), 0);
    submit(vp, encode(&clip, 0, true), true);
    submit(vp, encode(&clip, 1, false), false);
    assert_int_equal(take_number(vp, stats), 0);
    assert_int_equal(take_number(vp, stats), 1);

    /* A frame the decoder rejects, then frames that build on it. */
    static const uint8_t garbage[] = {0, 0, 0, 1, 0x41, 0xC0, 0x64, 0xC0, 0x12, 0x34};
    AVPacket *bad = av_packet_alloc();
    assert_int_equal(av_new_packet(bad, sizeof(garbage)), 0);
    memcpy(bad->data, garbage, sizeof(garbage));
    submit(vp, bad, false);
    submit(vp, encode(&clip, 3, false), false);
    submit(vp, encode(&clip, 4, false), false);

    /* The decoder thread says so, for generation 0; the producer starts generation 1. */
    assert_true(readable(sky_feedback_video_fd(fb), WAIT_MS));
    SkyKeyframeNeed need;
    assert_true(sky_feedback_take_keyframe_need(fb, &need));
    assert_int_equal(need.gen, 0);
    assert_false(need.fell_back);
    assert_int_equal(sky_video_pipeline_new_generation(vp), 1);
    assert_int_equal(sky_video_pipeline_generation(vp), 1);
    submit(vp, encode(&clip, 5, true), true);
    submit(vp, encode(&clip, 6, false), false);
    /* Frames 3 and 4 are never shown: the next picture is the new generation's keyframe. */
    assert_int_equal(take_number(vp, stats), 5);
    assert_int_equal(take_number(vp, stats), 6);
    assert_int_equal(sky_video_pipeline_end(vp), 0);
    AVFrame *f = NULL;
    SkyFrameTiming t;
    assert_int_equal(sky_video_pipeline_take(vp, &f, &t, WAIT_MS * 1000LL), SKY_ERR(EPIPE));
    /* No second need: the new generation decoded cleanly. */
    assert_false(sky_feedback_take_keyframe_need(fb, &need));

    SkyTimelineTotals tt;
    sky_timeline_totals(sky_stats_out_timeline(stats), &tt);
    assert_int_equal(tt.frames_in, 7);
    assert_int_equal(tt.presented, 4);
    assert_int_equal(tt.dropped_by[SKY_DROP_DECODE_ERROR], 1);
    /* 3 and 4: dropped by the decoder thread (its generation broke) or, if still queued when
     * the generation changed, flushed. */
    assert_int_equal(tt.dropped_by[SKY_DROP_WAIT_KEYFRAME] + tt.dropped_by[SKY_DROP_FLUSHED], 2);
    /* Each picture's decode time reached the producer. */
    int64_t us;
    int times = 0;
    while (sky_feedback_take_decode_time(fb, &us))
        times++;
    assert_int_equal(times, 4);

    sky_video_pipeline_destroy(&vp);
    sky_th_encoder_destroy(&clip.enc);
    assert_int_equal(sky_stats_out_destroy(&stats), 0);
    sky_feedback_destroy(&fb);
}

/* ---- the keyframe request leaves at once, with no video arriving ---- */

typedef struct Server {
    ENetHost *host;
    pthread_t thread;
    atomic_bool stop;
    atomic_int idr_requests; /* 0x0302 messages (the first is "start A") */
    atomic_int messages;
} Server;

static void *serve(void *arg)
{
    Server *s = arg;
    while (!atomic_load(&s->stop)) {
        ENetEvent ev;
        if (enet_host_service(s->host, &ev, 10) <= 0)
            continue;
        if (ev.type == ENET_EVENT_TYPE_CONNECT) {
            /* As a host whose display is in HDR mode: the message, unencrypted. */
            uint8_t msg[64], wire[64];
            size_t n, wn;
            assert_int_equal(sky_control_build_hdr_mode(&sky_th_hdr_display, msg, sizeof(msg), &n),
                             0);
            assert_int_equal(sky_control_plain_wrap(msg, n, wire, sizeof(wire), &wn), 0);
            enet_peer_send(ev.peer, 0, enet_packet_create(wire, wn, ENET_PACKET_FLAG_RELIABLE));
            enet_host_flush(s->host);
        } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
            /* Unencrypted control: LE16 type, then the payload. */
            const ENetPacket *p = ev.packet;
            if (p->dataLength >= 2) {
                atomic_fetch_add(&s->messages, 1);
                if (p->data[0] == (SKY_CONTROL_IDR_REQUEST & 0xFF) &&
                    p->data[1] == SKY_CONTROL_IDR_REQUEST >> 8)
                    atomic_fetch_add(&s->idr_requests, 1);
            }
            enet_packet_destroy(ev.packet);
        }
    }
    return NULL;
}

static void test_idr_request_without_datagrams(void **state)
{
    (void)state;
    assert_int_equal(enet_initialize(), 0);
    Server srv = {0};
    ENetAddress addr;
    assert_int_equal(enet_address_set_host_ip(&addr, "127.0.0.1"), 0);
    addr.port = 0;
    srv.host = enet_host_create(&addr, 1, SKY_CONTROL_CHANNELS, 0, 0);
    assert_non_null(srv.host);
    ENetAddress bound;
    assert_int_equal(enet_socket_get_address(srv.host->socket, &bound), 0);
    assert_int_equal(pthread_create(&srv.thread, NULL, serve, &srv), 0);

    /* The host's video port: a socket that takes the pings and never sends a datagram. */
    int video = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in va = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(video, (struct sockaddr *)&va, sizeof(va)), 0);
    socklen_t vl = sizeof(va);
    assert_int_equal(getsockname(video, (struct sockaddr *)&va, &vl), 0);

    SkyFeedback *fb;
    SkyStatsOut *stats;
    assert_int_equal(sky_feedback_create(&fb), 0);
    assert_int_equal(sky_stats_out_create(&stats, NULL, sky_time_us()), 0);
    SkyVideoPipeline *vp = make_pipeline(fb, stats, 1);
    uint8_t key[16] = {0};
    SkyControlStreamCfg cc = {.host = "127.0.0.1",
                              .port = bound.port,
                              .key = key,
                              .connect_timeout_ms = WAIT_MS,
                              .feedback = fb};
    char err[256];
    SkyControlStream *cs;
    assert_int_equal(sky_control_stream_create(&cs, &cc, err, sizeof(err)), 0);
    SkyVideoStreamCfg vc = {.host = "127.0.0.1",
                            .port = ntohs(va.sin_port),
                            .packet_size = 1024,
                            .latency_mode = SKY_LATENCY_LOWEST,
                            .vp = vp,
                            .stats = stats,
                            .control = cs,
                            .feedback = fb};
    SkyVideoStream *vs;
    assert_int_equal(sky_video_stream_create(&vs, &vc), 0);
    /* The receiver is up: its first ping reached the host. */
    assert_true(readable(video, WAIT_MS));

    /* The host's HDR mode reached the feedback, for any thread to read. */
    int64_t give_up = sky_time_us() + WAIT_MS * 1000LL;
    SkyControlHdrMode hdr;
    uint32_t hdr_gen = 0;
    while (!sky_feedback_hdr_mode(fb, &hdr, &hdr_gen) && sky_time_us() < give_up)
        sky_sleep_us(1000);
    assert_int_equal(hdr_gen, 1);
    assert_memory_equal(&hdr, &sky_th_hdr_display, sizeof(hdr));

    /* The opening "start A" is the only 0x0302 so far. */
    while (atomic_load(&srv.idr_requests) < 1 && sky_time_us() < give_up)
        sky_sleep_us(1000);
    assert_int_equal(atomic_load(&srv.idr_requests), 1);

    /* The decoder (this thread stands in for it) needs a keyframe for generation 0. */
    sky_feedback_need_keyframe(fb, 0, false);
    while (atomic_load(&srv.idr_requests) < 2 && sky_time_us() < give_up)
        sky_sleep_us(1000);
    assert_true(atomic_load(&srv.idr_requests) >= 2);
    /* The receiver started a new generation for the keyframe to come. */
    assert_int_equal(sky_video_pipeline_generation(vp), 1);
    /* And all the while, not one video datagram came. */
    SkyNetFigures nf = {0};
    sky_video_stream_figures(vs, &nf);
    assert_int_equal(nf.video_datagrams, 0);
    assert_true(nf.idr_requests >= 1);

    sky_video_stream_destroy(&vs);
    assert_null(vs);
    sky_control_stream_destroy(&cs);
    assert_null(cs);
    sky_video_pipeline_destroy(&vp);
    assert_int_equal(sky_stats_out_destroy(&stats), 0);
    sky_feedback_destroy(&fb);
    atomic_store(&srv.stop, true);
    pthread_join(srv.thread, NULL);
    enet_host_destroy(srv.host);
    close(video);
    enet_deinitialize();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyframe_need),
        cmocka_unit_test(test_decode_times),
        cmocka_unit_test(test_host_messages_and_wake),
        cmocka_unit_test(test_host_messages_threaded),
        cmocka_unit_test(test_hdr_mode),
        cmocka_unit_test(test_hdr_mode_threaded),
        cmocka_unit_test(test_decode_error_ends_generation),
        cmocka_unit_test(test_idr_request_without_datagrams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
