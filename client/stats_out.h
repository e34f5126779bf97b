/* Where frame timelines and per-second figures go: the timeline's counters and histograms, and
 * optionally JSON lines (--stats-json FILE|-). Lines: {"type":"frame",...} per finished frame,
 * {"type":"second",...} once a second, {"type":"summary",...} at the end. */
#ifndef SKY_CLIENT_STATS_OUT_H
#define SKY_CLIENT_STATS_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/opts.h"
#include "common/media/timeline.h"

/* The statistics and check outputs of `play` and `stream`. */
typedef struct SkyStatsOutOpts {
    char stats_json[1024];  /* --stats-json: for sky_stats_out_create */
    char frame_md5[1024];   /* --frame-md5: for sky_frame_md5_open ("" for none) */
} SkyStatsOutOpts;

extern const SkyOpt sky_stats_out_opts_table[];

typedef struct SkyStatsOut SkyStatsOut;

/* json_path: NULL or "" for no JSON, "-" for stdout. Returns 0 or a negative errno (logged). */
int sky_stats_out_create(SkyStatsOut **out, const char *json_path, int64_t t0_us);
/* Flushes and closes. Accepts NULL. Returns the first write error, if any. */
int sky_stats_out_destroy(SkyStatsOut **s);

SkyTimeline *sky_stats_out_timeline(SkyStatsOut *s);
/* A frame entered the pipeline (any thread). */
void sky_stats_out_frame_in(SkyStatsOut *s);
/* A frame was presented or dropped (any thread): recorded, and written as a JSON line. */
void sky_stats_out_frame_done(SkyStatsOut *s, const SkyFrameTiming *f);
/* The presenting thread (one at a time): t's picture was presented at now_us. Finishes its
 * timeline as presented and records the time since the previous picture was presented. */
void sky_stats_out_presented(SkyStatsOut *s, SkyFrameTiming *t, int64_t now_us);
/* Whether a second has passed since the last per-second line (the tick thread). */
bool sky_stats_out_second_due(const SkyStatsOut *s, int64_t now_us);
/* Writes the per-second line when a second has passed since the last one (one thread).
 * audio and net may be NULL (not part of this run). */
void sky_stats_out_tick(SkyStatsOut *s, int64_t now_us, const SkyAudioFigures *audio,
                        const SkyNetFigures *net);
/* Writes the summary JSON line and puts the one-line human summary into text. */
void sky_stats_out_finish(SkyStatsOut *s, int64_t now_us, const SkyAudioFigures *audio,
                          const SkyNetFigures *net,
                          char *text, size_t text_cap);

#endif
