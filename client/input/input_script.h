/* Synthetic input for tests and benchmarks (--input-script FILE): a list of timed SDL events
 * posted into SDL's own event queue, and SDL virtual game controllers attached, driven and
 * detached, so the input path from SDL onwards is the one real devices take. Rumble, trigger
 * rumble and LED requests that reach a virtual pad are logged. Main thread only.
 *
 * The commands (key, text, motion, move, button, wheel, finger, pad attach/button/axis/detach,
 * repeat) are described in docs/input-script.md.
 *
 * Events are posted when due on the presenter's loop turns; their capture time is when the
 * input code reads them, as for real devices.
 *
 * A live script (a FIFO) is read line by line as a test writes it, so a test can wait for
 * what a screen shows before it presses the next button: each complete line is parsed when a
 * step reads it and its time counts from then ("0 key down A" at once, "50 key up A" 50 ms
 * later); a bad line is logged as an error and skipped; the script never runs out. */
#ifndef SKY_CLIENT_INPUT_SCRIPT_H
#define SKY_CLIENT_INPUT_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct SkyInputScript SkyInputScript;

/* Reads and checks the whole file; a FIFO instead is opened live (sky_input_script_open_live),
 * as it has no end to read to. window_id: the window events are addressed to (0 headless).
 * Errors name the line: SKY_ERR(EINVAL), SKY_ERR(ENOENT), SKY_ERR(ENOMEM). On success the
 * caller owns *out (sky_input_script_destroy); on failure *out is NULL. */
int sky_input_script_load(SkyInputScript **out, const char *path, uint32_t window_id);

/* Opens a live script: path is a FIFO (held open for reading and writing, so it never reads as
 * ended when no writer has it open: writers may come and go) or a regular file read as it
 * grows. Nothing is read here; each step reads what has come without blocking. Errors:
 * SKY_ERR(ENOENT) (cannot open), SKY_ERR(EINVAL) (neither), SKY_ERR(ENOMEM). Ownership as
 * for sky_input_script_load. */
int sky_input_script_open_live(SkyInputScript **out, const char *path, uint32_t window_id);

/* Closes the script's file and its virtual pads. Accepts NULL; NULLs the pointer. */
void sky_input_script_destroy(SkyInputScript **s);

/* Reads a live script's new lines, then posts every event due at now_us (the first call starts
 * the clock). Returns true once the script has run out: never for a live one. */
bool sky_input_script_step(SkyInputScript *s, int64_t now_us);

/* When a step next has an event to post, on now_us's clock: INT64_MAX if none is waiting, 0
 * before the first step. Lines still to come on a live script are not known here: a caller
 * that sleeps between steps wakes for sky_input_script_fd too, or steps at least every 20 ms
 * (as the stream's presenter does; docs/input-script.md). */
int64_t sky_input_script_deadline(const SkyInputScript *s);

/* The live script's file descriptor (readable when a writer has written to the FIFO), for a
 * caller's poll(); -1 for a script read at once. Owned by the script. */
int sky_input_script_fd(const SkyInputScript *s);

#endif
