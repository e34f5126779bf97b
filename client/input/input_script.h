/* Synthetic input for tests and benchmarks (--input-script FILE): a list of timed SDL events
 * posted into SDL's own event queue, and SDL virtual game controllers attached, driven and
 * detached, so the input path from SDL onwards is the one real devices take. Rumble, trigger
 * rumble and LED requests that reach a virtual pad are logged. Main thread only.
 *
 * The commands (key, text, motion, move, button, wheel, finger, pad attach/button/axis/detach,
 * repeat) are described in docs/input-script.md.
 *
 * Events are posted when due on the presenter's loop turns; their capture time is when the
 * input code reads them, as for real devices. */
#ifndef SKY_CLIENT_INPUT_SCRIPT_H
#define SKY_CLIENT_INPUT_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct SkyInputScript SkyInputScript;

/* Reads and checks the whole file. window_id: the window events are addressed to (0
 * headless). Errors name the line: SKY_ERR(EINVAL), SKY_ERR(ENOENT), SKY_ERR(ENOMEM). */
int sky_input_script_load(SkyInputScript **out, const char *path, uint32_t window_id);
void sky_input_script_destroy(SkyInputScript **s);
/* Posts every event due at now_us (the first call starts the clock). Returns true once the
 * script has run out. */
bool sky_input_script_step(SkyInputScript *s, int64_t now_us);

#endif
