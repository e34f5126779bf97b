/* `skylight stream`: the session, started in named stages and torn down in reverse from
 * wherever it got to (moonlight-common-c's LiStartConnection/LiStopConnection):
 *
 *   host      find the host, check pairing (client/host/host_client.c), apply its
 *             [host NAME] settings, then fill in the mode (size, rate, bitrate)
 *   launch    /launch or /resume with the session key
 *   rtsp      the RTSP handshake: ports, codec, encryption, audio layout
 *   feedback  the reports between the stream's threads (client/feedback.h), first made and
 *             last destroyed, so no report reaches a module that is gone
 *   output    stats, the window (or headless), the presenter
 *   decoder   the video pipeline (decoder thread)
 *   audio     the audio output (audio thread, SDL callback)
 *   record    --record FILE
 *   control   the ENet control stream (control thread)
 *   input     keyboard, mouse, touch and gamepads to the host (input thread); the in-stream
 *             menu (client/ui/stream_menu.h) in a window
 *   video     the video receiver (receive thread)
 *   audionet  the audio receiver (receive thread)
 *   run       the main thread presents until the stream ends
 *
 * The verb and the launcher's embedded stream (sky_stream_run_embedded) run the same code; they
 * differ in who owns the window and SDL: a borrowed window is stopped, never destroyed, its
 * title and screen picture given back, and SDL is left initialised.
 *
 * Threads: this file runs on the main thread (docs/threading.md lists the others). */
#include "client/stream.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL.h>

#include "client/media/audio.h"
#include "client/net/audio_stream.h"
#include "client/cli.h"
#include "client/feedback.h"
#include "client/net/control_stream.h"
#include "client/media/decoder.h"
#include "client/media/frame_md5.h"
#include "client/fsutil.h"
#include "client/host/host_client.h"
#include "client/host/http.h"
#include "client/host/identity.h"
#include "client/input/input.h"
#include "client/input/input_script.h"
#include "client/presenter.h"
#include "client/media/recorder.h"
#include "client/render/render.h"
#include "client/net/rtsp_client.h"
#include "client/stats_out.h"
#include "client/media/video_pipeline.h"
#include "client/net/video_stream.h"
#include "client/ui/stream_menu.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/proto/jitter.h"
#include "common/core/log.h"
#include "common/proto/sdp.h"
#include "common/proto/video_format.h"
#include "common/core/time.h"

#define TAG "stream"

/* Channels asked of the host per SkyAudioLayout ("off" still receives stereo: Sunshine ends a
 * session whose audio is never pinged). */
static const int audio_channels[] = {2, 6, 8, 2};

typedef struct StreamOpts {
    int width, height, fps;
    int bitrate_kbps;
    int codec;          /* auto|h264|hevc|av1 */
    bool hdr;
    bool yuv444;
    int packet_size;
    int latency_mode;   /* SkyLatencyMode */
    bool dry_run;
    bool sops;
    bool local_audio;
    bool quit_after;
    bool encrypt;
    char record[1024];
} StreamOpts;

static const SkyOpt stream_opts_table[] = {
    {"width", SKY_OPT_INT, offsetof(StreamOpts, width), 0, 0, 8192, NULL, "0", "PX",
     "stream width; 0 = the display's (1280 headless)"},
    {"height", SKY_OPT_INT, offsetof(StreamOpts, height), 0, 0, 8192, NULL, "0", "PX",
     "stream height; 0 = the display's (720 headless)"},
    {"fps", SKY_OPT_INT, offsetof(StreamOpts, fps), 0, 0, 480, NULL, "0", "N",
     "frames per second; 0 = the display's refresh rate (60 headless)"},
    {"bitrate", SKY_OPT_INT, offsetof(StreamOpts, bitrate_kbps), 0, 0, 500000, NULL, "0", "KBPS",
     "video bitrate; 0 = from the resolution and frame rate"},
    {"codec", SKY_OPT_CHOICE, offsetof(StreamOpts, codec), 0, 0, 0, "auto|h264|hevc|av1", "auto",
     NULL, "video codec; auto = HEVC when the host offers it, else H.264"},
    {"hdr", SKY_OPT_BOOL, offsetof(StreamOpts, hdr), 0, 0, 0, NULL, "no", NULL,
     "ask for 10-bit HDR video (HEVC or AV1, when the host offers it)"},
    {"yuv444", SKY_OPT_BOOL, offsetof(StreamOpts, yuv444), 0, 0, 0, NULL, "no", NULL,
     "ask for full-resolution colour (YUV 4:4:4) when the host offers it for the codec"},
    {"packet-size", SKY_OPT_INT, offsetof(StreamOpts, packet_size), 0, 256, 4096, NULL, "1392",
     "BYTES", "video packet size (capped at 1024 for hosts outside the local network)"},
    {"latency-mode", SKY_OPT_CHOICE, offsetof(StreamOpts, latency_mode), 0, 0, 0,
     "lowest|balanced|smooth", "lowest", NULL,
     "lowest: decode each frame at once; balanced: absorb network jitter; smooth: also pace "
     "presentation to the display"},
    {"dry-run", SKY_OPT_BOOL, offsetof(StreamOpts, dry_run), 0, 0, 0, NULL, "no", NULL,
     "launch or resume the app, print the session and stop"},
    {"sops", SKY_OPT_BOOL, offsetof(StreamOpts, sops), 0, 0, 0, NULL, "yes", NULL,
     "let the host change its display mode to match the stream"},
    {"local-audio", SKY_OPT_BOOL, offsetof(StreamOpts, local_audio), 0, 0, 0, NULL, "no", NULL,
     "keep playing the audio on the host too"},
    {"quit-after", SKY_OPT_BOOL, offsetof(StreamOpts, quit_after), 0, 0, 0, NULL, "no", NULL,
     "quit the app on the host when the stream ends"},
    {"encrypt", SKY_OPT_BOOL, offsetof(StreamOpts, encrypt), 0, 0, 0, NULL, "no", NULL,
     "encrypt video too when the host offers it (audio and control are whenever the host can)"},
    SKY_OPT_END,
};

static const SkyOpt record_opts_table[] = {
    {"record", SKY_OPT_STRING, offsetof(StreamOpts, record), sizeof(((StreamOpts *)0)->record),
     0, 0, NULL, "", "FILE",
     "write the received video and audio to FILE (.mkv, .mp4, ...) without re-encoding"},
    SKY_OPT_END,
};

typedef struct Session {
    StreamOpts opts;
    SkyPresenterOpts run_opts;
    SkyHostClientOpts host_opts;
    SkyAudioOpts audio_opts;
    SkyDecoderOpts decoder_opts;
    SkyRenderOpts render_opts;
    SkyInputOpts input_opts;
    SkyStatsOutOpts stats_opts;
    SkyCli *cli;               /* for the host's own settings ([host NAME]) */
    const char *host_arg, *app_arg;
    char config_dir[4096];
    char err[1600];

    /* Stages, in order. */
    SkyIdentity *id;
    SkyHostClient *hc;
    bool launched;
    SkyLaunchParams launch;
    SkySessionUrl url;
    char app_title[256];
    SkyVideoFormat format;     /* planned before launch (check_host) */
    SkyRtspSession rtsp;
    SkyFeedback *feedback;
    SkyStatsOut *stats;
    SkyFrameMd5 *md5;
    bool sdl_video;
    SkyRender *render;
    SkyPresenter *presenter;
    SkyVideoPipeline *vp;
    SkyAudio *audio;
    SkyRecorder *recorder;
    SkyControlStream *control;
    bool sdl_events;           /* headless: SDL's event queue initialised for input */
    SkyInput *input;
    SkyInputScript *script;
    SkyStreamMenu *menu;
    SkyVideoStream *video;
    SkyAudioStream *audionet;
    const char *stage;

    /* The launcher's embedded stream (NULL for the verb). */
    SkyRender *borrowed;       /* its window: stopped at the end, never destroyed */
    SkyInputScript *ext_script; /* its input script, stepped every turn; not owned */
    char saved_title[256];     /* the window's title before the stream's */
    bool window_closed;        /* SDL_QUIT ended the stream: handed back to the launcher */

    /* How it ended, beyond the presenter's reasons. */
    SkyStreamMenuAction menu_end; /* SKY_STREAM_MENU_END_STREAM or _END_APP: the menu */
    char end_text[300];        /* a normal end, in a sentence */
} Session;

static volatile sig_atomic_t g_quit;
static atomic_bool g_cancel;

static void on_signal(int sig)
{
    (void)sig;
    g_quit = 1;
    atomic_store(&g_cancel, true);
}

static const SkyOptGroup stream_groups[] = {
    {"Stream", stream_opts_table, offsetof(Session, opts)},
    {"Presentation", sky_presenter_opts_table, offsetof(Session, run_opts)},
    {"Host", sky_host_client_opts_table, offsetof(Session, host_opts)},
    {"Audio", sky_audio_opts_table, offsetof(Session, audio_opts)},
    {"Video decoding", sky_decoder_opts_table, offsetof(Session, decoder_opts)},
    {"Window", sky_render_opts_table, offsetof(Session, render_opts)},
    {"Input", sky_input_opts_table, offsetof(Session, input_opts)},
    {"Statistics and checks", sky_stats_out_opts_table, offsetof(Session, stats_opts)},
    {"Recording", record_opts_table, offsetof(Session, opts)},
    SKY_OPT_GROUP_END,
};

static void stream_usage(const char *verb)
{
    (void)verb;
    printf("Usage: skylight stream [OPTIONS] HOST [APP]\n\n"
           "Launches APP (an id or a name; default: the app running on the host, else Desktop)\n"
           "on a paired host, or resumes it, and plays it: in a window, or --headless.\n"
           "Ctrl+C or closing the window ends the stream (the app keeps running on the host\n"
           "unless --quit-after; 'skylight stream HOST' resumes it).\n\n"
           "Shortcuts (Ctrl+Alt+Shift and): Q quit, S stats overlay, Z release or capture the\n"
           "mouse, X fullscreen, M relative or absolute mouse, Enter the menu. F11 also toggles\n"
           "fullscreen. On a gamepad, holding --menu-combo (Start+Select+L1+R1) opens the menu:\n"
           "resume, quit the stream, quit the app, the stats overlay, the mouse mode.\n\n"
           "A [host NAME] section of the config file holds one host's settings (NAME: HOST as\n"
           "typed, or the host's name, unique id or address); they apply once the host is\n"
           "found, over the file's global lines; the command line wins over both.\n");
    sky_cli_print_groups(stdout, &sky_stream_verb);
}

/* Main thread: what the in-stream menu asks of the session. */
static void menu_action(Session *s, SkyStreamMenuAction a)
{
    switch (a) {
    case SKY_STREAM_MENU_OPENED:
        sky_input_suspend(s->input, true); /* the host sees nothing held, and nothing more */
        break;
    case SKY_STREAM_MENU_CLOSED:
        sky_input_suspend(s->input, false);
        break;
    case SKY_STREAM_MENU_END_STREAM:
    case SKY_STREAM_MENU_END_APP:
        s->menu_end = a; /* the presenter's next poll ends the loop */
        break;
    case SKY_STREAM_MENU_TOGGLE_STATS:
        sky_presenter_toggle_overlay(s->presenter);
        break;
    case SKY_STREAM_MENU_TOGGLE_MOUSE:
        sky_input_toggle_mouse_mode(s->input);
        break;
    case SKY_STREAM_MENU_NONE:
        break;
    }
}

/* Main thread: the shortcuts the session carries out. */
static void do_shortcut(Session *s, SkyShortcut which)
{
    switch (which) {
    case SKY_SHORTCUT_QUIT:
        g_quit = 1;
        break;
    case SKY_SHORTCUT_OVERLAY:
        sky_presenter_toggle_overlay(s->presenter);
        break;
    case SKY_SHORTCUT_FULLSCREEN:
        if (s->render)
            sky_render_toggle_fullscreen(s->render);
        sky_input_window_changed(s->input);
        break;
    case SKY_SHORTCUT_MENU:
        if (s->menu)
            menu_action(s, sky_stream_menu_toggle(s->menu));
        break;
    case SKY_SHORTCUT_NONE:
        break;
    }
}

/* Presenter hook (main thread): every SDL event it does not handle itself. Input reads it
 * first (held back from the host while the menu is open), then the menu, unless it was a
 * shortcut's key. */
static void on_event(void *opaque, const SDL_Event *ev)
{
    Session *s = opaque;
    if (ev->type == SDL_QUIT) {
        s->window_closed = true;
    } else if (sky_feedback_is_wake_event(s->feedback, ev)) {
        if (s->input)
            sky_input_take_feedback(s->input);
    } else if (s->input) {
        SkyShortcut sc = sky_input_event(s->input, ev);
        if (sc != SKY_SHORTCUT_NONE)
            do_shortcut(s, sc);
        else if (s->menu)
            menu_action(s, sky_stream_menu_event(s->menu, ev, sky_time_us()));
    }
}

/* Presenter hook (main thread), every turn: the input scripts' due events, the menu's held
 * buttons; true once the stream has ended (or the menu ended it). */
static bool poll_end(void *opaque, int64_t now_us)
{
    Session *s = opaque;
    if (s->script)
        sky_input_script_step(s->script, now_us);
    if (s->ext_script)
        sky_input_script_step(s->ext_script, now_us);
    if (s->menu) {
        /* The shortcuts change these too: the menu shows what is. */
        sky_stream_menu_set_toggles(s->menu, s->render && sky_render_overlay_shown(s->render),
                                    sky_input_mouse_absolute(s->input));
        menu_action(s, sky_stream_menu_poll(s->menu, now_us));
    }
    return s->menu_end != SKY_STREAM_MENU_NONE || sky_feedback_is_ended(s->feedback);
}

/* Presenter hook (main thread), once a second: the stream's figures. */
static void figures(void *opaque, SkyAudioFigures *audio, SkyNetFigures *net)
{
    Session *s = opaque;
    sky_audio_figures(s->audio, audio);
    sky_video_stream_figures(s->video, net);
    if (s->audionet)
        sky_audio_stream_figures(s->audionet, net);
    SkyControlStatus cs;
    sky_control_stream_status(s->control, &cs);
    net->rtt_ms = cs.rtt_ms;
    net->rtt_var_ms = cs.rtt_var_ms;
    net->input_packets = cs.input_sent;
    net->input_p50_us = cs.input_p50_us;
    net->input_p99_us = cs.input_p99_us;
    if (s->input) {
        SkyInputSenderStats is;
        sky_input_stats(s->input, &is);
        net->input_dropped = is.dropped;
    }
}

/* ---- parameters ---- */

/* A bitrate for the picture rate: about 0.16 bits per pixel (1080p60: 20 Mb/s). */
static int default_bitrate(int w, int h, int fps)
{
    double kbps = (double)w * h * fps * 0.16 / 1000.0;
    return kbps < 1500 ? 1500 : kbps > 150000 ? 150000 : (int)kbps;
}

/* Slices per frame: software decoding spreads slices over cores; hardware needs one. */
static int slices_per_frame(const SkyDecoderOpts *d)
{
    bool hw = d->backend != SKY_BACKEND_SOFTWARE &&
              (access("/dev/dri", F_OK) == 0 || access("/dev/nvidia0", F_OK) == 0 ||
               d->backend != SKY_BACKEND_AUTO);
    if (hw)
        return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int want = d->threads > 0 ? d->threads : (int)cores;
    return want < 2 ? 2 : want > 4 ? 4 : want;
}

static void fill_mode(Session *s)
{
    StreamOpts *o = &s->opts;
    if ((!o->width || !o->height || !o->fps) && !s->run_opts.headless && !o->dry_run &&
        SDL_InitSubSystem(SDL_INIT_VIDEO) == 0) {
        SDL_DisplayMode dm;
        if (SDL_GetDesktopDisplayMode(0, &dm) == 0) {
            if (!o->width || !o->height) {
                o->width = dm.w;
                o->height = dm.h;
            }
            if (!o->fps && dm.refresh_rate > 0)
                o->fps = dm.refresh_rate;
        }
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
    }
    if (!o->width || !o->height) {
        o->width = 1280;
        o->height = 720;
    }
    o->height &= ~1;
    if (!o->fps)
        o->fps = 60;
    if (!o->bitrate_kbps)
        o->bitrate_kbps = default_bitrate(o->width, o->height, o->fps);
}

/* ---- stages ---- */

static const char *running_title(const SkyAppList *apps, uint32_t id)
{
    for (size_t i = 0; i < apps->count; i++)
        if (apps->apps[i].id == id)
            return apps->apps[i].title;
    return NULL;
}

/* Before launching: what the host can stream to us. Debian's ENet speaks IPv4 only; HDR needs
 * a 10-bit mode of a codec the host offers, decided now since /launch asks for it
 * (common/proto/video_format.h; the codec and chroma are settled after DESCRIBE). */
static int check_host(Session *s)
{
    /* --codec choices, in the order of the option table. */
    static const int codecs[] = {SKY_VIDEO_CODEC_AUTO, SKY_SDP_CODEC_H264, SKY_SDP_CODEC_HEVC,
                                 SKY_SDP_CODEC_AV1};
    const SkyHostAddr *addr = sky_host_client_addr(s->hc);
    if (addr->ipv6 && !s->opts.dry_run) {
        snprintf(s->err, sizeof(s->err), "streaming needs the host's IPv4 address: the control "
                                         "stream (ENet) speaks IPv4 only; %s is IPv6",
                 addr->host);
        return SKY_ERR(EAFNOSUPPORT);
    }
    SkyVideoFormat want = {codecs[s->opts.codec], s->opts.hdr, s->opts.yuv444};
    unsigned dropped = 0;
    if (sky_video_format_plan(&want, sky_host_client_info(s->hc)->codec_support, &s->format,
                              &dropped) < 0) {
        snprintf(s->err, sizeof(s->err), "HDR needs HEVC or AV1 (--codec hevc, av1 or auto)");
        return SKY_ERR(EINVAL);
    }
    if (dropped & SKY_VIDEO_DROPPED_HDR)
        SKY_LOGW(TAG, "the host offers no 10-bit %s: streaming without HDR",
                 s->format.codec == SKY_VIDEO_CODEC_AUTO ? "codec"
                                                         : sky_sdp_codec_name(s->format.codec));
    s->opts.hdr = s->format.ten_bit;
    return 0;
}

static int stage_launch(Session *s)
{
    const SkyServerInfo *si = sky_host_client_info(s->hc);
    SkyAppList apps;
    int ret = sky_host_client_applist(s->hc, &apps, s->err, sizeof(s->err));
    if (ret < 0)
        return ret;
    const SkyApp *app = NULL;
    if (s->app_arg) {
        app = sky_applist_find(&apps, s->app_arg);
    } else {
        /* No app named: the one running, else Desktop, else the first. */
        for (size_t i = 0; i < apps.count && !app; i++)
            if (si->busy ? apps.apps[i].id == si->current_game
                         : strcmp(apps.apps[i].title, "Desktop") == 0)
                app = &apps.apps[i];
        if (!app && !si->busy && apps.count)
            app = &apps.apps[0];
    }
    if (!app) {
        snprintf(s->err, sizeof(s->err), "%s has no app '%s' (see 'skylight list %s')",
                 si->hostname, s->app_arg ? s->app_arg : "to stream", s->host_arg);
        sky_applist_free(&apps);
        return SKY_ERR(ENOENT);
    }
    bool resume = si->busy && si->current_game == app->id;
    if (si->busy && !resume) {
        const char *other = running_title(&apps, si->current_game);
        snprintf(s->err, sizeof(s->err), "%s is streaming %s; quit it first ('skylight quit %s')",
                 si->hostname, other ? other : "another app", s->host_arg);
        sky_applist_free(&apps);
        return SKY_ERR(EBUSY);
    }
    snprintf(s->app_title, sizeof(s->app_title), "%s", app->title);
    s->launch = (SkyLaunchParams){
        .appid = app->id,
        .width = s->opts.width,
        .height = s->opts.height,
        .fps = s->opts.fps,
        .sops = s->opts.sops,
        .local_audio = s->opts.local_audio,
        .audio_channels = audio_channels[s->audio_opts.layout],
        .hdr = s->opts.hdr,
    };
    sky_applist_free(&apps);
    uint8_t keyid[4];
    ret = sky_random_bytes(s->launch.rikey, sizeof(s->launch.rikey));
    if (ret == 0)
        ret = sky_random_bytes(keyid, sizeof(keyid));
    if (ret < 0)
        return ret;
    s->launch.rikeyid = (uint32_t)keyid[0] << 24 | (uint32_t)keyid[1] << 16 |
                        (uint32_t)keyid[2] << 8 | keyid[3];
    ret = sky_host_client_launch(s->hc, &s->launch, resume, &s->url, s->err, sizeof(s->err));
    if (ret < 0)
        return ret;
    s->launched = true;
    SKY_LOGI(TAG, "%s %s on %s", resume ? "resumed" : "launched", s->app_title, si->hostname);
    return 0;
}

static int stage_rtsp(Session *s)
{
    SkyRtspClientCfg rc = {
        .url = &s->url,
        .key = s->launch.rikey,
        .want =
            {
                .width = s->opts.width,
                .height = s->opts.height,
                .fps = s->opts.fps,
                .bitrate_kbps = s->opts.bitrate_kbps,
                .slices_per_frame = slices_per_frame(&s->decoder_opts),
                .audio_channels = audio_channels[s->audio_opts.layout],
                .packet_duration_ms = 5,
                .ml_feature_flags = SKY_ML_FF_SESSION_ID_V1 | SKY_ML_FF_FEC_STATUS,
                .color_space = 1, /* Rec. 709 */
            },
        .format = s->format,
        .codec_support = sky_host_client_info(s->hc)->codec_support,
        .packet_size = s->opts.packet_size,
        .encryption_wanted = SKY_ENC_AUDIO | (s->opts.encrypt ? SKY_ENC_VIDEO : 0),
        .timeout_ms = (int64_t)(s->host_opts.timeout_s * 1000),
        .cancel = &g_cancel,
    };
    return sky_rtsp_client_handshake(&rc, &s->rtsp, s->err, sizeof(s->err));
}

static enum AVCodecID codec_id(int sdp_codec)
{
    return sdp_codec == SKY_SDP_CODEC_AV1    ? AV_CODEC_ID_AV1
           : sdp_codec == SKY_SDP_CODEC_HEVC ? AV_CODEC_ID_HEVC
                                             : AV_CODEC_ID_H264;
}

static int stage_feedback(Session *s)
{
    return sky_feedback_create(&s->feedback);
}

static int stage_output(Session *s)
{
    int ret = sky_stats_out_create(&s->stats, s->stats_opts.stats_json, sky_time_us());
    if (ret < 0)
        return ret;
    if (s->stats_opts.frame_md5[0]) {
        ret = sky_frame_md5_open(&s->md5, s->stats_opts.frame_md5, (AVRational){1, s->opts.fps});
        if (ret < 0)
            return ret;
    }
    SkyRenderContent content = {.width = s->opts.width,
                                .height = s->opts.height,
                                .hdr = s->rtsp.format.ten_bit,
                                .deep = s->rtsp.format.ten_bit,
                                .yuv444 = s->rtsp.format.yuv444};
    char title[300];
    snprintf(title, sizeof(title), "%s - Skylight", s->app_title);
    if (s->borrowed) {
        if (!sky_render_suits(s->borrowed, &content)) {
            snprintf(s->err, sizeof(s->err), "the window's %s renderer cannot show this HDR "
                                             "stream; use --renderer placebo (or auto), or "
                                             "stream without --hdr",
                     sky_render_driver_name(s->borrowed));
            return SKY_ERR(ENOSYS);
        }
        s->render = s->borrowed;
        SDL_Window *win = sky_render_window(s->render);
        snprintf(s->saved_title, sizeof(s->saved_title), "%s", SDL_GetWindowTitle(win));
        SDL_SetWindowTitle(win, title);
        sky_render_set_screen(s->render, NULL, 0, 0, 0); /* the stream shows, not the page */
    } else if (!s->run_opts.headless) {
        char why[256];
        if (sky_render_video_init(why, sizeof(why)) < 0) {
            snprintf(s->err, sizeof(s->err), "no display to open a window on (%s); use "
                                             "--headless to stream without one",
                     why);
            return SKY_ERR(ENODEV);
        }
        s->sdl_video = true;
        SkyRenderCfg rc = {
            .opts = s->render_opts,
            .title = title,
            .content = content,
            .stats = s->stats,
            .feedback = s->feedback,
        };
        ret = sky_render_create(&s->render, &rc);
        if (ret == SKY_ERR(ENOSYS))
            snprintf(s->err, sizeof(s->err), "the chosen renderer cannot show this stream (see "
                                             "above)");
        else if (ret < 0)
            snprintf(s->err, sizeof(s->err), "cannot open a window to show the stream (see "
                                             "above); use --headless to stream without one");
        if (ret < 0)
            return ret;
    }
    SkyPresenterHooks hooks = {poll_end, figures, on_event, s};
    ret = sky_presenter_create(&s->presenter, s->render, s->stats, &hooks, &g_quit);
    if (ret == 0 && s->render && s->run_opts.overlay)
        sky_presenter_toggle_overlay(s->presenter);
    return ret;
}

static int stage_decoder(Session *s)
{
    SkyVideoPipelineCfg vc = {
        .decoder = {.opts = s->decoder_opts,
                    .codec_id = codec_id(s->rtsp.stream.codec),
                    .width = s->opts.width,
                    .height = s->opts.height,
                    .low_delay = true,
                    /* The placebo renderer maps hardware pictures itself; MD5s need them in
                     * system memory. */
                    .keep_hw_frames =
                        s->render && !sky_render_on_main_thread(s->render) && !s->md5},
        /* A stream resyncs at a keyframe after any decode error: never show garbage. */
        .policy = {.max_hw_failures = (uint32_t)s->decoder_opts.max_hw_failures,
                   .resync_on_error = true},
        .queue_frames = 64,
        .present_depth = s->opts.latency_mode == SKY_LATENCY_SMOOTH ? 3 : 1,
        .stats = s->stats,
        .md5 = s->md5,
        .feedback = s->feedback,
        .wake = sky_presenter_wake,
        .opaque = s->presenter,
    };
    int ret = sky_video_pipeline_create(&s->vp, &vc);
    if (ret < 0) {
        snprintf(s->err, sizeof(s->err), "cannot decode this stream (see above)");
        return ret;
    }
    sky_presenter_attach(s->presenter, s->vp);
    return s->render ? sky_render_start(s->render, s->vp, s->stats, s->feedback) : 0;
}

static int stage_audio(Session *s)
{
    if (s->audio_opts.layout == SKY_AUDIO_OFF)
        return 0;
    int ret = sky_audio_create(&s->audio, &s->audio_opts, &s->rtsp.opus);
    if (ret < 0)
        SKY_LOGW(TAG, "streaming without sound: %s", sky_strerror(ret));
    return 0;
}

static int stage_record(Session *s)
{
    if (!s->opts.record[0])
        return 0;
    SkyRecorderCfg rc = {s->opts.record, codec_id(s->rtsp.stream.codec), s->opts.width,
                         s->opts.height, s->audio_opts.layout != SKY_AUDIO_OFF, s->rtsp.opus};
    int ret = sky_recorder_open(&s->recorder, &rc);
    if (ret < 0)
        snprintf(s->err, sizeof(s->err), "cannot record to %s (see above)", s->opts.record);
    return ret;
}

static int stage_control(Session *s)
{
    SkyControlStreamCfg cc = {
        .host = s->rtsp.host,
        .port = s->rtsp.control_port,
        .connect_data = s->rtsp.connect_data,
        .key = s->launch.rikey,
        .encrypted = (s->rtsp.stream.encryption_enabled & SKY_ENC_CONTROL_V2) != 0,
        .connect_timeout_ms = (int64_t)(s->host_opts.timeout_s * 1000),
        .cancel = &g_cancel,
        .feedback = s->feedback,
    };
    return sky_control_stream_create(&s->control, &cc, s->err, sizeof(s->err));
}

static int stage_input(Session *s)
{
    if (!s->render) { /* headless: SDL's event queue without a window, for pads and scripts */
        if (SDL_InitSubSystem(SDL_INIT_EVENTS) != 0) {
            snprintf(s->err, sizeof(s->err), "cannot start SDL's events: %s", SDL_GetError());
            return SKY_ERR(EIO);
        }
        s->sdl_events = true;
        sky_presenter_read_events(s->presenter);
    }
    uint32_t window_id = s->render ? sky_render_window_id(s->render) : 0;
    SkyInputCfg ic = {
        .opts = s->input_opts,
        .control = s->control,
        .feedback = s->feedback,
        .window = s->render ? sky_render_window(s->render) : NULL,
        .stream_width = s->opts.width,
        .stream_height = s->opts.height,
        .host_features = s->rtsp.caps.feature_flags,
        .sunshine = sky_host_client_info(s->hc)->sunshine,
    };
    int ret = sky_input_create(&s->input, &ic);
    if (ret < 0) {
        snprintf(s->err, sizeof(s->err), "cannot start the input thread: %s", sky_strerror(ret));
        return ret;
    }
    if (s->render) {
        SkyStreamMenuCfg mc = {s->render, s->input_opts.menu_combo, s->input_opts.swap_ab,
                               s->app_title};
        ret = sky_stream_menu_create(&s->menu, &mc, s->err, sizeof(s->err));
        if (ret < 0)
            return ret;
    }
    if (s->input_opts.script[0]) {
        ret = sky_input_script_load(&s->script, s->input_opts.script, window_id);
        if (ret < 0)
            snprintf(s->err, sizeof(s->err), "cannot use the input script %s (see above)",
                     s->input_opts.script);
    }
    return ret;
}

static int stage_video(Session *s)
{
    SkyVideoStreamCfg vc = {
        .host = s->rtsp.host,
        .port = s->rtsp.video_port,
        .ping_payload = s->rtsp.have_ping_payload ? s->rtsp.ping_payload : NULL,
        .key = s->launch.rikey,
        .encrypted = (s->rtsp.stream.encryption_enabled & SKY_ENC_VIDEO) != 0,
        .packet_size = (size_t)s->rtsp.stream.packet_size,
        .rfi = s->rtsp.rfi,
        .latency_mode = s->opts.latency_mode,
        .vp = s->vp,
        .stats = s->stats,
        .control = s->control,
        .recorder = s->recorder,
        .feedback = s->feedback,
    };
    return sky_video_stream_create(&s->video, &vc);
}

/* Runs with --audio off too (nothing is played): the host needs the pings. */
static int stage_audionet(Session *s)
{
    bool enc = (s->rtsp.stream.encryption_enabled & SKY_ENC_AUDIO) != 0;
    SkyAudioStreamCfg ac = {
        .host = s->rtsp.host,
        .port = s->rtsp.audio_port,
        .ping_payload = s->rtsp.have_ping_payload ? s->rtsp.ping_payload : NULL,
        .key = enc ? s->launch.rikey : NULL,
        .key_id = s->launch.rikeyid,
        .packet_duration_ms = s->rtsp.stream.packet_duration_ms,
        .audio = s->audio,
        .recorder = s->recorder,
    };
    return sky_audio_stream_create(&s->audionet, &ac);
}

typedef struct Stage {
    const char *name;
    int (*run)(Session *s);
} Stage;

static const Stage stages[] = {
    {"rtsp", stage_rtsp},       {"feedback", stage_feedback}, {"output", stage_output},
    {"decoder", stage_decoder}, {"audio", stage_audio},       {"record", stage_record},
    {"control", stage_control}, {"input", stage_input},       {"video", stage_video},
    {"audionet", stage_audionet},
};

/* Tears down, in reverse, whatever was set up. Returns the summary's error, if any. */
static int teardown(Session *s)
{
    int status = 0;
    /* The network figures for the summary, while the receivers still exist. */
    SkyNetFigures nf = {0};
    if (s->video && s->control) {
        SkyAudioFigures unused;
        figures(s, &unused, &nf);
    }
    sky_audio_stream_destroy(&s->audionet);
    sky_video_stream_destroy(&s->video);
    sky_input_script_destroy(&s->script);
    sky_stream_menu_destroy(&s->menu); /* its picture leaves the window */
    sky_input_destroy(&s->input); /* before the control stream: it lifts held keys */
    if (s->sdl_events)
        SDL_QuitSubSystem(SDL_INIT_EVENTS);
    sky_control_stream_destroy(&s->control);
    if (sky_recorder_close(&s->recorder) < 0)
        status = SKY_ERR(EIO);
    SkyAudioFigures af = {0};
    if (s->audio)
        sky_audio_figures(s->audio, &af);
    sky_audio_destroy(&s->audio);
    const char *backend = s->vp ? sky_video_pipeline_backend(s->vp) : NULL;
    char backend_name[32];
    snprintf(backend_name, sizeof(backend_name), "%s", backend ? backend : "none");
    if (s->render)
        sky_render_stop(s->render); /* its render thread takes from the pipeline */
    sky_video_pipeline_destroy(&s->vp);
    sky_presenter_destroy(&s->presenter);
    if (s->borrowed && s->render) /* the launcher's: stopped above, its title given back */
        SDL_SetWindowTitle(sky_render_window(s->render), s->saved_title);
    else
        sky_render_destroy(&s->render);
    s->render = NULL;
    if (s->sdl_video)
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
    if (sky_frame_md5_close(&s->md5) < 0)
        status = SKY_ERR(EIO);
    if (s->stats) {
        char text[2048];
        sky_stats_out_finish(s->stats, sky_time_us(), af.active ? &af : NULL,
                             nf.active ? &nf : NULL, text, sizeof(text));
        if (backend)
            fprintf(strcmp(s->stats_opts.stats_json, "-") == 0 ||
                            strcmp(s->stats_opts.frame_md5, "-") == 0
                        ? stderr
                        : stdout,
                    "summary: %s; decoder %s\n", text, backend_name);
    }
    if (sky_stats_out_destroy(&s->stats) < 0)
        status = SKY_ERR(EIO);
    sky_feedback_destroy(&s->feedback);
    return status;
}

/* The end, in a sentence, and whether it was an error. */
static bool explain_end(Session *s, SkyPresenterEnd why, char *out, size_t cap)
{
    SkyControlStatus cs = {0};
    SkyControlEnd vend;
    if (s->control)
        sky_control_stream_status(s->control, &cs);
    if (why == SKY_PRESENTER_END_USER || s->menu_end != SKY_STREAM_MENU_NONE) {
        snprintf(out, cap, "stream ended by the user");
        return false;
    }
    if (why == SKY_PRESENTER_END_DURATION) {
        snprintf(out, cap, "stream ended after %.3g s (--duration)", s->run_opts.duration_s);
        return false;
    }
    if (s->video && sky_video_stream_failed(s->video, &vend)) {
        sky_control_end_message(vend, 0, out, cap);
        return true;
    }
    if (cs.ended) {
        sky_control_end_message(cs.end, cs.code, out, cap);
        return sky_control_end_is_error(cs.end);
    }
    snprintf(out, cap, "the stream ended");
    return false;
}

static int open_host(Session *s)
{
    if (sky_config_dir(s->config_dir, sizeof(s->config_dir)) < 0) {
        snprintf(s->err, sizeof(s->err), "neither XDG_CONFIG_HOME nor HOME is set: nowhere to "
                                         "keep the client identity");
        return SKY_ERR(ENOENT);
    }
    int ret = sky_identity_load(&s->id, s->config_dir);
    if (ret < 0) {
        snprintf(s->err, sizeof(s->err), "no usable client identity (see above)");
        return ret;
    }
    SkyHostClientCfg hc = {s->config_dir, s->id, s->host_arg,
                           (int64_t)(s->host_opts.timeout_s * 1000), &g_cancel};
    ret = sky_host_client_open(&s->hc, &hc, s->err, sizeof(s->err));
    if (ret < 0)
        return ret;
    /* The host's own settings ([host NAME] in the config file), under the command line. */
    const SkyServerInfo *si = sky_host_client_info(s->hc);
    const SkyKnownHost *known = sky_host_client_known(s->hc);
    const char *names[] = {s->host_arg, si->hostname, si->uniqueid, known ? known->name : NULL,
                           sky_host_client_address(s->hc), sky_host_client_addr(s->hc)->host};
    if (sky_cli_apply_host(s->cli, names, sizeof(names) / sizeof(names[0])) > 0)
        sky_host_client_set_timeout(s->hc, (int64_t)(s->host_opts.timeout_s * 1000));
    return 0;
}

static int run(Session *s)
{
    int ret = open_host(s);
    if (ret == 0) {
        fill_mode(s); /* after the host's settings: they may set the mode */
        ret = check_host(s);
    }
    if (ret == 0)
        ret = stage_launch(s);
    if (ret < 0)
        return ret;
    if (s->opts.dry_run) {
        char where[300];
        sky_host_addr_format(s->url.host, strchr(s->url.host, ':') != NULL, s->url.port, where,
                             sizeof(where));
        printf("%s %s on %s: session %s://%s (dry run: not streaming; 'skylight quit %s' ends "
               "it)\n",
               sky_host_client_info(s->hc)->busy ? "Resumed" : "Launched", s->app_title,
               sky_host_client_info(s->hc)->hostname, s->url.encrypted ? "rtspenc" : "rtsp",
               where, s->host_arg);
        snprintf(s->end_text, sizeof(s->end_text), "%s was %s (a dry run: not streamed)",
                 s->app_title, sky_host_client_info(s->hc)->busy ? "resumed" : "launched");
        return 0;
    }
    for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
        s->stage = stages[i].name;
        s->err[0] = '\0';
        ret = stages[i].run(s);
        if (ret < 0) {
            if (!s->err[0])
                snprintf(s->err, sizeof(s->err), "%s: %s", s->stage, sky_strerror(ret));
            return ret;
        }
        if (g_quit) {
            snprintf(s->err, sizeof(s->err), "cancelled");
            return SKY_ERR(ECANCELED);
        }
    }
    s->stage = "run";
    char format[32];
    sky_video_format_name(&s->rtsp.format, format, sizeof(format));
    printf("Streaming %s from %s (%dx%d at %d fps, %s, %d kb/s)%s\n", s->app_title,
           sky_host_client_info(s->hc)->hostname, s->opts.width, s->opts.height, s->opts.fps,
           format, s->opts.bitrate_kbps, s->run_opts.headless ? " headless" : "");
    fflush(stdout);
    SkyPresenterEnd why;
    ret = sky_presenter_run(s->presenter, s->run_opts.duration_s, &why);
    if (ret < 0) {
        snprintf(s->err, sizeof(s->err), "the decoder cannot go on: %s", sky_strerror(ret));
        return ret;
    }
    char msg[300];
    bool error = explain_end(s, why, msg, sizeof(msg));
    if (error) {
        snprintf(s->err, sizeof(s->err), "%s", msg);
        return SKY_ERR(EPIPE);
    }
    SKY_LOGI(TAG, "%s", msg);
    snprintf(s->end_text, sizeof(s->end_text), "%s", msg);
    return 0;
}

/* --quit-after and the menu's Quit app: hosts refuse to quit an app while the stream is still
 * winding down (Sunshine answers 503 until the session is gone), so ask again for up to
 * --timeout. Returns 0, or an error with err set. */
static int quit_app(Session *s, char *err, size_t cap)
{
    g_quit = 0; /* from here on, Ctrl+C stops asking */
    atomic_store(&g_cancel, false);
    int64_t give_up = sky_time_us() + (int64_t)(s->host_opts.timeout_s * 1e6);
    int ret;
    while ((ret = sky_host_client_quit(s->hc, err, cap)) < 0) {
        if (g_quit || sky_time_us() >= give_up) {
            SKY_LOGW(TAG, "could not quit the app on the host: %s", err);
            return ret;
        }
        sky_sleep_us(500000);
    }
    return 0;
}

/* text into reason, cut at a character's start where it must be cut. */
static void set_reason(char *reason, size_t cap, const char *text)
{
    size_t n = strlen(text);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(reason, text, n);
    reason[n] = '\0';
}

/* The verb, in its own window (borrowed NULL) or in the launcher's: parses argv, streams,
 * tears down, and says how it ended in reason. Returns the verb's exit status. */
static int stream_run(int argc, char **argv, SkyRender *borrowed, SkyInputScript *ext_script,
                      char *reason, size_t cap, bool *failed)
{
    *failed = true;
    g_quit = 0; /* a new run: nothing of the last one's end */
    atomic_store(&g_cancel, false);
    Session *s = calloc(1, sizeof(*s));
    if (!s) {
        set_reason(reason, cap, "out of memory");
        return 1;
    }
    s->borrowed = borrowed;
    s->ext_script = ext_script;
    const char *pos[2];
    size_t npos;
    bool help;
    int status = 1;
    if (sky_cli_parse(&s->cli, &sky_stream_verb, s, argc, argv, pos, 2, &npos, &help) < 0) {
        set_reason(reason, cap, "the stream's options are not valid (see the log)");
        status = 2;
        goto done;
    }
    if (help) {
        stream_usage("stream");
        set_reason(reason, cap, "nothing streamed (--help)");
        *failed = false;
        status = 0;
        goto done;
    }
    if (npos < 1) {
        fprintf(stderr, "skylight stream: which host? (skylight stream --help)\n");
        set_reason(reason, cap, "no host was named");
        status = 2;
        goto done;
    }
    uint32_t combo;
    if (sky_stream_menu_parse_combo(s->input_opts.menu_combo, &combo, s->err,
                                    sizeof(s->err)) < 0) {
        fprintf(stderr, "skylight stream: %s\n", s->err);
        set_reason(reason, cap, s->err);
        status = 2;
        goto done;
    }
    s->host_arg = pos[0];
    s->app_arg = npos > 1 ? pos[1] : NULL;
    if (borrowed) {
        /* The launcher's window shows the stream whatever the config file says; its signal
         * handlers and SDL's stay as they are. */
        s->run_opts.headless = false;
    } else {
        SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
        sky_cli_on_quit_signals(on_signal);
    }
    if (sky_http_global_init() < 0) {
        fprintf(stderr, "skylight stream: cannot initialise libcurl\n");
        set_reason(reason, cap, "cannot initialise libcurl");
        goto done;
    }
    int ret = run(s);
    char how[512];
    snprintf(how, sizeof(how), "%s", s->end_text);
    int t = teardown(s);
    bool quit_asked = s->menu_end == SKY_STREAM_MENU_END_APP;
    if ((s->opts.quit_after || quit_asked) && s->launched && s->hc) {
        char err[512];
        int q = quit_app(s, err, sizeof(err));
        if (quit_asked && ret == 0) {
            size_t n = strlen(how);
            if (q == 0)
                snprintf(how + n, sizeof(how) - n, "; the app on the host was quit");
            else
                snprintf(how + n, sizeof(how) - n,
                         "; the app on the host could not be quit: %.200s", err);
        }
    }
    sky_wipe(s->launch.rikey, sizeof(s->launch.rikey));
    if (ret < 0)
        fprintf(stderr, "skylight stream: %s\n", s->err[0] ? s->err : sky_strerror(ret));
    else if (t < 0)
        fprintf(stderr, "skylight stream: the stream ended, but writing its files failed (see "
                        "above)\n");
    status = ret < 0 || t < 0 ? 1 : 0;
    *failed = status != 0;
    if (ret < 0)
        set_reason(reason, cap, s->err[0] ? s->err : sky_strerror(ret));
    else if (t < 0)
        set_reason(reason, cap, "the stream ended, but writing its files failed (see the log)");
    else
        set_reason(reason, cap, how[0] ? how : "the stream ended");
    sky_host_client_destroy(&s->hc);
    sky_identity_destroy(&s->id);
    sky_http_global_cleanup();
    if (!borrowed)
        SDL_Quit();
    else if (s->window_closed) /* the launcher's loop hears of it too */
        SDL_PushEvent(&(SDL_Event){.type = SDL_QUIT});
done:
    sky_cli_destroy(&s->cli);
    free(s);
    return status;
}

static int stream_main(int argc, char **argv)
{
    char reason[512];
    bool failed;
    return stream_run(argc, argv, NULL, NULL, reason, sizeof(reason), &failed);
}

int sky_stream_run_embedded(int argc, char **argv, SkyStreamEmbed *e)
{
    e->failed = true;
    if (!e->render) {
        set_reason(e->reason, sizeof(e->reason), "no window to stream in");
        return 1;
    }
    return stream_run(argc, argv, e->render, e->script, e->reason, sizeof(e->reason),
                      &e->failed);
}

void sky_stream_cancel(void)
{
    g_quit = 1;
    atomic_store(&g_cancel, true);
}

const SkyVerb sky_stream_verb = {"stream", stream_groups, true, stream_main, stream_usage};
