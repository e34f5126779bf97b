/* Per-frame timelines, drop reasons, and the per-second and summary figures built from them
 * (timeline.h). */
#include "common/media/timeline.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/core/error.h"
#include "common/core/json.h"
#include "common/core/stats.h"

static const char *const drop_names[SKY_DROP_COUNT] = {
    [SKY_DROP_NONE] = "none",
    [SKY_DROP_SUPERSEDED] = "superseded",
    [SKY_DROP_DECODE_ERROR] = "decode_error",
    [SKY_DROP_NO_OUTPUT] = "no_output",
    [SKY_DROP_WAIT_KEYFRAME] = "wait_keyframe",
    [SKY_DROP_FLUSHED] = "flushed",
    [SKY_DROP_LOST] = "lost",
    [SKY_DROP_HIDDEN] = "hidden",
};

static const char *const span_names[SKY_SPAN_COUNT] = {
    [SKY_SPAN_QUEUE] = "queue_us",
    [SKY_SPAN_DECODE] = "decode_us",
    [SKY_SPAN_PRESENT_LATENCY] = "present_latency_us",
    [SKY_SPAN_TOTAL] = "total_us",
    [SKY_SPAN_NETWORK] = "network_us",
    [SKY_SPAN_HOLD] = "hold_us",
    [SKY_SPAN_CLIENT] = "client_us",
    [SKY_SPAN_PRESENT_INTERVAL] = "present_interval_us",
};

const char *sky_drop_reason_name(SkyDropReason r)
{
    return (unsigned)r < SKY_DROP_COUNT ? drop_names[r] : "unknown";
}

struct SkyTimeline {
    int64_t t0_us;
    /* Recorded from any thread (atomics). */
    SkyCounter frames_in;
    SkyCounter finished;
    SkyCounter presented;
    SkyCounter dropped_by[SKY_DROP_COUNT];
    SkyCounter compressed_bytes;
    SkyHistogram spans[SKY_SPAN_COUNT];
    /* Present intervals of the current second: the presenting thread records into
     * second_interval[second_index]; sky_timeline_second_json() switches the index, reads the
     * other one and clears it. */
    SkyHistogram second_interval[2];
    atomic_uint second_index;
    /* Owned by the thread that calls sky_timeline_second_json(). */
    int64_t last_second_us;
    uint64_t last_in, last_presented, last_dropped, last_bytes;
    SkyNetFigures last_net;
};

int sky_timeline_create(SkyTimeline **out, int64_t t0_us)
{
    SkyTimeline *t = calloc(1, sizeof(*t));
    *out = NULL;
    if (!t)
        return SKY_ERR(ENOMEM);
    t->t0_us = t0_us;
    t->last_second_us = t0_us;
    for (int i = 0; i < SKY_SPAN_COUNT; i++)
        sky_hist_init(&t->spans[i]);
    sky_hist_init(&t->second_interval[0]);
    sky_hist_init(&t->second_interval[1]);
    atomic_init(&t->second_index, 0);
    *out = t;
    return 0;
}

void sky_timeline_destroy(SkyTimeline **pt)
{
    free(*pt);
    *pt = NULL;
}

void sky_timeline_frame_in(SkyTimeline *t)
{
    sky_counter_add(&t->frames_in, 1);
}

void sky_timeline_present_interval(SkyTimeline *t, int64_t interval_us)
{
    sky_hist_record_signed(&t->spans[SKY_SPAN_PRESENT_INTERVAL], interval_us);
    sky_hist_record_signed(&t->second_interval[atomic_load(&t->second_index) & 1], interval_us);
}

static void span(SkyTimeline *t, SkySpan s, int64_t from_us, int64_t to_us)
{
    if (from_us && to_us)
        sky_hist_record_signed(&t->spans[s], to_us - from_us);
}

void sky_timeline_frame_done(SkyTimeline *t, const SkyFrameTiming *f)
{
    sky_counter_add(&t->finished, 1);
    sky_counter_add(&t->compressed_bytes, f->size_bytes);
    span(t, SKY_SPAN_QUEUE, f->enqueued_us, f->decode_start_us);
    span(t, SKY_SPAN_DECODE, f->decode_start_us, f->decode_end_us);
    if (f->net.valid) {
        span(t, SKY_SPAN_NETWORK, f->net.first_packet_us, f->net.last_packet_us);
        span(t, SKY_SPAN_HOLD, f->net.last_packet_us, f->decode_start_us);
    }
    if (f->fate == SKY_FATE_PRESENTED) {
        sky_counter_add(&t->presented, 1);
        span(t, SKY_SPAN_PRESENT_LATENCY, f->decode_end_us, f->presented_us);
        span(t, SKY_SPAN_TOTAL, f->enqueued_us, f->presented_us);
        if (f->net.valid)
            span(t, SKY_SPAN_CLIENT, f->net.last_packet_us, f->presented_us);
    } else {
        SkyDropReason r = (unsigned)f->drop_reason < SKY_DROP_COUNT ? f->drop_reason : SKY_DROP_NONE;
        sky_counter_add(&t->dropped_by[r], 1);
    }
}

void sky_timeline_totals(const SkyTimeline *t, SkyTimelineTotals *out)
{
    out->frames_in = sky_counter_get(&t->frames_in);
    out->finished = sky_counter_get(&t->finished);
    out->presented = sky_counter_get(&t->presented);
    out->dropped = 0;
    for (int i = 0; i < SKY_DROP_COUNT; i++) {
        out->dropped_by[i] = sky_counter_get(&t->dropped_by[i]);
        out->dropped += out->dropped_by[i];
    }
}

uint64_t sky_timeline_percentile(const SkyTimeline *t, SkySpan s, double p)
{
    return (unsigned)s < SKY_SPAN_COUNT ? sky_hist_percentile(&t->spans[s], p) : 0;
}

static void rel(SkyJson *j, const char *key, int64_t t_us, int64_t t0_us)
{
    if (t_us)
        sky_json_int(j, key, t_us - t0_us);
    else
        sky_json_null(j, key);
}

bool sky_frame_timing_json(const SkyFrameTiming *f, int64_t t0_us, char *buf, size_t cap)
{
    SkyJson j;
    sky_json_init(&j, buf, cap);
    sky_json_obj_begin(&j, NULL);
    sky_json_str(&j, "type", "frame");
    sky_json_uint(&j, "frame", f->frame_number);
    sky_json_int(&j, "pts_us", f->pts_us);
    sky_json_uint(&j, "size_bytes", f->size_bytes);
    sky_json_bool(&j, "keyframe", f->keyframe);
    if (f->width)
        sky_json_uint(&j, "width", f->width);
    if (f->height)
        sky_json_uint(&j, "height", f->height);
    rel(&j, "enqueued_us", f->enqueued_us, t0_us);
    rel(&j, "decode_start_us", f->decode_start_us, t0_us);
    rel(&j, "decode_end_us", f->decode_end_us, t0_us);
    rel(&j, "draw_start_us", f->draw_start_us, t0_us);
    rel(&j, "presented_us", f->presented_us, t0_us);
    if (f->net.valid) {
        sky_json_uint(&j, "host_frame", f->net.host_frame);
        sky_json_uint(&j, "frame_type", f->net.frame_type);
        rel(&j, "first_packet_us", f->net.first_packet_us, t0_us);
        rel(&j, "last_packet_us", f->net.last_packet_us, t0_us);
        rel(&j, "release_us", f->net.release_us, t0_us);
        sky_json_uint(&j, "host_latency_us", f->net.host_latency_us);
        sky_json_uint(&j, "data_shards", f->net.data_shards);
        sky_json_uint(&j, "parity_shards", f->net.parity_shards);
        sky_json_uint(&j, "fec_recovered_shards", f->net.recovered_shards);
        sky_json_bool(&j, "fec_recovered", f->net.recovered_shards > 0);
    }
    if (f->fate == SKY_FATE_PRESENTED) {
        sky_json_str(&j, "fate", "presented");
    } else {
        sky_json_str(&j, "fate", "dropped");
        sky_json_str(&j, "drop_reason", sky_drop_reason_name(f->drop_reason));
    }
    sky_json_obj_end(&j);
    return sky_json_ok(&j);
}

static void audio_json(SkyJson *j, const SkyAudioFigures *a)
{
    if (!a || !a->active)
        return;
    sky_json_obj_begin(j, "audio");
    sky_json_uint(j, "packets", a->packets);
    sky_json_uint(j, "concealed_frames", a->concealed_frames);
    sky_json_uint(j, "overflow_bytes", a->overflow_bytes);
    sky_json_uint(j, "underruns", a->underruns);
    sky_json_double(j, "buffer_ms_now", a->buffer_ms_now, 2);
    sky_json_double(j, "buffer_ms_p50", a->buffer_ms_p50, 2);
    sky_json_double(j, "buffer_ms_p99", a->buffer_ms_p99, 2);
    sky_json_obj_end(j);
}

static void net_json(SkyJson *j, const SkyNetFigures *n, const SkyNetFigures *prev, double secs)
{
    if (!n || !n->active)
        return;
    sky_json_obj_begin(j, "network");
    if (prev) {
        double dt = secs > 0 ? secs : 1;
        sky_json_double(j, "video_mbps", (double)(n->video_bytes - prev->video_bytes) * 8 / 1e6 / dt,
                        3);
        sky_json_double(j, "audio_kbps", (double)(n->audio_bytes - prev->audio_bytes) * 8 / 1e3 / dt,
                        1);
        sky_json_uint(j, "datagrams", n->video_datagrams - prev->video_datagrams);
        sky_json_uint(j, "datagrams_lost", n->datagrams_lost - prev->datagrams_lost);
        uint64_t got = n->video_datagrams - prev->video_datagrams;
        uint64_t lost = n->datagrams_lost - prev->datagrams_lost;
        sky_json_double(j, "loss_pct", got + lost ? 100.0 * (double)lost / (double)(got + lost) : 0,
                        2);
        sky_json_uint(j, "fec_recovered_shards",
                      n->fec_recovered_shards - prev->fec_recovered_shards);
        sky_json_uint(j, "frames_lost", n->frames_lost - prev->frames_lost);
        sky_json_uint(j, "idr_requests", n->idr_requests - prev->idr_requests);
        sky_json_uint(j, "audio_packets_lost", n->audio_packets_lost - prev->audio_packets_lost);
        sky_json_uint(j, "recoveries", n->recoveries - prev->recoveries);
        sky_json_double(j, "receive_cpu_pct",
                        (double)(n->receive_cpu_us - prev->receive_cpu_us) / 1e4 / dt, 2);
        sky_json_uint(j, "input_packets", n->input_packets - prev->input_packets);
    } else {
        sky_json_uint(j, "video_bytes", n->video_bytes);
        sky_json_uint(j, "datagrams", n->video_datagrams);
        sky_json_uint(j, "datagrams_lost", n->datagrams_lost);
        sky_json_uint(j, "fec_recovered_shards", n->fec_recovered_shards);
        sky_json_uint(j, "frames_lost", n->frames_lost);
        sky_json_uint(j, "idr_requests", n->idr_requests);
        sky_json_uint(j, "rfi_requests", n->rfi_requests);
        sky_json_uint(j, "audio_packets_lost", n->audio_packets_lost);
        sky_json_uint(j, "audio_fec_recovered", n->audio_fec_recovered);
        sky_json_uint(j, "recoveries", n->recoveries);
        sky_json_double(j, "recovery_ms_max", n->recovery_ms_max, 2);
        sky_json_uint(j, "receive_cpu_us", n->receive_cpu_us);
        sky_json_uint(j, "input_packets", n->input_packets);
        sky_json_uint(j, "input_dropped", n->input_dropped);
    }
    sky_json_uint(j, "input_to_socket_us_p50", n->input_p50_us);
    sky_json_uint(j, "input_to_socket_us_p99", n->input_p99_us);
    sky_json_double(j, "recovery_ms_last", n->recovery_ms_last, 2);
    sky_json_double(j, "rtt_ms", n->rtt_ms, 2);
    sky_json_double(j, "rtt_var_ms", n->rtt_var_ms, 2);
    sky_json_double(j, "jitter_target_ms", n->jitter_target_ms, 2);
    sky_json_obj_end(j);
}

static void spans_json(SkyJson *j, const SkyTimeline *t)
{
    static const double ps[] = {50, 95, 99};
    static const char *const pnames[] = {"p50", "p95", "p99"};
    for (int s = 0; s < SKY_SPAN_COUNT; s++) {
        sky_json_obj_begin(j, span_names[s]);
        for (int i = 0; i < 3; i++)
            sky_json_uint(j, pnames[i], sky_hist_percentile(&t->spans[s], ps[i]));
        sky_json_uint(j, "max", sky_hist_max(&t->spans[s]));
        sky_json_obj_end(j);
    }
}

static void drops_json(SkyJson *j, const SkyTimelineTotals *tot)
{
    sky_json_obj_begin(j, "dropped_by");
    for (int i = 1; i < SKY_DROP_COUNT; i++)
        sky_json_uint(j, drop_names[i], tot->dropped_by[i]);
    sky_json_obj_end(j);
}

bool sky_timeline_second_json(SkyTimeline *t, int64_t now_us, const SkyAudioFigures *audio,
                              const SkyNetFigures *net, char *buf, size_t cap)
{
    SkyTimelineTotals tot;
    sky_timeline_totals(t, &tot);
    uint64_t bytes = sky_counter_get(&t->compressed_bytes);
    double secs = (double)(now_us - t->last_second_us) / 1e6;
    SkyJson j;
    sky_json_init(&j, buf, cap);
    sky_json_obj_begin(&j, NULL);
    sky_json_str(&j, "type", "second");
    sky_json_int(&j, "t_us", now_us - t->t0_us);
    sky_json_uint(&j, "frames_in", tot.frames_in - t->last_in);
    sky_json_uint(&j, "presented", tot.presented - t->last_presented);
    sky_json_uint(&j, "dropped", tot.dropped - t->last_dropped);
    sky_json_double(&j, "fps", secs > 0 ? (double)(tot.presented - t->last_presented) / secs : 0,
                    2);
    sky_json_double(&j, "video_kbps",
                    secs > 0 ? (double)(bytes - t->last_bytes) * 8.0 / 1000.0 / secs : 0, 1);
    sky_json_uint(&j, "decode_us_p50", sky_hist_percentile(&t->spans[SKY_SPAN_DECODE], 50));
    sky_json_uint(&j, "present_latency_us_p50",
                  sky_hist_percentile(&t->spans[SKY_SPAN_PRESENT_LATENCY], 50));
    /* This second's present intervals (a record racing the switch may land in the next). */
    unsigned idx = atomic_fetch_xor(&t->second_index, 1) & 1;
    SkyHistogram *iv = &t->second_interval[idx];
    sky_json_uint(&j, "present_interval_us_p50", sky_hist_percentile(iv, 50));
    sky_json_uint(&j, "present_interval_us_p99", sky_hist_percentile(iv, 99));
    sky_json_uint(&j, "present_interval_us_max", sky_hist_max(iv));
    sky_hist_clear(iv);
    audio_json(&j, audio);
    net_json(&j, net, &t->last_net, secs);
    sky_json_obj_end(&j);
    if (net)
        t->last_net = *net;
    t->last_second_us = now_us;
    t->last_in = tot.frames_in;
    t->last_presented = tot.presented;
    t->last_dropped = tot.dropped;
    t->last_bytes = bytes;
    return sky_json_ok(&j);
}

bool sky_timeline_summary_json(const SkyTimeline *t, int64_t now_us, const SkyAudioFigures *audio,
                               const SkyNetFigures *net, char *buf, size_t cap)
{
    SkyTimelineTotals tot;
    sky_timeline_totals(t, &tot);
    SkyJson j;
    sky_json_init(&j, buf, cap);
    sky_json_obj_begin(&j, NULL);
    sky_json_str(&j, "type", "summary");
    sky_json_int(&j, "duration_us", now_us - t->t0_us);
    sky_json_uint(&j, "frames", tot.finished);
    sky_json_uint(&j, "presented", tot.presented);
    sky_json_uint(&j, "dropped", tot.dropped);
    drops_json(&j, &tot);
    spans_json(&j, t);
    audio_json(&j, audio);
    net_json(&j, net, NULL, 0);
    sky_json_obj_end(&j);
    return sky_json_ok(&j);
}

void sky_timeline_summary_text(const SkyTimeline *t, int64_t now_us, const SkyAudioFigures *audio,
                               const SkyNetFigures *net, char *buf, size_t cap)
{
    SkyTimelineTotals tot;
    sky_timeline_totals(t, &tot);
    const SkyHistogram *dec = &t->spans[SKY_SPAN_DECODE];
    const SkyHistogram *pres = &t->spans[SKY_SPAN_PRESENT_LATENCY];
    const SkyHistogram *iv = &t->spans[SKY_SPAN_PRESENT_INTERVAL];
    int n = snprintf(buf, cap,
                     "%" PRIu64 " frames in %.2f s: %" PRIu64 " presented, %" PRIu64
                     " dropped (superseded %" PRIu64 ", decode error %" PRIu64
                     ", no output %" PRIu64 ", wait keyframe %" PRIu64 ", flushed %" PRIu64
                     ", lost %" PRIu64 ", hidden %" PRIu64 "); decode p50/p95/p99 %.2f/%.2f/%.2f ms; present latency p50/p99 "
                     "%.2f/%.2f ms; present interval p50/p99/max %.2f/%.2f/%.2f ms",
                     tot.finished, (double)(now_us - t->t0_us) / 1e6, tot.presented, tot.dropped,
                     tot.dropped_by[SKY_DROP_SUPERSEDED], tot.dropped_by[SKY_DROP_DECODE_ERROR],
                     tot.dropped_by[SKY_DROP_NO_OUTPUT], tot.dropped_by[SKY_DROP_WAIT_KEYFRAME],
                     tot.dropped_by[SKY_DROP_FLUSHED], tot.dropped_by[SKY_DROP_LOST],
                     tot.dropped_by[SKY_DROP_HIDDEN],
                     sky_hist_percentile(dec, 50) / 1e3,
                     sky_hist_percentile(dec, 95) / 1e3, sky_hist_percentile(dec, 99) / 1e3,
                     sky_hist_percentile(pres, 50) / 1e3, sky_hist_percentile(pres, 99) / 1e3,
                     sky_hist_percentile(iv, 50) / 1e3, sky_hist_percentile(iv, 99) / 1e3,
                     sky_hist_max(iv) / 1e3);
    if (net && net->active && n > 0 && (size_t)n < cap) {
        const SkyHistogram *cl = &t->spans[SKY_SPAN_CLIENT];
        int m = snprintf(buf + n, cap - (size_t)n,
                         "; network %" PRIu64 " datagrams lost, %" PRIu64
                         " shards rebuilt by FEC, %" PRIu64 " frames lost, %" PRIu64
                         " IDR requests, %" PRIu64 " recoveries (longest %.1f ms), rtt %.1f ms;"
                         " last packet to presented p50/p99 %.2f/%.2f ms; %" PRIu64
                         " input packets, capture to socket p50/p99 %.3f/%.3f ms",
                         net->datagrams_lost, net->fec_recovered_shards, net->frames_lost,
                         net->idr_requests, net->recoveries, net->recovery_ms_max, net->rtt_ms,
                         sky_hist_percentile(cl, 50) / 1e3, sky_hist_percentile(cl, 99) / 1e3,
                         net->input_packets, net->input_p50_us / 1e3, net->input_p99_us / 1e3);
        if (m > 0)
            n += m;
    }
    if (audio && audio->active && n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n,
                 "; audio %" PRIu64 " packets, %" PRIu64 " concealed, %" PRIu64
                 " underruns, buffer p50/p99 %.1f/%.1f ms",
                 audio->packets, audio->concealed_frames, audio->underruns, audio->buffer_ms_p50,
                 audio->buffer_ms_p99);
}
