/* Input capture (main thread): SDL keyboard, mouse, touch and game controller events become
 * timestamped records for the input thread (client/input/input_sender.h), which encodes and sends
 * them. Also here: the pointer capture and mouse modes, the keyboard shortcuts
 * (Ctrl+Alt+Shift + Q quit, S stats overlay, Z release/capture the mouse, X fullscreen,
 * M mouse mode, Enter the in-stream menu), holding input back from the host while that menu is
 * open, gamepad hot-plug (up to 16 pads) and the host's feedback to pads (rumble,
 * trigger rumble, LED colour, motion sensor reports), applied on the main thread. */
#ifndef SKY_CLIENT_INPUT_H
#define SKY_CLIENT_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>

#include "client/feedback.h"
#include "client/net/control_stream.h"
#include "client/input/input_sender.h"
#include "common/core/opts.h"

typedef enum SkyCaptureKeys {
    SKY_CAPTURE_KEYS_NEVER = 0,
    SKY_CAPTURE_KEYS_FULLSCREEN,
    SKY_CAPTURE_KEYS_ALWAYS,
} SkyCaptureKeys;

typedef struct SkyInputOpts {
    int capture_system_keys; /* SkyCaptureKeys */
    int mouse_mode;          /* 0 relative, 1 absolute */
    int touch_mode;          /* 0 absolute, 1 trackpad */
    bool swap_ab;
    bool gamepads;
    char script[1024];       /* --input-script */
    char menu_combo[64];     /* the pad buttons that open the in-stream menu (common/ui/nav.h) */
} SkyInputOpts;

extern const SkyOpt sky_input_opts_table[];

typedef enum SkyShortcut {
    SKY_SHORTCUT_NONE = 0,
    SKY_SHORTCUT_QUIT,
    SKY_SHORTCUT_OVERLAY,
    SKY_SHORTCUT_FULLSCREEN,
    SKY_SHORTCUT_MENU,       /* open or close the in-stream menu */
} SkyShortcut;

typedef struct SkyInputCfg {
    SkyInputOpts opts;
    SkyControlStream *control;
    SkyFeedback *feedback;        /* the host's feedback to pads comes from there; not owned */
    SDL_Window *window;           /* NULL headless: no pointer capture, positions as is */
    int stream_width, stream_height;
    uint32_t host_features;       /* SKY_SS_FF_* from the host's SDP */
    bool sunshine;                /* the host takes Sunshine's extensions */
} SkyInputCfg;

typedef struct SkyInput SkyInput;

/* Main thread, SDL's event subsystem initialised. Opens the game controllers (if gamepads;
 * client/input/pads.h: SDL's hints and the config directory's mappings file; no controllers is
 * a warning, not an error) and starts the input thread. Returns 0 or a negative error. */
int sky_input_create(SkyInput **out, const SkyInputCfg *cfg);
/* Main thread. Lifts whatever the host holds down, stops the thread, closes the pads.
 * Accepts NULL; NULLs the pointer. */
void sky_input_destroy(SkyInput **in);

/* Main thread: one SDL event (the presenter hands over those it does not use). Returns the
 * shortcut the session is to carry out (quit, overlay, fullscreen), SKY_SHORTCUT_NONE for
 * anything else (input's own shortcuts, mouse capture and mode, are done here). */
SkyShortcut sky_input_event(SkyInput *in, const SDL_Event *ev);

/* Main thread: while suspended (the in-stream menu is open), nothing reaches the host: on
 * suspending, every key and mouse button the host holds is lifted and every pad's buttons,
 * triggers and sticks go back to rest there (through the input thread, in order after what
 * was sent before); then events are read only for pads coming and going and the shortcuts.
 * Resuming sends nothing by itself: what is still held counts from its next change (a button
 * still down from choosing a menu item is never pressed in the game). */
void sky_input_suspend(SkyInput *in, bool suspend);
bool sky_input_suspended(const SkyInput *in);
/* Main thread: relative <-> absolute mouse (the Ctrl+Alt+Shift+M shortcut). */
void sky_input_toggle_mouse_mode(SkyInput *in);
bool sky_input_mouse_absolute(const SkyInput *in);

/* Main thread: the window went to or from fullscreen (the pointer and keyboard capture follow). */
void sky_input_window_changed(SkyInput *in);

/* Main thread: applies the host's feedback queued in the SkyFeedback (rumble, trigger rumble,
 * LED, motion report rates) to the pads. */
void sky_input_take_feedback(SkyInput *in);

/* Any thread: figures for stats. */
void sky_input_stats(SkyInput *in, SkyInputSenderStats *out);

#endif
