/* The input thread: takes the input records the main thread captured (in order, each with its
 * capture time), keeps the state the host's packets carry (keys held, gamepad buttons and axes,
 * scroll remainders), encodes GameStream input packets (common/proto/input.h) and hands them to the
 * control stream, which sends them at once. Relative mouse motion is batched to one packet per
 * millisecond; every other record takes the pending motion first, so nothing is reordered and
 * buttons, keys and gamepad changes are never merged. */
#ifndef SKY_CLIENT_INPUT_SENDER_H
#define SKY_CLIENT_INPUT_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "client/net/control_stream.h"
#include "common/proto/input.h"

typedef enum SkyInputRecType {
    SKY_REC_KEY,          /* key: usage (SDL scancode), down, modifiers (SKY_INPUT_MOD_*) */
    SKY_REC_TEXT,         /* text */
    SKY_REC_MOTION,       /* motion: relative dx, dy */
    SKY_REC_POSITION,     /* position: x, y within a w x h reference */
    SKY_REC_BUTTON,       /* button */
    SKY_REC_WHEEL,        /* wheel: notches (fractions for high-resolution wheels) */
    SKY_REC_PAD_ADD,      /* pad.number, arrival */
    SKY_REC_PAD_REMOVE,   /* pad.number */
    SKY_REC_PAD_STATE,    /* pad: the pad's new buttons, triggers and sticks */
    SKY_REC_PAD_TOUCH,    /* packet (SKY_IN_PAD_TOUCH) */
    SKY_REC_PAD_MOTION,   /* packet (SKY_IN_PAD_MOTION) */
    SKY_REC_PAD_BATTERY,  /* packet (SKY_IN_PAD_BATTERY) */
    SKY_REC_TOUCH,        /* packet (SKY_IN_TOUCH) */
    SKY_REC_RELEASE_ALL,  /* lift every key and mouse button the host holds down */
} SkyInputRecType;

/* One captured event. */
typedef struct SkyInputRec {
    SkyInputRecType type;
    int64_t capture_us; /* sky_time_us() when the main thread read the event */
    union {
        struct {
            uint16_t usage;
            bool down;
            uint8_t modifiers;
        } key;
        char text[SKY_INPUT_TEXT_MAX + 1];
        struct {
            int32_t dx, dy;
        } motion;
        struct {
            int16_t x, y, w, h;
        } position;
        struct {
            uint8_t button; /* 1..5 */
            bool down;
        } button;
        struct {
            float x, y; /* notches: + right, + up */
        } wheel;
        struct {
            uint8_t number;
            uint32_t buttons;
            uint8_t left_trigger, right_trigger;
            int16_t ls_x, ls_y, rs_x, rs_y;
            SkyInputPacket arrival; /* SKY_IN_PAD_ARRIVAL */
        } pad;
        SkyInputPacket packet;
    } u;
} SkyInputRec;

typedef struct SkyInputSenderCfg {
    SkyControlStream *control;
    bool sunshine; /* the host takes Sunshine's extensions (horizontal scroll, arrival, battery) */
} SkyInputSenderCfg;

typedef struct SkyInputSender SkyInputSender;

/* Starts the thread and queues the "enable haptics" packet GFE needs before it sends rumble.
 * Returns 0, SKY_ERR(ENOMEM) or SKY_ERR(EAGAIN). */
int sky_input_sender_create(SkyInputSender **out, const SkyInputSenderCfg *cfg);
/* Sends what is queued, stops the thread. Accepts NULL; NULLs the pointer. */
void sky_input_sender_destroy(SkyInputSender **s);
/* Main thread: queues a record (copied). SKY_ERR(EAGAIN) when the queue is full (the record
 * is dropped and counted; the queue holds seconds of input, so this means the thread is
 * stuck). */
int sky_input_sender_push(SkyInputSender *s, const SkyInputRec *rec);

typedef struct SkyInputSenderStats {
    uint64_t records;   /* taken from the queue */
    uint64_t packets;   /* handed to the control stream */
    uint64_t dropped;   /* records that did not fit the queue, packets the control queue refused */
} SkyInputSenderStats;

/* Any thread. */
void sky_input_sender_stats(SkyInputSender *s, SkyInputSenderStats *out);

#endif
