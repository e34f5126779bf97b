/* Per-frame timelines and the statistics built from them.
 *
 * Every compressed frame carries a SkyFrameTiming from the moment it is queued until it is
 * presented or dropped; it is then handed to sky_timeline_frame_done() exactly once. Times are
 * monotonic microseconds (sky_time_us()); 0 means "did not happen". Each derived figure names
 * the two moments it spans:
 *   queue_us            enqueued      -> decode_start
 *   decode_us           decode_start  -> decode_end   (picture ready in system memory)
 *   present_latency_us  decode_end    -> presented    (presentation call returned)
 *   draw (frame lines)  draw_start    -> presented    (the drawing thread's download, draw and
 *                                        present of the picture; no histogram)
 *   total_us            enqueued      -> presented
 *   present_interval_us presented     -> the next picture presented (judder; redraws of the
 *                                        same picture do not count)
 * and for frames from the network (net.valid):
 *   network_us          first datagram -> last datagram (the one that made the frame whole)
 *   hold_us             last datagram  -> decode_start (jitter buffer hold and queue)
 *   client_us           last datagram  -> presented    (all the client added)
 */
#ifndef SKY_COMMON_TIMELINE_H
#define SKY_COMMON_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum SkyFrameFate {
    SKY_FATE_PENDING = 0,
    SKY_FATE_PRESENTED,
    SKY_FATE_DROPPED,
} SkyFrameFate;

typedef enum SkyDropReason {
    SKY_DROP_NONE = 0,
    SKY_DROP_SUPERSEDED,     /* a newer picture replaced it before it could be shown */
    SKY_DROP_DECODE_ERROR,   /* the decoder rejected it */
    SKY_DROP_NO_OUTPUT,      /* the decoder took it but never produced its picture */
    SKY_DROP_WAIT_KEYFRAME,  /* discarded while waiting for a keyframe after an error */
    SKY_DROP_FLUSHED,        /* discarded by a flush, a generation change or shutdown */
    SKY_DROP_LOST,           /* never became whole: lost in the network beyond FEC's reach */
    SKY_DROP_HIDDEN,         /* the window could not show it (minimised, zero-sized) */
    SKY_DROP_COUNT
} SkyDropReason;

const char *sky_drop_reason_name(SkyDropReason r);

/* What the network told about a frame (streams only). */
typedef struct SkyNetTiming {
    bool valid;
    uint32_t host_frame;         /* the host's frame index */
    uint8_t frame_type;          /* 1 P, 2 IDR, 4 intra refresh, 5 after reference invalidation */
    int64_t first_packet_us;     /* arrival of its first datagram */
    int64_t last_packet_us;      /* arrival of the datagram that made it whole */
    uint32_t host_latency_us;    /* the host's own processing time (capture to send), 0 = unknown */
    uint16_t data_shards;
    uint16_t parity_shards;
    uint16_t recovered_shards;   /* data shards rebuilt by FEC */
    int64_t release_us;          /* when the jitter buffer let it go to the decoder */
} SkyNetTiming;

typedef struct SkyFrameTiming {
    uint64_t frame_number; /* 0-based, in arrival order */
    int64_t pts_us;        /* media time of the frame */
    uint32_t size_bytes;   /* compressed size */
    bool keyframe;
    uint16_t width, height; /* of the decoded picture, 0 if none */
    int64_t enqueued_us;
    int64_t decode_start_us;
    int64_t decode_end_us;
    int64_t draw_start_us; /* the drawing thread began to show it (0 headless) */
    int64_t presented_us;
    SkyFrameFate fate;
    SkyDropReason drop_reason;
    SkyNetTiming net;
} SkyFrameTiming;

/* Writes one JSON object (no newline) for a finished frame; times relative to t0_us.
 * Returns false if buf was too small. */
bool sky_frame_timing_json(const SkyFrameTiming *f, int64_t t0_us, char *buf, size_t cap);

/* Figures from the audio path, for the per-second and summary lines. */
typedef struct SkyAudioFigures {
    bool active;
    uint64_t packets;           /* Opus packets decoded */
    uint64_t concealed_frames;  /* packet-loss-concealment frames synthesised */
    uint64_t overflow_bytes;    /* decoded audio dropped because the output ring was full */
    uint64_t underruns;         /* device callbacks that found too little audio */
    double buffer_ms_now;       /* ring + device queue, sampled */
    double buffer_ms_p50;
    double buffer_ms_p99;
} SkyAudioFigures;

/* Figures from the network path (streams), for the per-second and summary lines. */
typedef struct SkyNetFigures {
    bool active;
    uint64_t video_bytes;        /* datagram bytes received (cumulative) */
    uint64_t video_datagrams;
    uint64_t datagrams_lost;     /* sequence gaps never filled */
    uint64_t fec_recovered_shards;
    uint64_t frames_lost;
    uint64_t idr_requests;
    uint64_t rfi_requests;
    uint64_t audio_bytes;
    uint64_t audio_packets_lost; /* not rebuilt by audio FEC */
    uint64_t audio_fec_recovered;
    double rtt_ms;               /* the control stream's round trip, sampled */
    double rtt_var_ms;
    double jitter_target_ms;     /* the video jitter buffer's current target */
    uint64_t recoveries;         /* losses after which decoding resumed at a recovery frame */
    double recovery_ms_last;     /* first lost frame noticed -> recovery frame handed out */
    double recovery_ms_max;
    uint64_t receive_cpu_us;     /* CPU time of the video receive thread (cumulative) */
    uint64_t input_packets;      /* input packets handed to the control socket (cumulative) */
    uint64_t input_dropped;      /* input that could not be queued or sent (cumulative) */
    uint64_t input_p50_us;       /* an input event's capture -> handed to the socket, whole */
    uint64_t input_p99_us;       /* session */
} SkyNetFigures;

typedef struct SkyTimeline SkyTimeline;

int sky_timeline_create(SkyTimeline **out, int64_t t0_us);
void sky_timeline_destroy(SkyTimeline **t);

/* Records a finished frame (any thread). */
void sky_timeline_frame_done(SkyTimeline *t, const SkyFrameTiming *f);
/* Counts a frame that entered the pipeline (any thread). */
void sky_timeline_frame_in(SkyTimeline *t);
/* The time from one picture's presentation to the next one's (the presenting thread). */
void sky_timeline_present_interval(SkyTimeline *t, int64_t interval_us);

typedef struct SkyTimelineTotals {
    uint64_t frames_in;
    uint64_t finished;
    uint64_t presented;
    uint64_t dropped;
    uint64_t dropped_by[SKY_DROP_COUNT];
} SkyTimelineTotals;

void sky_timeline_totals(const SkyTimeline *t, SkyTimelineTotals *out);

/* The per-second line: counts since the previous call, and the current percentiles.
 * One thread calls it. Returns false if buf was too small. */
bool sky_timeline_second_json(SkyTimeline *t, int64_t now_us, const SkyAudioFigures *audio,
                              const SkyNetFigures *net, char *buf, size_t cap);
/* The end-of-run summary as JSON and as one human line. */
bool sky_timeline_summary_json(const SkyTimeline *t, int64_t now_us, const SkyAudioFigures *audio,
                               const SkyNetFigures *net, char *buf, size_t cap);
void sky_timeline_summary_text(const SkyTimeline *t, int64_t now_us, const SkyAudioFigures *audio,
                               const SkyNetFigures *net, char *buf, size_t cap);

/* Percentiles of the spans above, in microseconds (p in [0,100]). */
typedef enum SkySpan {
    SKY_SPAN_QUEUE = 0,
    SKY_SPAN_DECODE,
    SKY_SPAN_PRESENT_LATENCY,
    SKY_SPAN_TOTAL,
    SKY_SPAN_NETWORK,
    SKY_SPAN_HOLD,
    SKY_SPAN_CLIENT,
    SKY_SPAN_PRESENT_INTERVAL,
    SKY_SPAN_COUNT
} SkySpan;

uint64_t sky_timeline_percentile(const SkyTimeline *t, SkySpan span, double p);

#endif
