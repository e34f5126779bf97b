/* `skylight play FILE`: the pipeline on a local file, set up in stages, torn down in reverse
 * (play.h). */
/* Threads (see docs/threading.md): this file runs on the main thread. It owns SDL's video and
 * event handling and presents pictures; the source's reader thread, the decoder thread and the
 * audio thread are started and joined here, in named stages, torn down in reverse. */
#include "client/play.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <SDL.h>
#include <libavutil/pixdesc.h>

#include "client/media/audio.h"
#include "client/cli.h"
#include "client/feedback.h"
#include "client/media/decoder.h"
#include "client/media/frame_md5.h"
#include "client/presenter.h"
#include "client/render/render.h"
#include "client/media/source_file.h"
#include "client/stats_out.h"
#include "client/media/video_pipeline.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/time.h"

#define TAG "play"

typedef struct SkyPlayOpts {
    bool pacing;
} SkyPlayOpts;

static const SkyOpt play_opts_table[] = {
    {"pacing", SKY_OPT_BOOL, offsetof(SkyPlayOpts, pacing), 0, 0, 0, NULL, "yes", NULL,
     "feed frames at the stream's rate; --no-pacing runs as fast as possible"},
    SKY_OPT_END,
};

typedef struct Play {
    SkyPlayOpts opts;
    SkyPresenterOpts run_opts;
    SkyDecoderOpts decoder_opts;
    SkyRenderOpts render_opts;
    SkyAudioOpts audio_opts;
    SkyStatsOutOpts stats_opts;
    const char *path;

    /* Resources, in the order they are set up. */
    SkyFeedback *feedback;
    SkyStatsOut *stats;
    SkySourceFile *source;
    SkyFrameMd5 *md5;
    bool sdl_video;
    SkyAudio *audio;
    SkyRender *render;
    SkyPresenter *presenter;
    SkyVideoPipeline *vp;
} Play;

static volatile sig_atomic_t g_quit;

static void on_signal(int sig)
{
    (void)sig;
    g_quit = 1;
}

static const SkyOptGroup play_groups[] = {
    {"Play", play_opts_table, offsetof(Play, opts)},
    {"Presentation", sky_presenter_opts_table, offsetof(Play, run_opts)},
    {"Video decoding", sky_decoder_opts_table, offsetof(Play, decoder_opts)},
    {"Window", sky_render_opts_table, offsetof(Play, render_opts)},
    {"Audio", sky_audio_opts_table, offsetof(Play, audio_opts)},
    {"Statistics and checks", sky_stats_out_opts_table, offsetof(Play, stats_opts)},
    SKY_OPT_GROUP_END,
};

static void play_usage(const char *verb)
{
    (void)verb;
    printf("Usage: skylight play [OPTIONS] FILE\n\n"
           "Plays the H.264, HEVC or AV1 video (and Opus audio) of a local file through the same\n"
           "queue, decoder and presentation path as a stream. In a window when a display is\n"
           "available; --headless decodes without one. Every run ends with a summary.\n");
    sky_cli_print_groups(stdout, &sky_play_verb);
}

static void audio_figures(Play *p, SkyAudioFigures *a)
{
    memset(a, 0, sizeof(*a));
    if (p->audio)
        sky_audio_figures(p->audio, a);
}

/* Presenter hook (main thread), once a second. */
static void figures(void *opaque, SkyAudioFigures *audio, SkyNetFigures *net)
{
    Play *p = opaque;
    (void)net;
    audio_figures(p, audio);
}

/* What the file's video is, for the renderer's choice. */
static SkyRenderContent content_of(const SkySourceInfo *info)
{
    SkyRenderContent c = {.width = info->width, .height = info->height};
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(info->pix_fmt);
    if (d) {
        c.deep = d->comp[0].depth > 8;
        c.yuv444 = d->log2_chroma_w == 0 && d->log2_chroma_h == 0;
    }
    c.hdr = info->color_trc == AVCOL_TRC_SMPTE2084 || info->color_trc == AVCOL_TRC_ARIB_STD_B67;
    return c;
}

static int setup(Play *p)
{
    int ret = sky_feedback_create(&p->feedback);
    if (ret < 0)
        return ret;
    ret = sky_stats_out_create(&p->stats, p->stats_opts.stats_json, sky_time_us());
    if (ret < 0)
        return ret;
    ret = sky_source_file_open(&p->source, p->path);
    if (ret < 0)
        return ret;
    SkySourceInfo info;
    sky_source_file_info(p->source, &info);
    if (p->stats_opts.frame_md5[0]) {
        ret = sky_frame_md5_open(&p->md5, p->stats_opts.frame_md5, info.time_base);
        if (ret < 0)
            return ret;
    }
    if (!p->run_opts.headless) {
        char why[256];
        if (sky_render_video_init(why, sizeof(why)) < 0) {
            SKY_LOGE(TAG, "no display to open a window on (%s); use --headless to decode "
                          "without one",
                     why);
            return SKY_ERR(ENODEV);
        }
        p->sdl_video = true;
        SkyRenderCfg rc = {.opts = p->render_opts,
                           .title = "Skylight",
                           .content = content_of(&info),
                           .stats = p->stats};
        ret = sky_render_create(&p->render, &rc);
        if (ret < 0)
            return ret;
    }
    SkyPresenterHooks hooks = {.figures = figures, .opaque = p};
    ret = sky_presenter_create(&p->presenter, p->render, p->stats, &hooks, &g_quit);
    if (ret < 0)
        return ret;
    if (p->render && p->run_opts.overlay)
        sky_presenter_toggle_overlay(p->presenter);
    if (info.has_audio && p->audio_opts.layout != SKY_AUDIO_OFF) {
        ret = sky_audio_create(&p->audio, &p->audio_opts, &info.opus);
        if (ret < 0)
            SKY_LOGW(TAG, "playing without sound: %s", sky_strerror(ret));
    }
    SkyVideoPipelineCfg vc = {
        .decoder =
            {
                .opts = p->decoder_opts,
                .codec_id = info.video_codec,
                .extradata = info.extradata,
                .extradata_len = info.extradata_len,
                .width = info.width,
                .height = info.height,
                .low_delay = info.low_delay,
                /* The placebo renderer maps hardware pictures itself; MD5s need them in
                 * system memory. */
                .keep_hw_frames = p->render && !sky_render_on_main_thread(p->render) && !p->md5,
            },
        /* A file is decoded as ffmpeg does: errors are counted, decoding goes on. */
        .policy = {.max_hw_failures = (uint32_t)p->decoder_opts.max_hw_failures,
                   .resync_on_error = false},
        .queue_frames = 8,
        .stats = p->stats,
        .md5 = p->md5,
        .feedback = p->feedback,
        .wake = sky_presenter_wake,
        .opaque = p->presenter,
    };
    ret = sky_video_pipeline_create(&p->vp, &vc);
    if (ret < 0)
        return ret;
    sky_presenter_attach(p->presenter, p->vp);
    if (p->render && (ret = sky_render_start(p->render, p->vp, NULL, NULL)) < 0)
        return ret;
    return sky_source_file_start(p->source, p->vp, p->audio, p->feedback, p->opts.pacing);
}

static int teardown(Play *p, int status)
{
    /* Reverse order of setup: stop the producer, then the decoder, then the outputs. */
    const char *backend = p->vp ? sky_video_pipeline_backend(p->vp) : "none";
    sky_source_file_destroy(&p->source);
    if (p->render)
        sky_render_stop(p->render); /* its render thread takes from the pipeline */
    sky_video_pipeline_destroy(&p->vp);
    if (p->audio && status == 0 && !g_quit && p->opts.pacing)
        sky_audio_drain(p->audio, 2000000);
    SkyAudioFigures af;
    audio_figures(p, &af);
    sky_audio_destroy(&p->audio);
    sky_presenter_destroy(&p->presenter);
    sky_render_destroy(&p->render);
    if (p->sdl_video)
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
    if (sky_frame_md5_close(&p->md5) < 0 && status == 0)
        status = SKY_ERR(EIO);
    /* The summary is for runs that got as far as decoding. */
    if (p->stats && strcmp(backend, "none") != 0) {
        char text[1024];
        sky_stats_out_finish(p->stats, sky_time_us(), &af, NULL, text, sizeof(text));
        bool stdout_busy = strcmp(p->stats_opts.stats_json, "-") == 0 ||
                           strcmp(p->stats_opts.frame_md5, "-") == 0;
        fprintf(stdout_busy ? stderr : stdout, "summary: %s; decoder %s\n", text, backend);
    }
    if (sky_stats_out_destroy(&p->stats) < 0 && status == 0)
        status = SKY_ERR(EIO);
    sky_feedback_destroy(&p->feedback);
    SDL_Quit();
    return status;
}

static int play_main(int argc, char **argv)
{
    Play p;
    memset(&p, 0, sizeof(p));
    SkyCli *cli;
    const char *pos[1];
    size_t npos;
    bool help;
    if (sky_cli_parse(&cli, &sky_play_verb, &p, argc, argv, pos, 1, &npos, &help) < 0)
        return 2;
    sky_cli_destroy(&cli);
    if (help) {
        play_usage("play");
        return 0;
    }
    if (npos != 1) {
        fprintf(stderr, "skylight play: which file? (skylight play --help)\n");
        return 2;
    }
    p.path = pos[0];

    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    sky_cli_on_quit_signals(on_signal);

    int status = setup(&p);
    if (status >= 0) {
        SkyPresenterEnd why;
        status = sky_presenter_run(p.presenter, p.run_opts.duration_s, &why);
        if (status == 0 && why == SKY_PRESENTER_END_USER)
            SKY_LOGI(TAG, "stopped by the user");
        else if (status == 0 && why == SKY_PRESENTER_END_DURATION)
            SKY_LOGI(TAG, "stopping after %.3g s (--duration)", p.run_opts.duration_s);
    }
    status = teardown(&p, status);
    return status < 0 ? 1 : 0;
}

const SkyVerb sky_play_verb = {"play", play_groups, false, play_main, play_usage};
