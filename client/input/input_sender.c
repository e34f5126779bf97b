/* The input thread: records to GameStream input packets, held keys, batched motion (input_sender.h). */
/* Threads (docs/threading.md): push on the main thread; everything else on the input thread,
 * which owns the encoding state. The record queue is guarded by `lock`. */
#define _POSIX_C_SOURCE 200809L
#include "client/input/input_sender.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/proto/control.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/time.h"

#define TAG "input"
#define QUEUE_RECS 4096            /* seconds of input at any real rate */
#define MOTION_INTERVAL_US 1000    /* one relative motion packet per millisecond */

struct SkyInputSender {
    SkyInputSenderCfg cfg;
    pthread_t thread;
    bool thread_started;

    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* Guarded by lock. */
    SkyInputRec *ring;
    size_t head, count;
    bool stop;

    /* Input thread only. */
    SkyMotionBatch motion;
    uint8_t held_keys[256 / 8];   /* virtual-key codes the host holds down */
    uint8_t held_buttons;         /* bit n: mouse button n */
    uint16_t active_pads;
    float wheel_rest_x, wheel_rest_y; /* fractions of a scroll unit not yet sent */
    SkyLogLimit limit;

    _Atomic uint64_t records, packets, dropped;
};

/* ---- Sending ---- */

static void send_packet(SkyInputSender *s, const SkyInputPacket *p, int64_t capture_us)
{
    uint8_t pkt[SKY_INPUT_MAX_PACKET], msg[SKY_CONTROL_MAX_MSG];
    size_t plen = 0, mlen = 0;
    int ret = sky_input_build(p, pkt, sizeof(pkt), &plen);
    if (ret == 0)
        ret = sky_control_build_input(pkt, plen, msg, sizeof(msg), &mlen);
    if (ret == 0)
        ret = sky_control_stream_send_at(s->cfg.control, msg, mlen, 0, capture_us);
    if (ret == 0) {
        atomic_fetch_add(&s->packets, 1);
        return;
    }
    if (ret != SKY_ERR(EPIPE)) { /* EPIPE: the stream has ended; nothing to tell */
        atomic_fetch_add(&s->dropped, 1);
        sky_log_limited(&s->limit, sky_time_us(), SKY_LOG_WARN, TAG,
                        "an input packet was not sent: %s", sky_strerror(ret));
    }
}

static void flush_motion(SkyInputSender *s, int64_t now)
{
    SkyInputPacket p = {.kind = SKY_IN_MOUSE_REL};
    int64_t capture;
    while (sky_motion_batch_take(&s->motion, now, &p.u.rel.dx, &p.u.rel.dy, &capture))
        send_packet(s, &p, capture);
}

static bool held(const uint8_t *set, uint8_t vk)
{
    return set[vk / 8] & (1u << (vk % 8));
}

static void set_held(uint8_t *set, uint8_t vk, bool on)
{
    if (on)
        set[vk / 8] |= (uint8_t)(1u << (vk % 8));
    else
        set[vk / 8] &= (uint8_t)~(1u << (vk % 8));
}

static void send_key(SkyInputSender *s, uint8_t vk, bool down, uint8_t mods, int64_t capture)
{
    SkyInputPacket p = {.kind = SKY_IN_KEY};
    p.u.key.down = down;
    p.u.key.code = (uint16_t)(0x8000 | vk);
    p.u.key.modifiers = mods;
    set_held(s->held_keys, vk, down);
    send_packet(s, &p, capture);
}

static void send_button(SkyInputSender *s, uint8_t button, bool down, int64_t capture)
{
    SkyInputPacket p = {.kind = SKY_IN_MOUSE_BUTTON};
    p.u.button.button = button;
    p.u.button.down = down;
    if (down)
        s->held_buttons |= (uint8_t)(1u << button);
    else
        s->held_buttons &= (uint8_t)~(1u << button);
    send_packet(s, &p, capture);
}

/* Whole scroll units from notches, keeping the fraction for the next event. */
static int16_t wheel_units(float notches, float *rest)
{
    float units = notches * SKY_INPUT_WHEEL_DELTA + *rest;
    if (!isfinite(units)) {
        *rest = 0;
        return 0;
    }
    float whole = truncf(units);
    if (whole > INT16_MAX)
        whole = INT16_MAX;
    if (whole < INT16_MIN)
        whole = INT16_MIN;
    *rest = fabsf(units - whole) < 1.0f ? units - whole : 0.0f;
    return (int16_t)whole;
}

static void pad_state(SkyInputSender *s, const SkyInputRec *r)
{
    SkyInputPacket p = {.kind = SKY_IN_PAD};
    p.u.pad.number = r->u.pad.number;
    p.u.pad.active_mask = s->active_pads;
    p.u.pad.buttons = r->u.pad.buttons;
    p.u.pad.left_trigger = r->u.pad.left_trigger;
    p.u.pad.right_trigger = r->u.pad.right_trigger;
    p.u.pad.ls_x = r->u.pad.ls_x;
    p.u.pad.ls_y = r->u.pad.ls_y;
    p.u.pad.rs_x = r->u.pad.rs_x;
    p.u.pad.rs_y = r->u.pad.rs_y;
    send_packet(s, &p, r->capture_us);
}

static void handle(SkyInputSender *s, const SkyInputRec *r, int64_t now)
{
    if (r->type == SKY_REC_MOTION) {
        sky_motion_batch_add(&s->motion, r->u.motion.dx, r->u.motion.dy, r->capture_us);
        return;
    }
    flush_motion(s, now); /* order: earlier motion goes first */
    SkyInputPacket p;
    memset(&p, 0, sizeof(p));
    switch (r->type) {
    case SKY_REC_KEY: {
        uint8_t vk = sky_input_vk_from_usage(r->u.key.usage);
        /* A key-up for a key the host does not hold (pressed before capture) is dropped. */
        if (vk && (r->u.key.down || held(s->held_keys, vk)))
            send_key(s, vk, r->u.key.down, r->u.key.modifiers, r->capture_us);
        break;
    }
    case SKY_REC_TEXT:
        p.kind = SKY_IN_TEXT;
        memcpy(p.u.text.utf8, r->u.text, sizeof(p.u.text.utf8));
        send_packet(s, &p, r->capture_us);
        break;
    case SKY_REC_POSITION:
        p.kind = SKY_IN_MOUSE_ABS;
        p.u.abs.x = r->u.position.x;
        p.u.abs.y = r->u.position.y;
        /* The reference size minus one, as Moonlight sends it (GFE's scaling needs it). */
        p.u.abs.width = (int16_t)(r->u.position.w - 1);
        p.u.abs.height = (int16_t)(r->u.position.h - 1);
        send_packet(s, &p, r->capture_us);
        break;
    case SKY_REC_BUTTON:
        if (r->u.button.down || (s->held_buttons & (1u << r->u.button.button)))
            send_button(s, r->u.button.button, r->u.button.down, r->capture_us);
        break;
    case SKY_REC_WHEEL:
        p.kind = SKY_IN_SCROLL;
        p.u.scroll.amount = wheel_units(r->u.wheel.y, &s->wheel_rest_y);
        if (p.u.scroll.amount)
            send_packet(s, &p, r->capture_us);
        p.kind = SKY_IN_HSCROLL;
        p.u.scroll.amount = wheel_units(r->u.wheel.x, &s->wheel_rest_x);
        if (p.u.scroll.amount && s->cfg.sunshine)
            send_packet(s, &p, r->capture_us);
        break;
    case SKY_REC_PAD_ADD:
        s->active_pads |= (uint16_t)(1u << r->u.pad.number);
        if (s->cfg.sunshine)
            send_packet(s, &r->u.pad.arrival, r->capture_us);
        pad_state(s, r); /* hosts without arrival packets learn of the pad from this */
        break;
    case SKY_REC_PAD_REMOVE:
        s->active_pads &= (uint16_t)~(1u << r->u.pad.number);
        pad_state(s, r); /* a zero state without the pad's bit: the host unplugs it */
        break;
    case SKY_REC_PAD_STATE:
        if (s->active_pads & (1u << r->u.pad.number))
            pad_state(s, r);
        break;
    case SKY_REC_PAD_TOUCH:
    case SKY_REC_PAD_MOTION:
    case SKY_REC_PAD_BATTERY:
    case SKY_REC_TOUCH:
        send_packet(s, &r->u.packet, r->capture_us);
        break;
    case SKY_REC_RELEASE_ALL:
        for (int vk = 0; vk < 256; vk++)
            if (held(s->held_keys, (uint8_t)vk))
                send_key(s, (uint8_t)vk, false, 0, r->capture_us);
        for (uint8_t b = 1; b <= SKY_INPUT_BUTTON_MAX; b++)
            if (s->held_buttons & (1u << b))
                send_button(s, b, false, r->capture_us);
        break;
    default:
        break;
    }
}

/* ---- The thread ---- */

static void deadline_ts(int64_t due_us, struct timespec *ts)
{
    /* sky_time_us is CLOCK_MONOTONIC, as the condition variable's clock. */
    ts->tv_sec = (time_t)(due_us / 1000000);
    ts->tv_nsec = (long)(due_us % 1000000) * 1000;
}

static void *input_thread(void *arg)
{
    SkyInputSender *s = arg;
    SkyInputRec batch[64];
    pthread_mutex_lock(&s->lock);
    for (;;) {
        int64_t due = sky_motion_batch_due_us(&s->motion);
        while (s->count == 0 && !s->stop && due > sky_time_us()) {
            if (due == INT64_MAX) {
                pthread_cond_wait(&s->cond, &s->lock);
            } else {
                struct timespec ts;
                deadline_ts(due, &ts);
                pthread_cond_timedwait(&s->cond, &s->lock, &ts);
            }
        }
        bool stop = s->stop;
        size_t n = 0;
        while (s->count > 0 && n < sizeof(batch) / sizeof(batch[0])) {
            batch[n++] = s->ring[s->head];
            s->head = (s->head + 1) % QUEUE_RECS;
            s->count--;
        }
        pthread_mutex_unlock(&s->lock);
        for (size_t i = 0; i < n; i++)
            handle(s, &batch[i], sky_time_us());
        atomic_fetch_add(&s->records, n);
        int64_t now = sky_time_us();
        if (sky_motion_batch_due_us(&s->motion) <= now || (stop && n == 0))
            flush_motion(s, now);
        pthread_mutex_lock(&s->lock);
        if (stop && s->count == 0)
            break;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int sky_input_sender_create(SkyInputSender **out, const SkyInputSenderCfg *cfg)
{
    *out = NULL;
    SkyInputSender *s = calloc(1, sizeof(*s));
    if (!s)
        return SKY_ERR(ENOMEM);
    s->cfg = *cfg;
    s->limit = (SkyLogLimit)SKY_LOG_LIMIT_INIT;
    sky_motion_batch_init(&s->motion, MOTION_INTERVAL_US);
    s->ring = calloc(QUEUE_RECS, sizeof(*s->ring));
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (!s->ring) {
        sky_input_sender_destroy(&s);
        return SKY_ERR(ENOMEM);
    }
    /* GFE sends no rumble until it has seen this; Sunshine ignores it. Moonlight sends it too. */
    SkyInputPacket haptics = {.kind = SKY_IN_HAPTICS, .u.haptics.enable = 1};
    send_packet(s, &haptics, 0);
    if (pthread_create(&s->thread, NULL, input_thread, s) != 0) {
        sky_input_sender_destroy(&s);
        return SKY_ERR(EAGAIN);
    }
    s->thread_started = true;
    *out = s;
    return 0;
}

void sky_input_sender_destroy(SkyInputSender **ps)
{
    SkyInputSender *s = *ps;
    if (!s)
        return;
    if (s->thread_started) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s->ring);
    free(s);
    *ps = NULL;
}

int sky_input_sender_push(SkyInputSender *s, const SkyInputRec *rec)
{
    pthread_mutex_lock(&s->lock);
    if (s->count == QUEUE_RECS) {
        pthread_mutex_unlock(&s->lock);
        atomic_fetch_add(&s->dropped, 1);
        return SKY_ERR(EAGAIN);
    }
    s->ring[(s->head + s->count) % QUEUE_RECS] = *rec;
    s->count++;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

void sky_input_sender_stats(SkyInputSender *s, SkyInputSenderStats *out)
{
    out->records = atomic_load(&s->records);
    out->packets = atomic_load(&s->packets);
    out->dropped = atomic_load(&s->dropped);
}
