/* Synthetic input for tests and benchmarks (--input-script FILE): a list of timed SDL events
 * posted into SDL's own event queue, and SDL virtual game controllers attached, driven and
 * detached, so the input path from SDL onwards is the one real devices take. Rumble, trigger
 * rumble and LED requests that reach a virtual pad are logged. Main thread only.
 *
 * One command per line, '#' starts a comment; MS is milliseconds after the script starts:
 *
 *   MS key down|up NAME        an SDL scancode name ("A", "Left Shift", "Return"; '_' for ' ');
 *                              modifier keys pressed earlier in the script set the event's mods
 *   MS text UTF8               a text input event (no key)
 *   MS motion DX DY            relative mouse motion
 *   MS move X Y                the pointer at window position X, Y
 *   MS button down|up N        mouse button 1..5 at the pointer's position
 *   MS wheel X Y               scroll by notches (fractions for high-resolution wheels)
 *   MS finger down|move|up ID X Y   a touch at window fractions X, Y
 *   MS pad attach SLOT xbox|ps|nintendo   a virtual controller; SLOT names it in the script
 *   MS pad SLOT button NAME down|up       NAME as SDL names them: a, b, x, y, back, guide,
 *                                         start, leftstick, ..., dpup, dpdown, dpleft, dpright
 *   MS pad SLOT axis NAME VALUE           leftx, lefty, rightx, righty, lefttrigger,
 *                                         righttrigger; VALUE -32768..32767
 *   MS pad SLOT detach
 *   MS repeat N EVERY_MS COMMAND...  the command N times, EVERY_MS apart (benchmarks)
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
/* The earliest time the next event is due (INT64_MAX when done). */
int64_t sky_input_script_next_us(const SkyInputScript *s);

#endif
