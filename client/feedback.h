/* The reports that travel up or across between a session's threads, as an object instead of
 * callbacks (mpv's wakeup rule, docs/threading.md). The session creates it before any thread
 * starts and destroys it after every thread has been joined, so no report can reach a module
 * that is already gone, whatever order the modules stop in.
 *
 *   decoder thread -> producer (the video receiver, or the file reader in `play`):
 *       "the decoder needs a keyframe": the frame generation that broke (a decode error, or
 *       the fall-back to software decoding), and each decode's time (for smooth pacing). The
 *       receiver polls sky_feedback_video_fd(), so a keyframe request leaves at once, even when
 *       no datagram is arriving.
 *   control thread -> main thread: the host's gamepad feedback (rumble, trigger rumble, LED,
 *       motion requests), in a bounded lock-free queue.
 *   control thread -> any thread (the presentation side): the host's latest HDR mode (0x010e:
 *       enabled, mastering display and content light levels), a generation-counted snapshot
 *       that readers copy without a lock (a seqlock over atomics).
 *   control or receive thread -> main thread: "the stream has ended".
 * The main thread is woken by one SDL user event (pushed at most once until it is handled).
 * Nothing here blocks or takes a lock. */
#ifndef SKY_CLIENT_FEEDBACK_H
#define SKY_CLIENT_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <SDL.h>

#include "common/proto/control.h"

typedef struct SkyFeedback SkyFeedback;

/* Any thread, before the others start. Returns 0 or a negative errno. */
int sky_feedback_create(SkyFeedback **out);
/* After every thread that uses it has been joined. Accepts NULL; NULLs the pointer. */
void sky_feedback_destroy(SkyFeedback **fb);

/* ---- decoder thread -> producer ---- */

/* The frames of generation `gen` cannot be decoded any more (a decode error; with fell_back,
 * the decoder was reopened in software): the producer must start a new generation at a
 * keyframe. */
void sky_feedback_need_keyframe(SkyFeedback *fb, uint32_t gen, bool fell_back);
/* One decode took decode_us (decode start to picture). */
void sky_feedback_decoded(SkyFeedback *fb, int64_t decode_us);

/* Readable when the decoder has posted a keyframe need (for poll; the producer's thread). */
int sky_feedback_video_fd(const SkyFeedback *fb);

typedef struct SkyKeyframeNeed {
    uint32_t gen;       /* the generation that broke */
    bool fell_back;     /* the decoder fell back to software since the last take */
} SkyKeyframeNeed;

/* Producer thread: takes the keyframe need posted since the last take (clearing the fd).
 * Returns false if there is none. */
bool sky_feedback_take_keyframe_need(SkyFeedback *fb, SkyKeyframeNeed *out);
/* Producer thread: the next decode time not yet taken (the oldest ones are lost when more than
 * 64 wait). Returns false when there is none. */
bool sky_feedback_take_decode_time(SkyFeedback *fb, int64_t *decode_us);

/* ---- control / receive threads -> main thread ---- */

/* Control thread (the only writer): a host message for the main thread. A rumble, trigger
 * rumble, LED, motion or adaptive-trigger message for the pads is queued (dropped, and counted,
 * when the main thread is 64 behind); an HDR mode message replaces the HDR snapshot (below) and
 * wakes the main thread too; other kinds are ignored. */
void sky_feedback_host_message(SkyFeedback *fb, const SkyControlHostMsg *msg);
/* Main thread: the next queued host message. Returns false when there is none. */
bool sky_feedback_take_host_message(SkyFeedback *fb, SkyControlHostMsg *out);
/* Host messages dropped because the queue was full. */
uint64_t sky_feedback_host_messages_dropped(SkyFeedback *fb);

/* Any thread, without a lock: the latest HDR mode the host sent. Returns false (and zeroes
 * *out) until the first one has come. *generation (if not NULL) counts the HDR messages stored
 * so far (0 before the first), so a reader can tell a new one from the one it already applied;
 * it and *out always belong to the same message. Hosts send one when the video starts (Sunshine
 * also when its display switches HDR on or off). */
bool sky_feedback_hdr_mode(SkyFeedback *fb, SkyControlHdrMode *out, uint32_t *generation);

/* Any thread: the stream is over (the control stream ended, or the receiver gave up). */
void sky_feedback_stream_ended(SkyFeedback *fb);
bool sky_feedback_is_ended(SkyFeedback *fb);

/* Main thread: whether ev is the feedback's wake-up event; if so, the next report will push a
 * new one (call before taking the host messages). */
bool sky_feedback_is_wake_event(SkyFeedback *fb, const SDL_Event *ev);

#endif
