/* Unit tests for common/timeline: per-frame spans, drop accounting and the JSON/text reports.
 * Span values below 64 us are used where exact percentiles are wanted (the histogram is exact
 * there). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "common/media/timeline.h"
#include "json_check.h"

#define T0 1000000000 /* an arbitrary monotonic start, in us */

static SkyTimeline *make(void)
{
    SkyTimeline *t = NULL;
    assert_int_equal(sky_timeline_create(&t, T0), 0);
    assert_non_null(t);
    return t;
}

/* A presented frame whose spans are queue q, decode d, present latency p (us), starting at
 * `at` us after T0. */
static SkyFrameTiming presented(uint64_t n, int64_t at, int64_t q, int64_t d, int64_t p,
                                uint32_t size)
{
    SkyFrameTiming f = {.frame_number = n, .pts_us = (int64_t)n * 16667, .size_bytes = size};
    f.enqueued_us = T0 + at;
    f.decode_start_us = f.enqueued_us + q;
    f.decode_end_us = f.decode_start_us + d;
    f.presented_us = f.decode_end_us + p;
    f.fate = SKY_FATE_PRESENTED;
    return f;
}

static SkyFrameTiming dropped(uint64_t n, SkyDropReason why, uint32_t size)
{
    SkyFrameTiming f = {.frame_number = n, .size_bytes = size};
    f.enqueued_us = T0 + 10;
    f.fate = SKY_FATE_DROPPED;
    f.drop_reason = why;
    return f;
}

static double num(const char *doc, const char *path)
{
    double v = NAN;
    if (!tjson_number(doc, path, &v))
        fail_msg("no number at '%s' in %s", path, doc);
    return v;
}

static void str_at(const char *doc, const char *path, const char *want)
{
    char got[128];
    if (!tjson_get(doc, path, got, sizeof(got)))
        fail_msg("nothing at '%s' in %s", path, doc);
    assert_string_equal(got, want);
}

static void test_drop_reason_names(void **state)
{
    (void)state;
    assert_string_equal(sky_drop_reason_name(SKY_DROP_NONE), "none");
    assert_string_equal(sky_drop_reason_name(SKY_DROP_SUPERSEDED), "superseded");
    assert_string_equal(sky_drop_reason_name(SKY_DROP_DECODE_ERROR), "decode_error");
    assert_string_equal(sky_drop_reason_name(SKY_DROP_NO_OUTPUT), "no_output");
    assert_string_equal(sky_drop_reason_name(SKY_DROP_WAIT_KEYFRAME), "wait_keyframe");
    assert_string_equal(sky_drop_reason_name(SKY_DROP_FLUSHED), "flushed");
    assert_string_equal(sky_drop_reason_name(SKY_DROP_LOST), "lost");
    assert_string_equal(sky_drop_reason_name(SKY_DROP_HIDDEN), "hidden");
    assert_string_equal(sky_drop_reason_name(SKY_DROP_COUNT), "unknown");
    assert_string_equal(sky_drop_reason_name((SkyDropReason)-1), "unknown");
    assert_string_equal(sky_drop_reason_name((SkyDropReason)1000), "unknown");
}

static void test_spans(void **state)
{
    (void)state;
    SkyTimeline *t = make();
    SkyFrameTiming f = presented(0, 0, 500, 2000, 700, 100);
    sky_timeline_frame_done(t, &f);
    /* One sample: each percentile is exactly that span. */
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_QUEUE, 50), 500);
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_DECODE, 50), 2000);
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_PRESENT_LATENCY, 99), 700);
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_TOTAL, 1), 3200);
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_COUNT, 50), 0);
    sky_timeline_destroy(&t);
    assert_null(t);
    sky_timeline_destroy(&t); /* NULL is fine */

    t = make();
    /* Queue spans 10, 20, 30; decode 5, 6, 7; present 1, 2, 3: p50 is the middle one. */
    for (int i = 0; i < 3; i++) {
        f = presented((uint64_t)i, i * 1000, 10 * (i + 1), 5 + i, 1 + i, 10);
        sky_timeline_frame_done(t, &f);
    }
    /* A dropped frame that was decoded counts towards queue and decode only. */
    f = dropped(3, SKY_DROP_SUPERSEDED, 10);
    f.decode_start_us = f.enqueued_us + 40;
    f.decode_end_us = f.decode_start_us + 60;
    sky_timeline_frame_done(t, &f);
    /* Missing moments (0) record nothing: this frame has no queue or decode span. */
    f = presented(4, 5000, 1, 1, 50, 10);
    f.decode_start_us = 0;
    sky_timeline_frame_done(t, &f);
    /* Clock skew: a negative span is recorded as 0. */
    f = presented(5, 6000, 0, 0, 0, 10);
    f.presented_us = f.decode_end_us - 5;
    f.decode_start_us = f.enqueued_us + 25;
    f.decode_end_us = f.decode_start_us + 8;
    sky_timeline_frame_done(t, &f);

    /* queue: 10 20 30 40 25 -> sorted 10 20 25 30 40 */
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_QUEUE, 0), 10);
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_QUEUE, 50), 25);
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_QUEUE, 100), 40);
    /* decode: 5 6 7 60 8 -> 5 6 7 8 60 */
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_DECODE, 50), 7);
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_DECODE, 100), 60);
    /* present latency: 1 2 3 50, and 0 for frame 5 (presented before its decode ended) */
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_PRESENT_LATENCY, 0), 0);
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_PRESENT_LATENCY, 100), 50);
    /* total: 16 28 40 for the first three, 52 for frame 4, 0 for frame 5 (presented 5 us
     * before it was enqueued) */
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_TOTAL, 0), 0);
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_TOTAL, 50), 28);
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_TOTAL, 100), 52);
    sky_timeline_destroy(&t);
}

static void test_totals(void **state)
{
    (void)state;
    SkyTimeline *t = make();
    SkyTimelineTotals tot;
    sky_timeline_totals(t, &tot);
    assert_int_equal(tot.frames_in, 0);
    assert_int_equal(tot.finished, 0);

    for (int i = 0; i < 10; i++)
        sky_timeline_frame_in(t);
    SkyFrameTiming f = presented(0, 0, 1, 1, 1, 1);
    sky_timeline_frame_done(t, &f);
    sky_timeline_frame_done(t, &f);
    static const SkyDropReason why[] = {SKY_DROP_SUPERSEDED, SKY_DROP_SUPERSEDED,
                                        SKY_DROP_DECODE_ERROR, SKY_DROP_NO_OUTPUT,
                                        SKY_DROP_WAIT_KEYFRAME, SKY_DROP_FLUSHED};
    for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++) {
        f = dropped(i, why[i], 1);
        sky_timeline_frame_done(t, &f);
    }
    /* An out-of-range reason is counted, under "none". */
    f = dropped(9, (SkyDropReason)77, 1);
    sky_timeline_frame_done(t, &f);

    sky_timeline_totals(t, &tot);
    assert_int_equal(tot.frames_in, 10);
    assert_int_equal(tot.finished, 9);
    assert_int_equal(tot.presented, 2);
    assert_int_equal(tot.dropped, 7);
    assert_int_equal(tot.dropped_by[SKY_DROP_NONE], 1);
    assert_int_equal(tot.dropped_by[SKY_DROP_SUPERSEDED], 2);
    assert_int_equal(tot.dropped_by[SKY_DROP_DECODE_ERROR], 1);
    assert_int_equal(tot.dropped_by[SKY_DROP_NO_OUTPUT], 1);
    assert_int_equal(tot.dropped_by[SKY_DROP_WAIT_KEYFRAME], 1);
    assert_int_equal(tot.dropped_by[SKY_DROP_FLUSHED], 1);
    assert_int_equal(tot.presented + tot.dropped, tot.finished);
    sky_timeline_destroy(&t);
}

static void test_frame_json(void **state)
{
    (void)state;
    char buf[512];
    SkyFrameTiming f = presented(42, 1000, 100, 200, 300, 1234);
    f.keyframe = true;
    f.width = 1920;
    f.height = 1080;
    assert_true(sky_frame_timing_json(&f, T0, buf, sizeof(buf)));
    assert_true(tjson_valid(buf));
    str_at(buf, "type", "frame");
    assert_true(num(buf, "frame") == 42);
    assert_true(num(buf, "pts_us") == 42 * 16667);
    assert_true(num(buf, "size_bytes") == 1234);
    str_at(buf, "keyframe", "true");
    assert_true(num(buf, "width") == 1920);
    assert_true(num(buf, "height") == 1080);
    assert_true(num(buf, "enqueued_us") == 1000);
    assert_true(num(buf, "decode_start_us") == 1100);
    assert_true(num(buf, "decode_end_us") == 1300);
    str_at(buf, "draw_start_us", "null"); /* presented headless: never drawn */
    assert_true(num(buf, "presented_us") == 1600);
    f.draw_start_us = T0 + 1450;
    assert_true(sky_frame_timing_json(&f, T0, buf, sizeof(buf)));
    assert_true(num(buf, "draw_start_us") == 1450);
    str_at(buf, "fate", "presented");
    char tmp[16];
    assert_false(tjson_get(buf, "drop_reason", tmp, sizeof(tmp)));

    /* A dropped frame: no picture size, moments that did not happen are null. */
    f = dropped(7, SKY_DROP_WAIT_KEYFRAME, 99);
    assert_true(sky_frame_timing_json(&f, T0, buf, sizeof(buf)));
    assert_true(tjson_valid(buf));
    str_at(buf, "fate", "dropped");
    str_at(buf, "drop_reason", "wait_keyframe");
    str_at(buf, "keyframe", "false");
    str_at(buf, "decode_start_us", "null");
    str_at(buf, "presented_us", "null");
    assert_true(num(buf, "enqueued_us") == 10);
    assert_false(tjson_get(buf, "width", tmp, sizeof(tmp)));

    /* Too small a buffer is reported, and what is there is still a C string. */
    char small[40];
    assert_false(sky_frame_timing_json(&f, T0, small, sizeof(small)));
    assert_true(strlen(small) < sizeof(small));
}

static void test_second_deltas(void **state)
{
    (void)state;
    SkyTimeline *t = make();
    char buf[1024];
    for (int i = 0; i < 3; i++)
        sky_timeline_frame_in(t);
    SkyFrameTiming f = presented(0, 0, 10, 20, 30, 1000);
    sky_timeline_frame_done(t, &f);
    f = presented(1, 100, 10, 40, 30, 1000);
    sky_timeline_frame_done(t, &f);
    f = dropped(2, SKY_DROP_DECODE_ERROR, 500);
    sky_timeline_frame_done(t, &f);

    assert_true(sky_timeline_second_json(t, T0 + 1000000, NULL, NULL, buf, sizeof(buf)));
    assert_true(tjson_valid(buf));
    str_at(buf, "type", "second");
    assert_true(num(buf, "t_us") == 1000000);
    assert_true(num(buf, "frames_in") == 3);
    assert_true(num(buf, "presented") == 2);
    assert_true(num(buf, "dropped") == 1);
    assert_true(num(buf, "fps") == 2.0);
    assert_true(num(buf, "video_kbps") == 20.0); /* 2500 bytes * 8 / 1000 / 1 s */
    assert_true(num(buf, "decode_us_p50") == 20);
    assert_true(num(buf, "present_latency_us_p50") == 30);
    /* No picture followed another yet: no interval. */
    assert_true(num(buf, "present_interval_us_p50") == 0);
    assert_true(num(buf, "present_interval_us_max") == 0);
    char tmp[16];
    assert_false(tjson_get(buf, "audio.packets", tmp, sizeof(tmp)));

    /* Half a second later: only what happened since the previous line. */
    sky_timeline_frame_in(t);
    sky_timeline_present_interval(t, 16600);
    sky_timeline_present_interval(t, 33300); /* a picture shown a refresh late */
    f = presented(3, 200, 10, 60, 30, 500);
    sky_timeline_frame_done(t, &f);
    SkyAudioFigures audio = {.active = true, .packets = 25, .concealed_frames = 2,
                             .overflow_bytes = 960, .underruns = 1, .buffer_ms_now = 31.2,
                             .buffer_ms_p50 = 30, .buffer_ms_p99 = 45.5};
    assert_true(sky_timeline_second_json(t, T0 + 1500000, &audio, NULL, buf, sizeof(buf)));
    assert_true(tjson_valid(buf));
    assert_true(num(buf, "t_us") == 1500000);
    assert_true(num(buf, "frames_in") == 1);
    assert_true(num(buf, "presented") == 1);
    assert_true(num(buf, "dropped") == 0);
    assert_true(num(buf, "fps") == 2.0);        /* 1 frame in 0.5 s */
    assert_true(num(buf, "video_kbps") == 8.0); /* 500 bytes * 8 / 1000 / 0.5 s */
    assert_true(num(buf, "decode_us_p50") == 40); /* over the whole run: 20 40 60 */
    /* This second's intervals (within the histogram's 3%). */
    assert_true(num(buf, "present_interval_us_p50") >= 16000 &&
                num(buf, "present_interval_us_p50") <= 17200);
    assert_true(num(buf, "present_interval_us_max") == 33300);
    assert_true(num(buf, "audio.packets") == 25);
    assert_true(num(buf, "audio.concealed_frames") == 2);
    assert_true(num(buf, "audio.overflow_bytes") == 960);
    assert_true(num(buf, "audio.underruns") == 1);
    str_at(buf, "audio.buffer_ms_now", "31.20");
    str_at(buf, "audio.buffer_ms_p99", "45.50");

    /* No time passed: rates are 0, not a division by zero. */
    assert_true(sky_timeline_second_json(t, T0 + 1500000, NULL, NULL, buf, sizeof(buf)));
    assert_true(tjson_valid(buf));
    assert_true(num(buf, "fps") == 0);
    assert_true(num(buf, "video_kbps") == 0);
    assert_true(num(buf, "presented") == 0);
    assert_true(num(buf, "present_interval_us_max") == 0); /* cleared each second */

    char small[32];
    assert_false(sky_timeline_second_json(t, T0 + 2000000, NULL, NULL, small, sizeof(small)));
    sky_timeline_destroy(&t);
}

/* The run used for the summary tests: 4 frames, 2 presented, 2 dropped. */
static SkyTimeline *summary_run(void)
{
    SkyTimeline *t = make();
    for (int i = 0; i < 5; i++)
        sky_timeline_frame_in(t);
    SkyFrameTiming f = presented(0, 0, 4, 20, 10, 100);
    sky_timeline_frame_done(t, &f);
    f = presented(1, 1000, 6, 30, 50, 100);
    sky_timeline_frame_done(t, &f);
    f = dropped(2, SKY_DROP_SUPERSEDED, 100);
    sky_timeline_frame_done(t, &f);
    f = dropped(3, SKY_DROP_DECODE_ERROR, 100);
    sky_timeline_frame_done(t, &f);
    sky_timeline_present_interval(t, 16000);
    sky_timeline_present_interval(t, 17000);
    return t;
}

static void test_summary_json(void **state)
{
    (void)state;
    SkyTimeline *t = summary_run();
    char buf[2048];
    assert_true(sky_timeline_summary_json(t, T0 + 2000000, NULL, NULL, buf, sizeof(buf)));
    assert_true(tjson_valid(buf));
    str_at(buf, "type", "summary");
    assert_true(num(buf, "duration_us") == 2000000);
    assert_true(num(buf, "frames") == 4);
    assert_true(num(buf, "presented") == 2);
    assert_true(num(buf, "dropped") == 2);
    assert_true(num(buf, "dropped_by.superseded") == 1);
    assert_true(num(buf, "dropped_by.decode_error") == 1);
    assert_true(num(buf, "dropped_by.no_output") == 0);
    assert_true(num(buf, "dropped_by.wait_keyframe") == 0);
    assert_true(num(buf, "dropped_by.flushed") == 0);
    assert_true(num(buf, "queue_us.p50") == 4);
    assert_true(num(buf, "queue_us.max") == 6);
    assert_true(num(buf, "decode_us.p50") == 20);
    assert_true(num(buf, "decode_us.p95") == 30);
    assert_true(num(buf, "decode_us.p99") == 30);
    assert_true(num(buf, "decode_us.max") == 30);
    assert_true(num(buf, "present_latency_us.p50") == 10);
    assert_true(num(buf, "present_latency_us.max") == 50);
    assert_true(num(buf, "total_us.p50") == 34);
    assert_true(num(buf, "total_us.p99") == 86);
    assert_true(num(buf, "present_interval_us.p50") == 16000);
    assert_true(num(buf, "present_interval_us.max") == 17000);
    char tmp[16];
    assert_false(tjson_get(buf, "audio.packets", tmp, sizeof(tmp)));

    SkyAudioFigures audio = {.active = true, .packets = 10, .buffer_ms_p50 = 20.126};
    assert_true(sky_timeline_summary_json(t, T0 + 2000000, &audio, NULL, buf, sizeof(buf)));
    assert_true(tjson_valid(buf));
    assert_true(num(buf, "audio.packets") == 10);
    str_at(buf, "audio.buffer_ms_p50", "20.13");
    /* An inactive audio block is left out. */
    audio.active = false;
    assert_true(sky_timeline_summary_json(t, T0 + 2000000, &audio, NULL, buf, sizeof(buf)));
    assert_false(tjson_get(buf, "audio.packets", tmp, sizeof(tmp)));

    char small[64];
    assert_false(sky_timeline_summary_json(t, T0 + 2000000, NULL, NULL, small, sizeof(small)));
    assert_true(strlen(small) < sizeof(small));
    sky_timeline_destroy(&t);
}

static void test_summary_text(void **state)
{
    (void)state;
    SkyTimeline *t = summary_run();
    char buf[1024];
    sky_timeline_summary_text(t, T0 + 2500000, NULL, NULL, buf, sizeof(buf));
    assert_string_equal(buf, "4 frames in 2.50 s: 2 presented, 2 dropped (superseded 1, decode "
                             "error 1, no output 0, wait keyframe 0, flushed 0, lost 0, hidden 0); decode "
                             "p50/p95/p99 0.02/0.03/0.03 ms; present latency p50/p99 0.01/0.05 "
                             "ms; present interval p50/p99/max 16.00/17.00/17.00 ms");
    SkyAudioFigures audio = {.active = true, .packets = 10, .concealed_frames = 2,
                             .underruns = 1, .buffer_ms_p50 = 20, .buffer_ms_p99 = 35.5};
    sky_timeline_summary_text(t, T0 + 2500000, &audio, NULL, buf, sizeof(buf));
    const char *suffix = "; audio 10 packets, 2 concealed, 1 underruns, buffer p50/p99 20.0/35.5 ms";
    assert_true(strlen(buf) > strlen(suffix));
    assert_string_equal(buf + strlen(buf) - strlen(suffix), suffix);

    /* A small buffer gets a cut, NUL-terminated line. */
    char small[20];
    memset(small, 'x', sizeof(small));
    sky_timeline_summary_text(t, T0 + 2500000, &audio, NULL, small, sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_int_equal(strncmp(small, "4 frames in 2.50 s:", 19), 0);
    sky_timeline_destroy(&t);
}

/* Frames from the network: their datagram times, FEC and host fields, and the spans. */
static void test_network(void **state)
{
    (void)state;
    SkyTimeline *t = make();
    SkyFrameTiming f = presented(1, 1000, 20, 30, 40, 5000);
    f.net = (SkyNetTiming){true, 77, 2, T0 + 500, T0 + 900, 1200, 10, 2, 1, T0 + 950};
    sky_timeline_frame_done(t, &f);
    char buf[4096];
    assert_true(sky_frame_timing_json(&f, T0, buf, sizeof(buf)));
    assert_true(tjson_valid(buf));
    assert_int_equal(num(buf, "host_frame"), 77);
    assert_int_equal(num(buf, "frame_type"), 2);
    assert_int_equal(num(buf, "first_packet_us"), 500);
    assert_int_equal(num(buf, "last_packet_us"), 900);
    assert_int_equal(num(buf, "release_us"), 950);
    assert_int_equal(num(buf, "host_latency_us"), 1200);
    assert_int_equal(num(buf, "fec_recovered_shards"), 1);
    str_at(buf, "fec_recovered", "true");
    /* network: first -> last datagram; hold: last datagram -> decode start; client: ->
     * presented */
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_NETWORK, 50), 400);
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_HOLD, 50), 120);
    assert_int_equal(sky_timeline_percentile(t, SKY_SPAN_CLIENT, 50), 190);
    SkyFrameTiming lost = dropped(2, SKY_DROP_LOST, 0);
    sky_timeline_frame_done(t, &lost);
    SkyNetFigures n = {.active = true, .video_bytes = 1000000, .video_datagrams = 900,
                       .datagrams_lost = 100, .fec_recovered_shards = 50, .frames_lost = 1,
                       .idr_requests = 1, .rtt_ms = 1.5, .jitter_target_ms = 4};
    assert_true(sky_timeline_second_json(t, T0 + 1000000, NULL, &n, buf, sizeof(buf)));
    assert_true(tjson_valid(buf));
    assert_int_equal(num(buf, "network.datagrams_lost"), 100);
    assert_int_equal(num(buf, "network.loss_pct"), 10);
    assert_int_equal(num(buf, "network.video_mbps"), 8);
    assert_int_equal(num(buf, "network.jitter_target_ms"), 4);
    /* The next second reports only what changed. */
    n.video_datagrams += 100;
    assert_true(sky_timeline_second_json(t, T0 + 2000000, NULL, &n, buf, sizeof(buf)));
    assert_int_equal(num(buf, "network.datagrams"), 100);
    assert_int_equal(num(buf, "network.datagrams_lost"), 0);
    assert_true(sky_timeline_summary_json(t, T0 + 2000000, NULL, &n, buf, sizeof(buf)));
    assert_true(tjson_valid(buf));
    assert_int_equal(num(buf, "dropped_by.lost"), 1);
    assert_int_equal(num(buf, "network.frames_lost"), 1);
    assert_int_equal(num(buf, "client_us.p50"), 190);
    sky_timeline_summary_text(t, T0 + 2000000, NULL, &n, buf, sizeof(buf));
    assert_non_null(strstr(buf, "lost 1, hidden 0)"));
    assert_non_null(strstr(buf, "100 datagrams lost"));
    sky_timeline_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop_reason_names),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_totals),
        cmocka_unit_test(test_frame_json),
        cmocka_unit_test(test_second_deltas),
        cmocka_unit_test(test_summary_json),
        cmocka_unit_test(test_summary_text),
        cmocka_unit_test(test_network),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
