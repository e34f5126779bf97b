/* The reports between a session's threads: keyframe needs, decode times, host pad feedback, the
 * end (feedback.h). */
/* Threads: see feedback.h. Every field is written by one thread and read by another through
 * atomics (or the SPSC ring); no locks. */
#include "client/feedback.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/core/error.h"
#include "common/core/spsc.h"

#define DECODE_SAMPLES 64
#define HOST_MSG_SLOTS 64

struct SkyFeedback {
    int video_fd;                 /* eventfd: a keyframe need was posted */
    Uint32 wake_event;            /* SDL user event type that wakes the main thread */
    atomic_bool wake_pending;     /* one wake-up event at a time */

    /* Decoder thread writes; the producer reads. `need_count` is bumped after `need_gen` and
     * `fallbacks` are written, so a reader that sees the new count sees them too. */
    _Atomic uint32_t need_gen;
    _Atomic uint32_t fallbacks;
    _Atomic uint64_t need_count;
    _Atomic int64_t decode_us[DECODE_SAMPLES];
    _Atomic uint64_t decode_written;

    /* Producer only. */
    uint64_t need_seen;
    uint32_t fallbacks_seen;
    uint64_t decode_read;

    /* Control thread writes (records of sizeof(SkyControlHostMsg)), main thread reads. */
    SkySpsc *host_msgs;
    _Atomic uint64_t host_dropped;

    atomic_bool ended;
};

int sky_feedback_create(SkyFeedback **out)
{
    *out = NULL;
    SkyFeedback *fb = calloc(1, sizeof(*fb));
    if (!fb)
        return SKY_ERR(ENOMEM);
    fb->video_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int ret = fb->video_fd < 0 ? SKY_ERR(errno) : 0;
    if (ret == 0)
        ret = sky_spsc_create(&fb->host_msgs, HOST_MSG_SLOTS * sizeof(SkyControlHostMsg));
    /* SDL hands out event types without being initialised. */
    fb->wake_event = SDL_RegisterEvents(1);
    if (ret == 0 && fb->wake_event == (Uint32)-1)
        ret = SKY_ERR(ENOSPC);
    if (ret < 0) {
        sky_feedback_destroy(&fb);
        return ret;
    }
    *out = fb;
    return 0;
}

void sky_feedback_destroy(SkyFeedback **pfb)
{
    SkyFeedback *fb = *pfb;
    if (!fb)
        return;
    if (fb->video_fd >= 0)
        close(fb->video_fd);
    sky_spsc_destroy(&fb->host_msgs);
    free(fb);
    *pfb = NULL;
}

/* Pushes the main thread's wake-up event unless one is still unhandled. */
static void wake_main(SkyFeedback *fb)
{
    if (atomic_exchange(&fb->wake_pending, true))
        return;
    SDL_Event ev = {.type = fb->wake_event};
    if (SDL_PushEvent(&ev) != 1) /* no event queue (yet): the next report tries again */
        atomic_store(&fb->wake_pending, false);
}

void sky_feedback_need_keyframe(SkyFeedback *fb, uint32_t gen, bool fell_back)
{
    atomic_store(&fb->need_gen, gen);
    if (fell_back)
        atomic_fetch_add(&fb->fallbacks, 1);
    atomic_fetch_add(&fb->need_count, 1);
    uint64_t one = 1;
    ssize_t w = write(fb->video_fd, &one, sizeof(one));
    (void)w; /* only fails when the counter is saturated: it is readable then anyway */
}

void sky_feedback_decoded(SkyFeedback *fb, int64_t decode_us)
{
    uint64_t i = atomic_load(&fb->decode_written);
    atomic_store(&fb->decode_us[i % DECODE_SAMPLES], decode_us);
    atomic_store(&fb->decode_written, i + 1);
}

int sky_feedback_video_fd(const SkyFeedback *fb)
{
    return fb->video_fd;
}

bool sky_feedback_take_keyframe_need(SkyFeedback *fb, SkyKeyframeNeed *out)
{
    uint64_t v;
    ssize_t r = read(fb->video_fd, &v, sizeof(v));
    (void)r; /* EAGAIN: nothing was written since the last read */
    uint64_t count = atomic_load(&fb->need_count);
    if (count == fb->need_seen)
        return false;
    fb->need_seen = count;
    uint32_t fallbacks = atomic_load(&fb->fallbacks);
    out->gen = atomic_load(&fb->need_gen);
    out->fell_back = fallbacks != fb->fallbacks_seen;
    fb->fallbacks_seen = fallbacks;
    return true;
}

bool sky_feedback_take_decode_time(SkyFeedback *fb, int64_t *decode_us)
{
    uint64_t written = atomic_load(&fb->decode_written);
    if (written - fb->decode_read > DECODE_SAMPLES)
        fb->decode_read = written - DECODE_SAMPLES;
    if (fb->decode_read == written)
        return false;
    *decode_us = atomic_load(&fb->decode_us[fb->decode_read % DECODE_SAMPLES]);
    fb->decode_read++;
    return true;
}

void sky_feedback_host_message(SkyFeedback *fb, const SkyControlHostMsg *msg)
{
    switch (msg->kind) {
    case SKY_CONTROL_HOST_RUMBLE:
    case SKY_CONTROL_HOST_RUMBLE_TRIGGERS:
    case SKY_CONTROL_HOST_MOTION_EVENT:
    case SKY_CONTROL_HOST_SET_LED:
    case SKY_CONTROL_HOST_ADAPTIVE_TRIGGERS:
        break;
    default:
        return;
    }
    /* This thread is the only writer: a record that fits now still fits when written. */
    if (sky_spsc_capacity(fb->host_msgs) - sky_spsc_fill(fb->host_msgs) < sizeof(*msg)) {
        atomic_fetch_add(&fb->host_dropped, 1);
        return;
    }
    sky_spsc_write(fb->host_msgs, msg, sizeof(*msg));
    wake_main(fb);
}

bool sky_feedback_take_host_message(SkyFeedback *fb, SkyControlHostMsg *out)
{
    if (sky_spsc_fill(fb->host_msgs) < sizeof(*out))
        return false;
    sky_spsc_read(fb->host_msgs, out, sizeof(*out));
    return true;
}

uint64_t sky_feedback_host_messages_dropped(SkyFeedback *fb)
{
    return atomic_load(&fb->host_dropped);
}

void sky_feedback_stream_ended(SkyFeedback *fb)
{
    atomic_store(&fb->ended, true);
    wake_main(fb);
}

bool sky_feedback_is_ended(SkyFeedback *fb)
{
    return atomic_load(&fb->ended);
}

bool sky_feedback_is_wake_event(SkyFeedback *fb, const SDL_Event *ev)
{
    if (ev->type != fb->wake_event)
        return false;
    atomic_store(&fb->wake_pending, false);
    return true;
}
