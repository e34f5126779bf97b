/* The main thread's loop for play and stream: events, pictures, per-second figures, the end
 * (presenter.h). */
/* Threads: everything here runs on the main thread, except sky_presenter_wake (decoder thread),
 * which only sets an atomic and pushes an SDL event. Pictures are drawn by the SkyRender (on its
 * render thread, or here through sky_render_poll); headless, this thread takes them. */
#include "client/presenter.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/time.h"

#define TAG "present"

const SkyOpt sky_presenter_opts_table[] = {
    {"headless", SKY_OPT_BOOL, offsetof(SkyPresenterOpts, headless), 0, 0, 0, NULL, "no", NULL,
     "decode without a window (scripts, CI, benchmarks)"},
    {"duration", SKY_OPT_DOUBLE, offsetof(SkyPresenterOpts, duration_s), 0, 0, 1e7, NULL, "0",
     "SECONDS", "stop after this long; 0 = until the file or the stream ends"},
    {"overlay", SKY_OPT_BOOL, offsetof(SkyPresenterOpts, overlay), 0, 0, 0, NULL, "no", NULL,
     "show the stats overlay from the start (Ctrl+Alt+Shift+S toggles it)"},
    SKY_OPT_END,
};
#define EVENT_WAIT_MS 20

struct SkyPresenter {
    SkyRender *render;
    SkyStatsOut *stats;
    SkyPresenterHooks hooks;
    volatile sig_atomic_t *quit;
    SkyVideoPipeline *vp;
    Uint32 wake_event;
    atomic_bool wake_pending;
    atomic_bool events;           /* SDL events are read (a window, or headless input) */
    /* The overlay's figures at its last update. */
    int64_t overlay_last_us;      /* 0: fill it at the next round */
    uint64_t overlay_presented;
    int64_t overlay_decode_us;
    SkyNetFigures overlay_net;
};

int sky_presenter_create(SkyPresenter **out, SkyRender *render, SkyStatsOut *stats,
                         const SkyPresenterHooks *hooks, volatile sig_atomic_t *quit)
{
    *out = NULL;
    SkyPresenter *p = calloc(1, sizeof(*p));
    if (!p)
        return SKY_ERR(ENOMEM);
    p->render = render;
    p->stats = stats;
    if (hooks)
        p->hooks = *hooks;
    p->quit = quit;
    p->wake_event = SDL_RegisterEvents(1);
    if (p->wake_event == (Uint32)-1) {
        free(p);
        return SKY_ERR(ENOSPC);
    }
    atomic_init(&p->wake_pending, false);
    atomic_init(&p->events, render != NULL);
    *out = p;
    return 0;
}

void sky_presenter_destroy(SkyPresenter **pp)
{
    free(*pp);
    *pp = NULL;
}

void sky_presenter_attach(SkyPresenter *p, SkyVideoPipeline *vp)
{
    p->vp = vp;
}

void sky_presenter_read_events(SkyPresenter *p)
{
    atomic_store(&p->events, true);
}

void sky_presenter_toggle_overlay(SkyPresenter *p)
{
    if (!p->render)
        return;
    sky_render_toggle_overlay(p->render);
    p->overlay_last_us = 0; /* fill it at once */
}

/* Whether the overlay is shown and its figures are a second old (or were never filled). */
static bool overlay_due(const SkyPresenter *p, int64_t now)
{
    return p->render && sky_render_overlay_shown(p->render) &&
           (!p->overlay_last_us || now - p->overlay_last_us >= 1000000);
}

/* Once a second while the overlay is shown: the figures a player looks at. */
static void overlay_update(SkyPresenter *p, int64_t now, const SkyAudioFigures *af,
                           const SkyNetFigures *nf)
{
    double secs = p->overlay_last_us ? (now - p->overlay_last_us) / 1e6 : 0;
    uint64_t presented;
    int64_t decode_us;
    sky_render_counts(p->render, &presented, &decode_us);
    uint64_t frames = presented - p->overlay_presented;
    char text[512];
    int n = snprintf(text, sizeof(text), "%.1f fps, decode %.2f ms, renderer %s",
                     secs > 0 ? frames / secs : 0,
                     frames ? (double)(decode_us - p->overlay_decode_us) / 1e3 / frames : 0,
                     sky_render_driver_name(p->render));
    if (nf->active && n > 0 && (size_t)n < sizeof(text)) {
        const SkyNetFigures *o = &p->overlay_net;
        n += snprintf(text + n, sizeof(text) - (size_t)n,
                      "\nvideo %.1f Mb/s, %llu datagrams lost, %llu frames lost\n"
                      "rtt %.1f ms, jitter buffer %.1f ms\ninput to socket p50/p99 %.2f/%.2f ms",
                      secs > 0 ? (nf->video_bytes - o->video_bytes) * 8 / 1e6 / secs : 0,
                      (unsigned long long)(nf->datagrams_lost - o->datagrams_lost),
                      (unsigned long long)(nf->frames_lost - o->frames_lost), nf->rtt_ms,
                      nf->jitter_target_ms, nf->input_p50_us / 1e3, nf->input_p99_us / 1e3);
    }
    if (af->active && n > 0 && (size_t)n < sizeof(text))
        snprintf(text + n, sizeof(text) - (size_t)n, "\naudio buffer %.1f ms, %llu concealed",
                 af->buffer_ms_p50, (unsigned long long)af->concealed_frames);
    sky_render_overlay_text(p->render, text);
    p->overlay_net = *nf;
    p->overlay_presented = presented;
    p->overlay_decode_us = decode_us;
    p->overlay_last_us = now;
}

void sky_presenter_wake(void *opaque)
{
    SkyPresenter *p = opaque;
    if (!atomic_load(&p->events) || atomic_exchange(&p->wake_pending, true))
        return;
    SDL_Event ev = {.type = p->wake_event};
    SDL_PushEvent(&ev);
}

/* Headless: the next picture is "presented" when the main thread takes it. Returns 0,
 * SKY_ERR(EPIPE) at the end, or a fatal decoder error. */
static int hand_off(SkyPresenter *p, int64_t timeout_us)
{
    AVFrame *frame = NULL;
    SkyFrameTiming t;
    int ret = sky_video_pipeline_take(p->vp, &frame, &t, timeout_us);
    if (ret == 0) {
        sky_stats_out_presented(p->stats, &t, sky_time_us());
        av_frame_free(&frame);
    }
    return ret == SKY_ERR(EAGAIN) || ret == SKY_ERR(ETIMEDOUT) ? 0 : ret;
}

static void handle_event(SkyPresenter *p, const SDL_Event *ev)
{
    switch (ev->type) {
    case SDL_QUIT:
        if (p->quit)
            *p->quit = 1;
        break; /* the hook hears of it too: a launcher around a stream must */
    case SDL_WINDOWEVENT:
        if (p->render)
            sky_render_window_event(p->render, &ev->window);
        break;
    case SDL_KEYDOWN:
        if (p->render && ev->key.keysym.sym == SDLK_F11) {
            sky_render_toggle_fullscreen(p->render);
            return;
        }
        break;
    default:
        break;
    }
    if (p->hooks.event)
        p->hooks.event(p->hooks.opaque, ev);
}

int sky_presenter_run(SkyPresenter *p, double duration_s, SkyPresenterEnd *why)
{
    int64_t end = duration_s > 0 ? sky_time_us() + (int64_t)(duration_s * 1e6) : 0;
    SkyAudioFigures af;
    SkyNetFigures nf;
    for (;;) {
        if (p->quit && *p->quit) {
            *why = SKY_PRESENTER_END_USER;
            return 0;
        }
        bool events = atomic_load(&p->events);
        /* This thread shows pictures itself (headless, or SDL's renderer). */
        bool shows = !p->render || sky_render_on_main_thread(p->render);
        if (events) {
            SDL_Event ev;
            /* Wait for an event, a picture, or a smooth-mode picture's present time. */
            int wait = EVENT_WAIT_MS;
            int64_t due = shows ? sky_video_pipeline_next_due(p->vp) : INT64_MAX;
            if (due != INT64_MAX) {
                int64_t ms = (due - sky_time_us() + 999) / 1000;
                wait = ms < 0 ? 0 : ms < wait ? (int)ms : wait;
            }
            if (SDL_WaitEventTimeout(&ev, wait)) {
                do {
                    if (ev.type == p->wake_event)
                        atomic_store(&p->wake_pending, false);
                    else
                        handle_event(p, &ev);
                } while (SDL_PollEvent(&ev));
            }
        }
        int ret = p->render ? sky_render_poll(p->render)
                            : hand_off(p, events ? 0 : EVENT_WAIT_MS * 1000);
        if (ret == SKY_ERR(EPIPE)) {
            *why = SKY_PRESENTER_END_STREAM;
            return 0;
        }
        if (ret < 0)
            return ret;
        int64_t now = sky_time_us();
        bool stop = p->hooks.poll && p->hooks.poll(p->hooks.opaque, now);
        bool second = sky_stats_out_second_due(p->stats, now), overlay = overlay_due(p, now);
        if (second || overlay) {
            memset(&af, 0, sizeof(af));
            memset(&nf, 0, sizeof(nf));
            if (p->hooks.figures)
                p->hooks.figures(p->hooks.opaque, &af, &nf);
            if (second)
                sky_stats_out_tick(p->stats, now, &af, nf.active ? &nf : NULL);
            if (overlay)
                overlay_update(p, now, &af, &nf);
        }
        if (stop) {
            *why = SKY_PRESENTER_END_HOOK;
            return 0;
        }
        if (end && now >= end) {
            *why = SKY_PRESENTER_END_DURATION;
            return 0;
        }
    }
}
