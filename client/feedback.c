/* The reports between a session's threads: keyframe needs, decode times, host pad feedback, the
 * end (feedback.h). */
/* Threads: see feedback.h. Every field is written by one thread and read by another through
 * atomics (or the SPSC ring); no locks. */
#include "client/feedback.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/core/error.h"
#include "common/core/spsc.h"

#define DECODE_SAMPLES 64
#define HOST_MSG_SLOTS 64
/* SkyControlHdrMode packed into 32-bit words: the flags, then its 13 16-bit values in pairs. */
#define HDR_VALUES 13
#define HDR_WORDS (1 + (HDR_VALUES + 1) / 2)

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

    /* The HDR snapshot: a seqlock. The control thread (the one writer) makes hdr_seq odd,
     * writes the words, makes it even again; readers retry while it is odd or changed. Every
     * field is an atomic, so a reader racing the writer sees a torn copy only to throw it away.
     * hdr_seq / 2 is the number of messages stored. */
    _Atomic uint32_t hdr_seq;
    _Atomic uint32_t hdr_words[HDR_WORDS];

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

/* The 13 metadata values in the wire's order. */
static void hdr_values(SkyControlHdrMode *h, uint16_t *v[HDR_VALUES])
{
    for (int i = 0; i < 3; i++) {
        v[2 * i] = &h->primaries[i][0];
        v[2 * i + 1] = &h->primaries[i][1];
    }
    v[6] = &h->white_point[0];
    v[7] = &h->white_point[1];
    v[8] = &h->max_display_luminance;
    v[9] = &h->min_display_luminance;
    v[10] = &h->max_content_light_level;
    v[11] = &h->max_frame_average_light_level;
    v[12] = &h->max_full_frame_luminance;
}

/* Control thread only. */
static void store_hdr(SkyFeedback *fb, const SkyControlHdrMode *mode)
{
    SkyControlHdrMode h = *mode;
    uint16_t *v[HDR_VALUES];
    hdr_values(&h, v);
    uint32_t words[HDR_WORDS] = {(h.enabled ? 1u : 0u) | (h.has_metadata ? 2u : 0u)};
    for (int i = 0; i < HDR_VALUES; i++)
        words[1 + i / 2] |= (uint32_t)*v[i] << (i % 2 ? 16 : 0);
    /* Each word is a release store, so a reader that sees one new word also sees the odd
     * sequence number stored before it (no standalone fences: TSan does not model them). */
    uint32_t seq = atomic_load_explicit(&fb->hdr_seq, memory_order_relaxed);
    atomic_store_explicit(&fb->hdr_seq, seq + 1, memory_order_relaxed);
    for (int i = 0; i < HDR_WORDS; i++)
        atomic_store_explicit(&fb->hdr_words[i], words[i], memory_order_release);
    atomic_store_explicit(&fb->hdr_seq, seq + 2, memory_order_release);
}

bool sky_feedback_hdr_mode(SkyFeedback *fb, SkyControlHdrMode *out, uint32_t *generation)
{
    uint32_t words[HDR_WORDS], before, after;
    do { /* acquire loads keep the second read of hdr_seq after the words' */
        before = atomic_load_explicit(&fb->hdr_seq, memory_order_acquire);
        for (int i = 0; i < HDR_WORDS; i++)
            words[i] = atomic_load_explicit(&fb->hdr_words[i], memory_order_acquire);
        after = atomic_load_explicit(&fb->hdr_seq, memory_order_relaxed);
    } while (before != after || (before & 1));
    memset(out, 0, sizeof(*out));
    if (generation)
        *generation = before / 2;
    if (before == 0)
        return false;
    out->enabled = words[0] & 1;
    out->has_metadata = (words[0] & 2) != 0;
    uint16_t *v[HDR_VALUES];
    hdr_values(out, v);
    for (int i = 0; i < HDR_VALUES; i++)
        *v[i] = (uint16_t)(words[1 + i / 2] >> (i % 2 ? 16 : 0));
    return true;
}

void sky_feedback_host_message(SkyFeedback *fb, const SkyControlHostMsg *msg)
{
    switch (msg->kind) {
    case SKY_CONTROL_HOST_HDR_MODE:
        store_hdr(fb, &msg->u.hdr);
        wake_main(fb);
        return;
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
