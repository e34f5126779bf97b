/* Opening SDL's game controllers the way Skylight wants them: hints first, then the subsystem,
 * then the user's mappings file (pads.h). */
#define _POSIX_C_SOURCE 200809L
#include "client/input/pads.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <SDL.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "pads"
/* Pads whose mapped state is compared around adding the file's mappings; more joysticks than
 * this at once is not a case worth a heap allocation (the host takes 16 pads). */
#define MAX_JOYSTICKS 64

/* Before SDL starts its HIDAPI drivers, which read these when they open a pad. */
static void set_hints(void)
{
    /* PlayStation pads over Bluetooth send their basic report until told otherwise; rumble, the
     * lightbar colour and (DualSense) the trigger effects need the extended report, which SDL
     * leaves off by default because a pad switched to it confuses DirectInput programs until it
     * is power-cycled. Skylight streams games that expect all of these, so it asks for it. */
    SDL_SetHint(SDL_HINT_JOYSTICK_HIDAPI_PS4_RUMBLE, "1");
    SDL_SetHint(SDL_HINT_JOYSTICK_HIDAPI_PS5_RUMBLE, "1");
    /* The DualSense's player LEDs show which player a pad is, as on the console (SDL's default
     * today; said here so a changed default does not silently take it away). */
    SDL_SetHint(SDL_HINT_JOYSTICK_HIDAPI_PS5_PLAYER_LED, "1");
    /* Left as SDL has them, on purpose: SDL_HINT_GAMECONTROLLER_USE_BUTTON_LABELS (--swap-ab
     * is defined against SDL's default) and SDL_HINT_JOYSTICK_HIDAPI_STEAM (off: under Steam a
     * Steam Controller already arrives as Steam Input's virtual pad; opening it directly too
     * would make one player two). */
}

static bool is_game_controller(int index)
{
    return SDL_IsGameController(index) == SDL_TRUE;
}

/* A hash of every mapping SDL holds. SDL's count of what a file added is no test of whether it
 * did anything: a line that replaces a known pad's mapping counts as none, and a malformed line
 * with the platform field can count as one while changing nothing. */
static uint64_t mappings_fingerprint(void)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    int n = SDL_GameControllerNumMappings();
    for (int i = 0; i < n; i++) {
        char *m = SDL_GameControllerMappingForIndex(i);
        for (const char *c = m; c && *c; c++)
            h = (h ^ (uint8_t)*c) * 1099511628211u;
        h = (h ^ 0xff) * 1099511628211u; /* where one mapping ends */
        SDL_free(m);
    }
    return h;
}

int sky_pads_add_mappings(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return SKY_ERR(ENOENT);
        SKY_LOGW(TAG, "controller mappings %s: %s", path, strerror(errno));
        return SKY_ERR(EIO);
    }
    if (!S_ISREG(st.st_mode)) {
        SKY_LOGW(TAG, "controller mappings %s: not a regular file", path);
        return SKY_ERR(EINVAL);
    }
    if (st.st_size == 0) { /* SDL calls an empty file unreadable; it is merely empty */
        SKY_LOGV(TAG, "controller mappings %s: empty", path);
        return 0;
    }
    /* SDL 2.26 does not announce a pad already plugged in that a mapping added now makes a
     * game controller (only pads that arrive later): remember which were. */
    bool was[MAX_JOYSTICKS] = {0};
    int n_before = SDL_NumJoysticks();
    for (int i = 0; i < n_before && i < MAX_JOYSTICKS; i++)
        was[i] = is_game_controller(i);
    uint64_t before = mappings_fingerprint();
    SDL_ClearError(); /* SDL skips most bad lines without an error; an old one must not show */
    int added = SDL_GameControllerAddMappingsFromFile(path);
    if (added < 0) {
        SKY_LOGW(TAG, "controller mappings %s: %s", path, SDL_GetError());
        return SKY_ERR(EIO);
    }
    if (mappings_fingerprint() == before) {
        const char *why = SDL_GetError();
        SKY_LOGW(TAG, "controller mappings %s: nothing in it changed SDL's mappings (SDL takes "
                 "lines of GUID,name,bindings with platform:Linux)%s%s", path,
                 why[0] ? ": " : "", why);
        return SKY_ERR(EINVAL);
    }
    int n_after = SDL_NumJoysticks();
    for (int i = 0; i < n_before && i < n_after && i < MAX_JOYSTICKS; i++) {
        if (was[i] || !is_game_controller(i))
            continue;
        SDL_Event ev;
        SDL_zero(ev);
        ev.type = SDL_CONTROLLERDEVICEADDED;
        ev.cdevice.which = i; /* a device index, as in SDL's own DEVICEADDED */
        if (SDL_PushEvent(&ev) < 0)
            SKY_LOGW(TAG, "a pad the mappings cover goes unannounced: %s", SDL_GetError());
    }
    SKY_LOGV(TAG, "controller mappings %s: %d added", path, added);
    return added;
}

int sky_pads_open(const char *config_dir)
{
    bool first = SDL_WasInit(SDL_INIT_GAMECONTROLLER) == 0;
    set_hints();
    /* SDL_GAMECONTROLLERCONFIG and SDL_GAMECONTROLLERCONFIG_FILE from the environment need
     * nothing here: SDL_GetHint falls back to the environment, and SDL's start reads both. */
    if (SDL_InitSubSystem(SDL_INIT_GAMECONTROLLER) != 0) {
        SKY_LOGW(TAG, "no game controllers: %s", SDL_GetError());
        return SKY_ERR(ENODEV);
    }
    /* Only the start of the subsystem: a second opener in the same process finds the file's
     * mappings there already (adding them again would count none and warn). */
    if (first && config_dir) {
        char path[4096];
        int n = snprintf(path, sizeof(path), "%s/%s", config_dir, SKY_PADS_MAPPINGS_FILE);
        if (n > 0 && (size_t)n < sizeof(path)) {
            if (sky_pads_add_mappings(path) == SKY_ERR(ENOENT))
                SKY_LOGV(TAG, "no controller mappings of the user's (%s)", path);
        }
    }
    return 0;
}

void sky_pads_close(void)
{
    SDL_QuitSubSystem(SDL_INIT_GAMECONTROLLER);
}
