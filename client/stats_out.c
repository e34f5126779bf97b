/* Where frame timelines and per-second figures go: histograms, counters and --stats-json lines
 * (stats_out.h). */
#include "client/stats_out.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "stats"

const SkyOpt sky_stats_out_opts_table[] = {
    {"stats-json", SKY_OPT_STRING, offsetof(SkyStatsOutOpts, stats_json),
     sizeof(((SkyStatsOutOpts *)0)->stats_json), 0, 0, NULL, "", "FILE|-",
     "write per-frame timelines, per-second and summary lines as JSON lines"},
    {"frame-md5", SKY_OPT_STRING, offsetof(SkyStatsOutOpts, frame_md5),
     sizeof(((SkyStatsOutOpts *)0)->frame_md5), 0, 0, NULL, "", "FILE|-",
     "write the MD5 of every decoded picture, as 'ffmpeg -f framemd5' does (a stream's pts is "
     "the host's frame number)"},
    SKY_OPT_END,
};
#define LINE_MAX_BYTES 2048

struct SkyStatsOut {
    SkyTimeline *timeline; /* thread-safe itself */
    int64_t t0_us;
    /* Guarded by lock: the JSON file. */
    pthread_mutex_t lock;
    FILE *f;
    int error;
    /* Owned by the thread calling tick/finish. */
    int64_t next_tick_us;
    /* Owned by the presenting thread. */
    int64_t last_present_us;
};

int sky_stats_out_create(SkyStatsOut **out, const char *json_path, int64_t t0_us)
{
    *out = NULL;
    SkyStatsOut *s = calloc(1, sizeof(*s));
    if (!s)
        return SKY_ERR(ENOMEM);
    int ret = sky_timeline_create(&s->timeline, t0_us);
    if (ret < 0) {
        free(s);
        return ret;
    }
    if (json_path && json_path[0]) {
        s->f = strcmp(json_path, "-") == 0 ? stdout : fopen(json_path, "w");
        if (!s->f) {
            ret = SKY_ERR(errno);
            SKY_LOGE(TAG, "cannot write %s: %s", json_path, sky_strerror(ret));
            sky_timeline_destroy(&s->timeline);
            free(s);
            return ret;
        }
        /* Scripts read the lines as they come. */
        setvbuf(s->f, NULL, _IOLBF, 0);
    }
    pthread_mutex_init(&s->lock, NULL);
    s->t0_us = t0_us;
    s->next_tick_us = t0_us + 1000000;
    *out = s;
    return 0;
}

int sky_stats_out_destroy(SkyStatsOut **ps)
{
    SkyStatsOut *s = *ps;
    if (!s)
        return 0;
    int err = s->error;
    if (s->f && s->f != stdout && fclose(s->f) != 0 && !err)
        err = SKY_ERR(EIO);
    if (s->f == stdout && fflush(stdout) != 0 && !err)
        err = SKY_ERR(EIO);
    if (err < 0)
        SKY_LOGE(TAG, "writing the stats failed: %s", sky_strerror(err));
    pthread_mutex_destroy(&s->lock);
    sky_timeline_destroy(&s->timeline);
    free(s);
    *ps = NULL;
    return err;
}

SkyTimeline *sky_stats_out_timeline(SkyStatsOut *s)
{
    return s->timeline;
}

static void write_line(SkyStatsOut *s, const char *line)
{
    pthread_mutex_lock(&s->lock);
    if (fputs(line, s->f) < 0 || fputc('\n', s->f) < 0)
        s->error = SKY_ERR(EIO);
    pthread_mutex_unlock(&s->lock);
}

void sky_stats_out_frame_in(SkyStatsOut *s)
{
    sky_timeline_frame_in(s->timeline);
}

void sky_stats_out_frame_done(SkyStatsOut *s, const SkyFrameTiming *f)
{
    sky_timeline_frame_done(s->timeline, f);
    if (!s->f)
        return;
    char line[LINE_MAX_BYTES];
    if (sky_frame_timing_json(f, s->t0_us, line, sizeof(line)))
        write_line(s, line);
}

void sky_stats_out_presented(SkyStatsOut *s, SkyFrameTiming *t, int64_t now_us)
{
    t->fate = SKY_FATE_PRESENTED;
    t->presented_us = now_us;
    if (s->last_present_us)
        sky_timeline_present_interval(s->timeline, now_us - s->last_present_us);
    s->last_present_us = now_us;
    sky_stats_out_frame_done(s, t);
}

bool sky_stats_out_second_due(const SkyStatsOut *s, int64_t now_us)
{
    return now_us >= s->next_tick_us;
}

void sky_stats_out_tick(SkyStatsOut *s, int64_t now_us, const SkyAudioFigures *audio,
                        const SkyNetFigures *net)
{
    if (!sky_stats_out_second_due(s, now_us))
        return;
    s->next_tick_us += 1000000;
    if (s->next_tick_us <= now_us) /* we were stalled: do not emit a burst */
        s->next_tick_us = now_us + 1000000;
    char line[LINE_MAX_BYTES];
    if (sky_timeline_second_json(s->timeline, now_us, audio, net, line, sizeof(line)) && s->f)
        write_line(s, line);
}

void sky_stats_out_finish(SkyStatsOut *s, int64_t now_us, const SkyAudioFigures *audio,
                          const SkyNetFigures *net,
                          char *text, size_t text_cap)
{
    char line[LINE_MAX_BYTES];
    if (s->f && sky_timeline_summary_json(s->timeline, now_us, audio, net, line, sizeof(line)))
        write_line(s, line);
    sky_timeline_summary_text(s->timeline, now_us, audio, net, text, text_cap);
    pthread_mutex_lock(&s->lock);
    if (s->f)
        fflush(s->f);
    pthread_mutex_unlock(&s->lock);
}
