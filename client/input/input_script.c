/* --input-script: timed synthetic SDL events and SDL virtual game controllers for tests and
 * benchmarks, from a file read at once or from a FIFO read line by line (input_script.h). */
#define _POSIX_C_SOURCE 200809L
#include "client/input/input_script.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SDL.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "input-script"
#define MAX_CMDS 200000
#define MAX_PADS 16
#define MAX_FINGERS 16
#define MAX_LINE 512    /* a line's bytes and its terminating NUL */
#define MAX_READS 16    /* reads of a live script per step: a writer that never stops does not
                           hold the main thread (the rest waits for the next step) */

typedef enum CmdType {
    CMD_KEY,
    CMD_TEXT,
    CMD_MOTION,
    CMD_MOVE,
    CMD_BUTTON,
    CMD_WHEEL,
    CMD_FINGER,
    CMD_PAD_ATTACH,
    CMD_PAD_BUTTON,
    CMD_PAD_AXIS,
    CMD_PAD_DETACH,
} CmdType;

typedef struct Cmd {
    int64_t at_us;
    CmdType type;
    bool down;
    int slot;
    int a, b;          /* scancode / button / axis; value; pad type */
    float x, y;
    uint32_t event;    /* SDL finger event type */
    char text[SDL_TEXTINPUTEVENT_TEXT_SIZE];
    uint64_t order;    /* when it was read: equal times keep this order */
} Cmd;

typedef struct VPad {
    SDL_Joystick *joy;
    int slot;
} VPad;

struct SkyInputScript {
    Cmd *cmds;         /* cmds[next..n) are still to come, in time order */
    size_t n, next;
    uint64_t order;    /* the next command's Cmd.order */
    uint32_t window_id;
    int64_t start_us;  /* the first step's now_us; 0 before it */

    /* Live scripts only (fd >= 0): lines are read as they come. */
    int fd;
    char *path;
    char line[MAX_LINE];
    size_t line_len;
    bool line_too_long; /* the rest of this line is skipped */
    int line_no;
    SkyLogLimit read_limit;

    uint16_t mods;
    int mouse_x, mouse_y;
    float finger_x[MAX_FINGERS], finger_y[MAX_FINGERS]; /* last position, by finger id */
    VPad pads[MAX_PADS];
};

/* ---- Loading ---- */

static int add(SkyInputScript *s, const Cmd *c)
{
    if (s->n == MAX_CMDS)
        return SKY_ERR(E2BIG);
    s->cmds[s->n] = *c;
    s->cmds[s->n].order = s->order++;
    s->n++;
    return 0;
}

static void underscores_to_spaces(char *w)
{
    for (; *w; w++)
        if (*w == '_')
            *w = ' ';
}

static bool parse_down(const char *w, bool *down)
{
    if (strcmp(w, "down") == 0 || strcmp(w, "up") == 0) {
        *down = w[0] == 'd';
        return true;
    }
    return false;
}

/* One command (words after the time) into c. */
static bool parse_cmd(char **w, int nw, Cmd *c)
{
    if (nw < 1)
        return false;
    const char *v = w[0];
    if (strcmp(v, "key") == 0 && nw == 3 && parse_down(w[1], &c->down)) {
        underscores_to_spaces(w[2]);
        c->type = CMD_KEY;
        c->a = strncmp(w[2], "sc:", 3) == 0 ? atoi(w[2] + 3) : (int)SDL_GetScancodeFromName(w[2]);
        return c->a > SDL_SCANCODE_UNKNOWN && c->a < SDL_NUM_SCANCODES;
    }
    if (strcmp(v, "text") == 0 && nw == 2 && strlen(w[1]) < sizeof(c->text)) {
        c->type = CMD_TEXT;
        strcpy(c->text, w[1]);
        return true;
    }
    if ((strcmp(v, "motion") == 0 || strcmp(v, "move") == 0) && nw == 3) {
        c->type = v[1] == 'o' && v[2] == 't' ? CMD_MOTION : CMD_MOVE;
        c->a = atoi(w[1]);
        c->b = atoi(w[2]);
        return true;
    }
    if (strcmp(v, "button") == 0 && nw == 3 && parse_down(w[1], &c->down)) {
        c->type = CMD_BUTTON;
        c->a = atoi(w[2]);
        return c->a >= 1 && c->a <= 5;
    }
    if (strcmp(v, "wheel") == 0 && nw == 3) {
        c->type = CMD_WHEEL;
        c->x = strtof(w[1], NULL);
        c->y = strtof(w[2], NULL);
        return true;
    }
    if (strcmp(v, "finger") == 0 && nw == 5) {
        c->type = CMD_FINGER;
        c->event = strcmp(w[1], "down") == 0   ? SDL_FINGERDOWN
                   : strcmp(w[1], "move") == 0 ? SDL_FINGERMOTION
                   : strcmp(w[1], "up") == 0   ? SDL_FINGERUP
                                               : 0;
        c->a = atoi(w[2]);
        c->x = strtof(w[3], NULL);
        c->y = strtof(w[4], NULL);
        return c->event != 0 && c->a >= 0 && c->a < MAX_FINGERS;
    }
    if (strcmp(v, "pad") == 0 && nw >= 3) {
        if (strcmp(w[1], "attach") == 0 && nw == 4) {
            c->type = CMD_PAD_ATTACH;
            c->slot = atoi(w[2]);
            c->a = strcmp(w[3], "xbox") == 0       ? 0
                   : strcmp(w[3], "ps") == 0       ? 1
                   : strcmp(w[3], "nintendo") == 0 ? 2
                   : strcmp(w[3], "generic") == 0  ? 3
                                                   : -1;
            return c->slot >= 0 && c->slot < MAX_PADS && c->a >= 0;
        }
        c->slot = atoi(w[1]);
        if (c->slot < 0 || c->slot >= MAX_PADS)
            return false;
        if (strcmp(w[2], "detach") == 0 && nw == 3) {
            c->type = CMD_PAD_DETACH;
            return true;
        }
        if (strcmp(w[2], "button") == 0 && nw == 5 && parse_down(w[4], &c->down)) {
            c->type = CMD_PAD_BUTTON;
            c->a = SDL_GameControllerGetButtonFromString(w[3]);
            return c->a != SDL_CONTROLLER_BUTTON_INVALID;
        }
        if (strcmp(w[2], "axis") == 0 && nw == 5) {
            c->type = CMD_PAD_AXIS;
            c->a = SDL_GameControllerGetAxisFromString(w[3]);
            long val = strtol(w[4], NULL, 10);
            c->b = (int)(val < -32768 ? -32768 : val > 32767 ? 32767 : val);
            return c->a != SDL_CONTROLLER_AXIS_INVALID;
        }
    }
    return false;
}

/* One line's commands, due base_us + the line's time after the clock's start. */
static int parse_line(SkyInputScript *s, char *line, int64_t base_us)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *w[16];
    int nw = 0;
    for (char *save = NULL, *t = strtok_r(line, " \t\r\n", &save); t && nw < 16;
         t = strtok_r(NULL, " \t\r\n", &save))
        w[nw++] = t;
    if (nw == 0)
        return 0;
    char *end;
    double ms = strtod(w[0], &end);
    if (*end || ms < 0 || ms > 1e9)
        return SKY_ERR(EINVAL);
    int count = 1;
    double every_ms = 0;
    int first = 1;
    if (nw >= 4 && strcmp(w[1], "repeat") == 0) {
        count = atoi(w[2]);
        every_ms = strtod(w[3], NULL);
        first = 4;
        if (count < 1 || count > MAX_CMDS || every_ms < 0)
            return SKY_ERR(EINVAL);
    }
    Cmd c;
    memset(&c, 0, sizeof(c));
    if (!parse_cmd(w + first, nw - first, &c))
        return SKY_ERR(EINVAL);
    for (int i = 0; i < count; i++) {
        c.at_us = base_us + (int64_t)((ms + i * every_ms) * 1000);
        int ret = add(s, &c);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int by_time(const void *a, const void *b)
{
    const Cmd *x = a, *y = b; /* equal times keep the file's order */
    if (x->at_us != y->at_us)
        return x->at_us < y->at_us ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static SkyInputScript *alloc_script(uint32_t window_id)
{
    SkyInputScript *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->fd = -1; /* before anything can fail: destroy closes fd >= 0 */
    s->cmds = calloc(MAX_CMDS, sizeof(*s->cmds));
    if (!s->cmds) {
        sky_input_script_destroy(&s);
        return NULL;
    }
    s->window_id = window_id;
    s->read_limit = (SkyLogLimit)SKY_LOG_LIMIT_INIT;
    return s;
}

int sky_input_script_load(SkyInputScript **out, const char *path, uint32_t window_id)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode))
        return sky_input_script_open_live(out, path, window_id); /* it has no end to read to */
    FILE *f = fopen(path, "r");
    if (!f) {
        SKY_LOGE(TAG, "cannot open %s: %s", path, strerror(errno));
        return SKY_ERR(ENOENT);
    }
    SkyInputScript *s = alloc_script(window_id);
    if (!s) {
        fclose(f);
        return SKY_ERR(ENOMEM);
    }
    char line[MAX_LINE];
    int ret = 0;
    for (int no = 1; ret == 0 && fgets(line, sizeof(line), f); no++) {
        ret = parse_line(s, line, 0);
        if (ret < 0)
            SKY_LOGE(TAG, "%s:%d: %s", path, no,
                     ret == SKY_ERR(E2BIG) ? "too many events" : "not a command this script takes");
    }
    fclose(f);
    if (ret < 0) {
        sky_input_script_destroy(&s);
        return ret;
    }
    qsort(s->cmds, s->n, sizeof(*s->cmds), by_time);
    *out = s;
    return 0;
}

int sky_input_script_open_live(SkyInputScript **out, const char *path, uint32_t window_id)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0) {
        SKY_LOGE(TAG, "cannot open %s: %s", path, strerror(errno));
        return SKY_ERR(ENOENT);
    }
    if (!S_ISFIFO(st.st_mode) && !S_ISREG(st.st_mode)) {
        SKY_LOGE(TAG, "%s is neither a FIFO nor a file", path);
        return SKY_ERR(EINVAL);
    }
    /* A FIFO opened for reading alone reads as ended (and polls as hung up, at once and
     * forever) whenever no writer has it open. Holding its write side too means there always
     * is one: no end, no busy loop, and a writer's open() never waits for us. (Linux defines
     * O_RDWR on a FIFO; POSIX leaves it open.) A growing file just reads 0 at its end. */
    int flags = (S_ISFIFO(st.st_mode) ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_CLOEXEC;
    int fd = open(path, flags);
    if (fd < 0) {
        SKY_LOGE(TAG, "cannot open %s: %s", path, strerror(errno));
        return SKY_ERR(ENOENT);
    }
    SkyInputScript *s = alloc_script(window_id);
    char *p = strdup(path);
    if (!s || !p) {
        close(fd);
        free(p);
        sky_input_script_destroy(&s);
        return SKY_ERR(ENOMEM);
    }
    s->fd = fd;
    s->path = p;
    SKY_LOGV(TAG, "%s: live, lines run as they come", path);
    *out = s;
    return 0;
}

void sky_input_script_destroy(SkyInputScript **ps)
{
    SkyInputScript *s = *ps;
    if (!s)
        return;
    for (int i = 0; i < MAX_PADS; i++)
        if (s->pads[i].joy)
            SDL_JoystickClose(s->pads[i].joy);
    if (s->fd >= 0)
        close(s->fd);
    free(s->path);
    free(s->cmds);
    free(s);
    *ps = NULL;
}

/* ---- Virtual pads ---- */

static int SDLCALL on_rumble(void *userdata, Uint16 low, Uint16 high)
{
    SKY_LOGI(TAG, "virtual pad %d rumble low=%u high=%u", (int)(intptr_t)userdata, low, high);
    return 0;
}

static int SDLCALL on_rumble_triggers(void *userdata, Uint16 left, Uint16 right)
{
    SKY_LOGI(TAG, "virtual pad %d trigger rumble left=%u right=%u", (int)(intptr_t)userdata, left,
             right);
    return 0;
}

static int SDLCALL on_led(void *userdata, Uint8 r, Uint8 g, Uint8 b)
{
    SKY_LOGI(TAG, "virtual pad %d led %u %u %u", (int)(intptr_t)userdata, r, g, b);
    return 0;
}

static void attach(SkyInputScript *s, const Cmd *c)
{
    static const struct {
        const char *name;
        uint16_t vendor, product;
    } kinds[] = {
        {"Skylight virtual Xbox 360 pad", 0x045e, 0x028e},
        {"Skylight virtual DualShock 4", 0x054c, 0x05c4},
        {"Skylight virtual Switch Pro pad", 0x057e, 0x2009},
        /* pid.codes' vendor id and one of its product ids for tests: no real pad's */
        {"Skylight virtual generic pad", 0x1209, 0x0001},
    };
    bool generic = c->a == 3;
    if (s->pads[c->slot].joy) {
        SKY_LOGW(TAG, "virtual pad %d is attached already", c->slot);
        return;
    }
    SDL_VirtualJoystickDesc d;
    SDL_zero(d);
    d.version = SDL_VIRTUAL_JOYSTICK_DESC_VERSION;
    /* A generic pad is a plain joystick, which SDL maps only if a mapping names it (SDL
     * gives a virtual game controller a mapping of its own). */
    d.type = generic ? SDL_JOYSTICK_TYPE_UNKNOWN : SDL_JOYSTICK_TYPE_GAMECONTROLLER;
    d.naxes = SDL_CONTROLLER_AXIS_MAX;
    d.nbuttons = SDL_CONTROLLER_BUTTON_MAX;
    d.vendor_id = kinds[c->a].vendor;
    d.product_id = kinds[c->a].product;
    d.name = kinds[c->a].name;
    d.userdata = (void *)(intptr_t)c->slot;
    d.Rumble = on_rumble;
    d.RumbleTriggers = on_rumble_triggers;
    d.SetLED = on_led;
    int index = SDL_JoystickAttachVirtualEx(&d);
    char guid[64] = "";
    if (index >= 0)
        SDL_JoystickGetGUIDString(SDL_JoystickGetDeviceGUID(index), guid, sizeof(guid));
    if (index >= 0 && !generic) {
        /* SDL's controller database knows these vendor and product ids as real pads with
         * other button and axis numbers; the script's pad numbers them as SDL names them. */
        char mapping[512];
        snprintf(mapping, sizeof(mapping),
                 "%s,%s,a:b0,b:b1,x:b2,y:b3,back:b4,guide:b5,start:b6,leftstick:b7,"
                 "rightstick:b8,leftshoulder:b9,rightshoulder:b10,dpup:b11,dpdown:b12,"
                 "dpleft:b13,dpright:b14,misc1:b15,paddle1:b16,paddle2:b17,paddle3:b18,"
                 "paddle4:b19,touchpad:b20,leftx:a0,lefty:a1,rightx:a2,righty:a3,"
                 "lefttrigger:a4,righttrigger:a5,",
                 guid, kinds[c->a].name);
        if (SDL_GameControllerAddMapping(mapping) < 0)
            SKY_LOGW(TAG, "virtual pad %d: no mapping: %s", c->slot, SDL_GetError());
    }
    SDL_Joystick *joy = index >= 0 ? SDL_JoystickOpen(index) : NULL;
    if (!joy) {
        SKY_LOGE(TAG, "cannot attach virtual pad %d: %s", c->slot, SDL_GetError());
        return;
    }
    s->pads[c->slot].joy = joy;
    /* Triggers at rest (the raw axis spans -32768..32767; SDL reports 0..32767). */
    SDL_JoystickSetVirtualAxis(joy, SDL_CONTROLLER_AXIS_TRIGGERLEFT, -32768);
    SDL_JoystickSetVirtualAxis(joy, SDL_CONTROLLER_AXIS_TRIGGERRIGHT, -32768);
    SKY_LOGV(TAG, "virtual pad %d attached (%s, GUID %s)", c->slot, kinds[c->a].name, guid);
}

static void detach(SkyInputScript *s, int slot)
{
    SDL_Joystick *joy = s->pads[slot].joy;
    if (!joy)
        return;
    SDL_JoystickID id = SDL_JoystickInstanceID(joy);
    SDL_JoystickClose(joy);
    s->pads[slot].joy = NULL;
    for (int i = 0; i < SDL_NumJoysticks(); i++)
        if (SDL_JoystickGetDeviceInstanceID(i) == id) {
            SDL_JoystickDetachVirtual(i);
            break;
        }
}

/* ---- Posting ---- */

static uint16_t mod_of(SDL_Scancode sc)
{
    switch (sc) {
    case SDL_SCANCODE_LSHIFT:
        return KMOD_LSHIFT;
    case SDL_SCANCODE_RSHIFT:
        return KMOD_RSHIFT;
    case SDL_SCANCODE_LCTRL:
        return KMOD_LCTRL;
    case SDL_SCANCODE_RCTRL:
        return KMOD_RCTRL;
    case SDL_SCANCODE_LALT:
        return KMOD_LALT;
    case SDL_SCANCODE_RALT:
        return KMOD_RALT;
    case SDL_SCANCODE_LGUI:
        return KMOD_LGUI;
    case SDL_SCANCODE_RGUI:
        return KMOD_RGUI;
    default:
        return 0;
    }
}

static void run(SkyInputScript *s, const Cmd *c)
{
    SDL_Event ev;
    SDL_zero(ev);
    switch (c->type) {
    case CMD_KEY: {
        uint16_t m = mod_of((SDL_Scancode)c->a);
        s->mods = c->down ? (uint16_t)(s->mods | m) : (uint16_t)(s->mods & ~m);
        ev.type = c->down ? SDL_KEYDOWN : SDL_KEYUP;
        ev.key.windowID = s->window_id;
        ev.key.state = c->down ? SDL_PRESSED : SDL_RELEASED;
        ev.key.keysym.scancode = (SDL_Scancode)c->a;
        ev.key.keysym.sym = SDL_GetKeyFromScancode((SDL_Scancode)c->a);
        ev.key.keysym.mod = s->mods;
        break;
    }
    case CMD_TEXT:
        ev.type = SDL_TEXTINPUT;
        ev.text.windowID = s->window_id;
        memcpy(ev.text.text, c->text, sizeof(ev.text.text));
        break;
    case CMD_MOTION:
    case CMD_MOVE:
        ev.type = SDL_MOUSEMOTION;
        ev.motion.windowID = s->window_id;
        ev.motion.xrel = c->type == CMD_MOTION ? c->a : c->a - s->mouse_x;
        ev.motion.yrel = c->type == CMD_MOTION ? c->b : c->b - s->mouse_y;
        s->mouse_x = c->type == CMD_MOTION ? s->mouse_x + c->a : c->a;
        s->mouse_y = c->type == CMD_MOTION ? s->mouse_y + c->b : c->b;
        ev.motion.x = s->mouse_x;
        ev.motion.y = s->mouse_y;
        break;
    case CMD_BUTTON:
        ev.type = c->down ? SDL_MOUSEBUTTONDOWN : SDL_MOUSEBUTTONUP;
        ev.button.windowID = s->window_id;
        ev.button.button = (Uint8)c->a;
        ev.button.state = c->down ? SDL_PRESSED : SDL_RELEASED;
        ev.button.clicks = 1;
        ev.button.x = s->mouse_x;
        ev.button.y = s->mouse_y;
        break;
    case CMD_WHEEL:
        ev.type = SDL_MOUSEWHEEL;
        ev.wheel.windowID = s->window_id;
        ev.wheel.preciseX = c->x;
        ev.wheel.preciseY = c->y;
        ev.wheel.x = (Sint32)c->x;
        ev.wheel.y = (Sint32)c->y;
        ev.wheel.direction = SDL_MOUSEWHEEL_NORMAL;
        break;
    case CMD_FINGER:
        ev.type = c->event;
        ev.tfinger.touchId = 1;
        ev.tfinger.fingerId = c->a;
        ev.tfinger.x = c->x;
        ev.tfinger.y = c->y;
        if (c->event != SDL_FINGERDOWN) {
            ev.tfinger.dx = c->x - s->finger_x[c->a];
            ev.tfinger.dy = c->y - s->finger_y[c->a];
        }
        s->finger_x[c->a] = c->x;
        s->finger_y[c->a] = c->y;
        ev.tfinger.pressure = c->event == SDL_FINGERUP ? 0.0f : 1.0f;
        ev.tfinger.windowID = s->window_id;
        break;
    case CMD_PAD_ATTACH:
        attach(s, c);
        return;
    case CMD_PAD_DETACH:
        detach(s, c->slot);
        return;
    case CMD_PAD_BUTTON:
        if (s->pads[c->slot].joy) {
            SDL_JoystickSetVirtualButton(s->pads[c->slot].joy, c->a, c->down ? 1 : 0);
            SDL_JoystickUpdate(); /* its event now: changes due together keep the script's order */
        }
        return;
    case CMD_PAD_AXIS: {
        int v = c->b;
        if (c->a == SDL_CONTROLLER_AXIS_TRIGGERLEFT || c->a == SDL_CONTROLLER_AXIS_TRIGGERRIGHT)
            v = v <= 0 ? -32768 : v * 2 - 32767; /* 0..32767 as SDL reports triggers */
        if (s->pads[c->slot].joy) {
            SDL_JoystickSetVirtualAxis(s->pads[c->slot].joy, c->a, (Sint16)v);
            SDL_JoystickUpdate();
        }
        return;
    }
    }
    if (SDL_PushEvent(&ev) < 0)
        SKY_LOGW(TAG, "cannot post an event: %s", SDL_GetError());
}

/* ---- Live scripts ---- */

/* One complete line read from a live script, due from now_us on. A bad one is skipped. */
static void live_line(SkyInputScript *s, char *line, int64_t now_us)
{
    /* What is still to come moves to the front: a live script never runs out of room while
     * it keeps up. */
    if (s->next > 0) {
        memmove(s->cmds, s->cmds + s->next, (s->n - s->next) * sizeof(*s->cmds));
        s->n -= s->next;
        s->next = 0;
    }
    char shown[MAX_LINE]; /* the line as written, for the error (parse_line cuts it up) */
    snprintf(shown, sizeof(shown), "%s", line);
    size_t n_before = s->n;
    int ret = parse_line(s, line, now_us - s->start_us);
    if (ret < 0) {
        s->n = n_before; /* a repeat cut short adds nothing */
        SKY_LOGE(TAG, "%s:%d: %s, skipped: %s", s->path, s->line_no,
                 ret == SKY_ERR(E2BIG) ? "too many events waiting"
                                       : "not a command this script takes",
                 shown);
        return;
    }
    qsort(s->cmds, s->n, sizeof(*s->cmds), by_time); /* among those waiting */
}

/* Whatever the writer has written so far; complete lines are parsed, the rest waits. */
static void read_live(SkyInputScript *s, int64_t now_us)
{
    char chunk[4096];
    for (int reads = 0; reads < MAX_READS; reads++) {
        ssize_t got = read(s->fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue; /* counted: a storm of signals does not hold the main thread either */
        if (got <= 0) { /* EAGAIN: nothing yet; 0: a file's end, for now */
            if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                sky_log_limited(&s->read_limit, now_us, SKY_LOG_WARN, TAG, "%s: %s", s->path,
                                strerror(errno));
            return;
        }
        for (ssize_t i = 0; i < got; i++) {
            if (chunk[i] != '\n') {
                if (s->line_len < sizeof(s->line) - 1)
                    s->line[s->line_len++] = chunk[i];
                else
                    s->line_too_long = true;
                continue;
            }
            s->line_no++;
            s->line[s->line_len] = '\0';
            if (s->line_too_long)
                SKY_LOGE(TAG, "%s:%d: longer than %d bytes, skipped", s->path, s->line_no,
                         MAX_LINE - 1);
            else
                live_line(s, s->line, now_us);
            s->line_len = 0;
            s->line_too_long = false;
        }
    }
}

bool sky_input_script_step(SkyInputScript *s, int64_t now_us)
{
    if (s->start_us == 0)
        s->start_us = now_us;
    if (s->fd >= 0)
        read_live(s, now_us);
    while (s->next < s->n && s->start_us + s->cmds[s->next].at_us <= now_us)
        run(s, &s->cmds[s->next++]);
    return s->fd < 0 && s->next == s->n;
}

int64_t sky_input_script_deadline(const SkyInputScript *s)
{
    if (s->next == s->n)
        return INT64_MAX;
    if (s->start_us == 0)
        return 0; /* the first step starts the clock */
    return s->start_us + s->cmds[s->next].at_us;
}

int sky_input_script_fd(const SkyInputScript *s)
{
    return s->fd;
}
