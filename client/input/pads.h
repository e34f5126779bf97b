/* Game controllers as Skylight opens them: SDL's hints that make pads behave as players expect
 * (rumble, lightbar and trigger effects of PlayStation pads over Bluetooth, their player LEDs)
 * and the user's own controller mappings (<config dir>/gamecontrollerdb.txt). Whatever opens
 * pads goes through here instead of SDL_InitSubSystem(SDL_INIT_GAMECONTROLLER): `stream`
 * (client/input/input.c) and the launcher. Main thread only.
 *
 * Where mappings come from, the later winning over the earlier for the same controller:
 *  - SDL's own database;
 *  - <config dir>/gamecontrollerdb.txt (the community file's format, one mapping a line; lines
 *    for other platforms are skipped by SDL);
 *  - the environment's SDL_GAMECONTROLLERCONFIG (mapping lines) and
 *    SDL_GAMECONTROLLERCONFIG_FILE (a file's path): SDL reads both itself when the subsystem
 *    starts, as user mappings that outrank those added later through its API, so the file here
 *    does not override them.
 * The hints set here are defaults: an environment variable of the same name wins (SDL2 lets a
 * variable override any hint not set with SDL_HINT_OVERRIDE). */
#ifndef SKY_CLIENT_PADS_H
#define SKY_CLIENT_PADS_H

/* The mappings file's name in the config directory. */
#define SKY_PADS_MAPPINGS_FILE "gamecontrollerdb.txt"

/* Main thread. Sets the hints, then opens SDL's game controller subsystem (SDL counts opens;
 * each successful call needs one sky_pads_close). The call that starts the subsystem also adds
 * the mappings in <config_dir>/SKY_PADS_MAPPINGS_FILE (config_dir NULL: none): after the start,
 * where SDL documents adding mappings; a pad already plugged in that only the file maps is then
 * announced by SDL with an SDL_CONTROLLERDEVICEADDED of its own. A missing file is nothing;
 * one SDL cannot read, or in which no line is a mapping, is a warning naming the file and SDL's
 * error, never a failure. Returns 0, or SKY_ERR(ENODEV) when SDL cannot open the subsystem (its
 * error logged). */
int sky_pads_open(const char *config_dir);

/* Main thread: undoes one successful sky_pads_open. */
void sky_pads_close(void);

/* Main thread, subsystem open: adds the mappings in the file at path (lines of
 * "GUID,name,bindings,platform:Linux,", as in the community's gamecontrollerdb.txt; SDL skips
 * lines without this platform's field), announcing with an SDL_CONTROLLERDEVICEADDED any pad
 * already plugged in that they make a game controller. Returns the number of new mappings by
 * SDL's count (one that replaces a mapping SDL had counts as none; an empty file adds 0), or a
 * negative error: ENOENT no such file (not logged); EINVAL not a regular file, or nothing in it
 * changed SDL's mappings; EIO it cannot be read (those are warnings naming the file and why).
 * sky_pads_open calls it; exposed for tests. */
int sky_pads_add_mappings(const char *path);

#endif
