/* The launcher (launcher.h): its model (hosts, apps, pairing, settings, a modal sheet), the
 * main thread's loop, and the screens drawn on a canvas that the renderer shows over the
 * window. Host requests run on the worker threads (worker.h); the main thread never waits for
 * the network, except while a stream starts (the stream's own stages, as `skylight stream`).
 *
 * Idle: the loop sleeps until an event, a worker result, a held direction's repeat, a host's
 * next check (every POLL_US) or discovery's next look (DISCOVERY_US); the screen is drawn only
 * when something on it changed.
 *
 * Threads: everything here is the main thread's (docs/threading.md). */
#define _POSIX_C_SOURCE 200809L
#include "client/ui/launcher.h"

#include <ctype.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>

#include "client/fsutil.h"
#include "client/host/discovery.h"
#include "client/host/host_cmds.h"
#include "client/host/host_client.h"
#include "client/host/hosts.h"
#include "client/host/http.h"
#include "client/host/identity.h"
#include "client/input/input.h"
#include "client/input/input_script.h"
#include "client/input/pads.h"
#include "client/render/render.h"
#include "client/stream.h"
#include "client/ui/canvas.h"
#include "client/ui/nav_input.h"
#include "client/ui/settings.h"
#include "client/ui/worker.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/time.h"
#include "common/ui/nav.h"

#define TAG "ui"

#define MAX_HOSTS 64                   /* hosts listed; more discovered are ignored */
#define POLL_US 5000000                /* how often each host is asked how it is */
#define POLL_TIMEOUT_MS 3000           /* and how long it may take to answer (at most
                                        * --timeout): a host on the network answers in
                                        * milliseconds, and hosts that went away must not hold
                                        * the workers for long */
#define DISCOVERY_US 250000            /* how often discovery's table is looked at */
#define PAD_POLL_MS 10                 /* the loop's sleep while pads are open (see wait_event) */
#define PIN_TIMEOUT_MS 120000
#define MAX_HITS 256
#define SHEET_ITEMS 8
#define STATE_FILE "launcher.state"

/* Colours (0xRRGGBBAA). */
#define C_BG 0x12161cffu
#define C_PANEL 0x1f2630ffu
#define C_PANEL_FOCUS 0x2d3d50ffu
#define C_ACCENT 0x4fc3f7ffu
#define C_TEXT 0xeceff4ffu
#define C_DIM 0x98a2b3ffu
#define C_GOOD 0x66bb6affu
#define C_BAD 0xef5350ffu
#define C_WARN 0xffca28ffu
#define C_SHADE 0x000000b0u

typedef struct UiOpts {
    SkyRenderOpts render;
    SkyHostClientOpts host;
    SkyInputOpts input;
    SkyDiscoveryOpts discovery;
} UiOpts;

static const SkyOptGroup ui_groups[] = {
    {"Window", sky_render_opts_table, offsetof(UiOpts, render)},
    {"Host", sky_host_client_opts_table, offsetof(UiOpts, host)},
    {"Input", sky_input_opts_table, offsetof(UiOpts, input)},
    {"Discovery", sky_discovery_opts_table, offsetof(UiOpts, discovery)},
    SKY_OPT_GROUP_END,
};

typedef enum Screen { SCREEN_HOSTS, SCREEN_ADD, SCREEN_PAIR, SCREEN_APPS, SCREEN_SETTINGS } Screen;

static const char *const screen_names[] = {"hosts", "add", "pair", "apps", "settings"};

typedef enum HostState { HOST_CHECKING, HOST_ONLINE, HOST_OFFLINE } HostState;

typedef struct UiHost {
    char name[128];
    char uniqueid[SKY_HOSTAPI_UNIQUEID_MAX + 1];
    char address[320];         /* the last address it answered at, or as typed */
    char mdns_name[SKY_MDNS_LABEL_MAX];
    char mdns_address[320];    /* where discovery saw it ("" if it did not) */
    char mac[18];
    bool known;                /* a known-host file exists */
    bool paired;
    HostState state;
    bool busy;
    uint32_t current_game;
    bool polling;
    uint64_t poll_tag;
    int64_t next_poll_us;
    char error[512];
} UiHost;

typedef struct UiApp {
    uint32_t id;
    char title[256];
    SDL_Surface *art;          /* NULL: the neutral tile */
    bool art_none;             /* the host has none, or a broken one: not asked again while
                                * this host's apps are shown (boxart.h) */
} UiApp;

typedef enum PairState { PAIR_WAITING, PAIR_FAILED } PairState;

/* What a sheet item does. */
typedef enum Act {
    ACT_NONE,
    ACT_OPEN,            /* the host's apps */
    ACT_PAIR,
    ACT_WAKE,
    ACT_FORGET,
    ACT_HOST_SETTINGS,
    ACT_SETTINGS,
    ACT_QUIT,            /* the launcher */
    ACT_PLAY,            /* the focused app */
    ACT_QUIT_APP,
    ACT_QUIT_AND_PLAY,
    ACT_CLOSE,
} Act;

typedef struct Sheet {
    bool open;
    char title[640];
    size_t n;
    char labels[SHEET_ITEMS][64];
    Act acts[SHEET_ITEMS];
    int focus;
} Sheet;

typedef enum HitKind { HIT_ITEM, HIT_SHEET, HIT_ACTION } HitKind;

typedef struct Hit {
    SDL_Rect r;
    HitKind kind;
    int index;
} Hit;

typedef struct Launcher {
    UiOpts opts;
    SkyCli *cli;
    int argc;
    char **argv;
    char config_dir[4096];
    char cache_dir[4096];
    char config_path[4096];

    SkyIdentity *id;
    SkyWorker *worker;
    SkyDiscovery *disc;
    int64_t next_discovery_us;
    uint32_t wake_event;
    SkyRender *render;
    SkyCanvas *canvas;
    SkyUiNavInput nav;
    SkyInputScript *script;
    bool ttf_started, img_started, http_started, pads_started;
    SDL_GameController *pads[SKY_UI_NAV_PADS];
    uint64_t next_tag;
    bool quit;
    bool dirty;

    Screen screen;
    Sheet sheet;
    char banner[512];
    bool banner_error;
    char last_host[SKY_HOSTAPI_UNIQUEID_MAX + 1];

    UiHost hosts[MAX_HOSTS];
    size_t n_hosts;
    int host_focus;            /* over hosts, then "Add a host", then "Settings" */
    int host_scroll;

    int app_host;              /* index into hosts */
    UiApp *apps;
    size_t n_apps;
    bool apps_loading;
    uint64_t apps_tag;
    char apps_error[512];
    int app_focus;
    int app_scroll;
    uint32_t play_after_quit;  /* launch this app once the running one has quit */
    uint64_t launch_tag;       /* the host is being asked before launch_app starts (0: not) */
    uint32_t launch_app;
    uint64_t quit_tag;

    int pair_host;
    char pin[8];
    PairState pair_state;
    uint64_t pair_tag;
    char pair_msg[800];

    char add_text[256];
    int key_focus;

    int settings_host;         /* -1: global only */
    Screen settings_from;      /* where B goes back to */
    bool settings_host_scope;
    SkySettingValue values[32];
    int settings_focus;
    int settings_scroll;
    char settings_msg[800];

    Hit hits[MAX_HITS];
    size_t n_hits;
} Launcher;

static volatile sig_atomic_t g_quit;

static void on_signal(int sig)
{
    (void)sig;
    g_quit = 1;
    sky_stream_cancel(); /* a stream that runs ends first, then the launcher */
}

/* ---- small things ---- */

static UiHost *focused_host(Launcher *l)
{
    return l->host_focus >= 0 && (size_t)l->host_focus < l->n_hosts ? &l->hosts[l->host_focus]
                                                                     : NULL;
}

/* What a worker job names the host by: a known host by its unique id (its pinned certificate
 * and last address come with it), unless discovery has a fresher address; else the address. */
static const char *job_host(const UiHost *h)
{
    if (h->mdns_address[0])
        return h->mdns_address;
    if (h->known)
        return h->uniqueid;
    return h->address;
}

static const char *host_label(const UiHost *h)
{
    return h->name[0] ? h->name : h->mdns_name[0] ? h->mdns_name : h->address;
}

static void set_screen(Launcher *l, Screen s)
{
    l->screen = s;
    /* Typed text only where an address is typed (an input method or on-screen keyboard opens
     * for it); a stream's input starts it again for the host. */
    if (s == SCREEN_ADD)
        SDL_StartTextInput();
    else
        SDL_StopTextInput();
    l->sheet.open = false;
    sky_ui_nav_input_release_all(&l->nav);
    l->dirty = true;
    SKY_LOGV(TAG, "screen %s", screen_names[s]);
}

static void set_banner(Launcher *l, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_banner(Launcher *l, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->banner, sizeof(l->banner), fmt, ap);
    va_end(ap);
    l->banner_error = error;
    l->dirty = true;
    if (error)
        SKY_LOGW(TAG, "%s", l->banner);
    else
        SKY_LOGI(TAG, "%s", l->banner);
}

static void free_apps(Launcher *l)
{
    for (size_t i = 0; i < l->n_apps; i++)
        if (l->apps[i].art)
            SDL_FreeSurface(l->apps[i].art);
    free(l->apps);
    l->apps = NULL;
    l->n_apps = 0;
}

/* The last host streamed from, remembered across runs (a "key = value" file, written
 * atomically). */
static void load_state(Launcher *l)
{
    char path[4200], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/%s", l->config_dir, STATE_FILE);
    if (sky_read_file(path, 4096, &text, &len) < 0)
        return;
    const char *p = strstr(text, "last_host = ");
    if (p) {
        p += strlen("last_host = ");
        size_t n = strcspn(p, "\r\n");
        if (n < sizeof(l->last_host)) {
            memcpy(l->last_host, p, n);
            l->last_host[n] = '\0';
        }
        if (!sky_hosts_uniqueid_ok(l->last_host))
            l->last_host[0] = '\0';
    }
    free(text);
}

static void save_state(Launcher *l, const char *uniqueid)
{
    if (!sky_hosts_uniqueid_ok(uniqueid) || strcmp(uniqueid, l->last_host) == 0)
        return;
    snprintf(l->last_host, sizeof(l->last_host), "%s", uniqueid);
    char path[4200], text[128];
    snprintf(path, sizeof(path), "%s/%s", l->config_dir, STATE_FILE);
    int n = snprintf(text, sizeof(text), "last_host = %s\n", uniqueid);
    int ret = sky_write_file_atomic(path, text, (size_t)n, 0644);
    if (ret < 0)
        SKY_LOGW(TAG, "cannot write %s: %s", path, sky_strerror(ret));
}

/* ---- hosts ---- */

static int find_host_by_id(const Launcher *l, const char *uniqueid)
{
    for (size_t i = 0; uniqueid[0] && i < l->n_hosts; i++)
        if (strcmp(l->hosts[i].uniqueid, uniqueid) == 0)
            return (int)i;
    return -1;
}

static void remove_host(Launcher *l, size_t i)
{
    if (l->hosts[i].polling)
        sky_worker_cancel(l->worker, l->hosts[i].poll_tag);
    memmove(&l->hosts[i], &l->hosts[i + 1], (l->n_hosts - i - 1) * sizeof(l->hosts[0]));
    l->n_hosts--;
    if (l->host_focus > (int)i)
        l->host_focus--;
    if (l->app_host > (int)i)
        l->app_host--;
    else if (l->app_host == (int)i)
        l->app_host = -1;
    if (l->pair_host == (int)i)
        l->pair_host = -1;
    else if (l->pair_host > (int)i)
        l->pair_host--;
    if (l->settings_host == (int)i) {
        l->settings_host = -1;
        l->settings_host_scope = false;
    }
    else if (l->settings_host > (int)i)
        l->settings_host--;
    l->dirty = true;
}

static UiHost *add_host(Launcher *l)
{
    if (l->n_hosts == MAX_HOSTS)
        return NULL;
    UiHost *h = &l->hosts[l->n_hosts++];
    memset(h, 0, sizeof(*h));
    h->state = HOST_CHECKING;
    l->dirty = true;
    return h;
}

/* The known hosts from disk, merged into the list (their files are the truth for names,
 * pairing and MACs). */
static void load_known(Launcher *l)
{
    SkyKnownHost *known = NULL;
    size_t n = 0;
    if (sky_hosts_load(l->config_dir, &known, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        int at = find_host_by_id(l, known[i].uniqueid);
        UiHost *h = at >= 0 ? &l->hosts[at] : add_host(l);
        if (!h)
            break;
        snprintf(h->uniqueid, sizeof(h->uniqueid), "%s", known[i].uniqueid);
        if (known[i].name[0])
            snprintf(h->name, sizeof(h->name), "%s", known[i].name);
        if (!h->address[0])
            snprintf(h->address, sizeof(h->address), "%s", known[i].address);
        snprintf(h->mac, sizeof(h->mac), "%s", known[i].mac);
        h->known = true;
        if (at < 0)
            h->paired = known[i].paired;
    }
    sky_hosts_free(known, n);
    l->dirty = true;
}

static void poll_host(Launcher *l, UiHost *h, int64_t now_us)
{
    if (h->polling || !l->worker)
        return;
    int64_t timeout_ms = (int64_t)(l->opts.host.timeout_s * 1000);
    SkyJob job = {.kind = SKY_JOB_POLL,
                  .tag = ++l->next_tag,
                  .timeout_ms = timeout_ms < POLL_TIMEOUT_MS ? timeout_ms : POLL_TIMEOUT_MS};
    snprintf(job.host, sizeof(job.host), "%s", job_host(h));
    if (sky_worker_submit(l->worker, &job) < 0) {
        h->next_poll_us = now_us + POLL_US;
        return;
    }
    h->polling = true;
    h->poll_tag = job.tag;
}

static UiHost *host_by_poll_tag(Launcher *l, uint64_t tag)
{
    for (size_t i = 0; i < l->n_hosts; i++)
        if (l->hosts[i].polling && l->hosts[i].poll_tag == tag)
            return &l->hosts[i];
    return NULL;
}

/* A host answered: take what it said; a discovered or typed host that turns out to be one
 * already listed merges into it. */
static void host_answered(Launcher *l, UiHost *h, const SkyJobResult *r)
{
    bool was_online = h->state == HOST_ONLINE;
    h->state = HOST_ONLINE;
    h->busy = r->info.busy;
    h->current_game = r->info.current_game;
    h->paired = r->paired;
    h->error[0] = '\0';
    snprintf(h->address, sizeof(h->address), "%s", r->address);
    if (r->info.hostname[0])
        snprintf(h->name, sizeof(h->name), "%s", r->info.hostname);
    if (r->info.mac[0])
        snprintf(h->mac, sizeof(h->mac), "%s", r->info.mac);
    if (!h->uniqueid[0] && sky_hosts_uniqueid_ok(r->info.uniqueid)) {
        int other = find_host_by_id(l, r->info.uniqueid);
        if (other >= 0 && &l->hosts[other] != h) {
            UiHost *o = &l->hosts[other];
            if (h->mdns_name[0]) {
                snprintf(o->mdns_name, sizeof(o->mdns_name), "%s", h->mdns_name);
                snprintf(o->mdns_address, sizeof(o->mdns_address), "%s", h->mdns_address);
            }
            bool focused = l->host_focus == (int)(h - l->hosts);
            size_t oi = (size_t)other;
            remove_host(l, (size_t)(h - l->hosts));
            if (focused)
                l->host_focus = (int)(oi < l->n_hosts ? oi : 0);
            return;
        }
        snprintf(h->uniqueid, sizeof(h->uniqueid), "%s", r->info.uniqueid);
    }
    if (!was_online)
        SKY_LOGV(TAG, "host %s is online (%s, %s)", host_label(h), h->address,
                 h->paired ? "paired" : "not paired");
}

/* ---- discovery ---- */

static void discovery_address(const SkyMdnsHost *m, char *out, size_t cap)
{
    out[0] = '\0';
    /* IPv4 first: streaming needs it (Debian's ENet speaks IPv4 only). */
    for (int pass = 0; pass < 2 && !out[0]; pass++)
        for (size_t i = 0; i < m->n_addrs && !out[0]; i++) {
            const SkyMdnsAddr *a = &m->addrs[i];
            if ((pass == 0) != (a->family == 4))
                continue;
            char text[96];
            sky_discovery_addr_text(a, text, sizeof(text));
            snprintf(out, cap, a->family == 6 ? "[%s]:%u" : "%s:%u", text, (unsigned)m->port);
        }
}

static void discovery_events(Launcher *l, int64_t now_us)
{
    if (!l->disc || now_us < l->next_discovery_us)
        return;
    l->next_discovery_us = now_us + DISCOVERY_US;
    struct pollfd pfd = {sky_discovery_fd(l->disc), POLLIN, 0};
    if (poll(&pfd, 1, 0) <= 0)
        return;
    SkyDiscoveryEvent ev;
    while (sky_discovery_next(l->disc, &ev) == 1) {
        int at = -1;
        for (size_t i = 0; i < l->n_hosts && at < 0; i++)
            if (strcmp(l->hosts[i].mdns_name, ev.host.name) == 0)
                at = (int)i;
        if (ev.change == SKY_DISCOVERY_GONE) {
            if (at >= 0 && !l->hosts[at].known) {
                remove_host(l, (size_t)at);
            } else if (at >= 0) {
                l->hosts[at].mdns_name[0] = '\0';
                l->hosts[at].mdns_address[0] = '\0';
            }
            continue;
        }
        char addr[320];
        discovery_address(&ev.host, addr, sizeof(addr));
        if (!addr[0])
            continue;
        UiHost *h = at >= 0 ? &l->hosts[at] : add_host(l);
        if (!h)
            continue;
        snprintf(h->mdns_name, sizeof(h->mdns_name), "%s", ev.host.name);
        if (strcmp(h->mdns_address, addr) != 0) {
            snprintf(h->mdns_address, sizeof(h->mdns_address), "%s", addr);
            if (!h->known)
                snprintf(h->address, sizeof(h->address), "%s", addr);
            h->next_poll_us = 0; /* ask it now */
        }
        l->dirty = true;
    }
}

/* ---- worker results ---- */

static void load_apps(Launcher *l)
{
    UiHost *h = l->app_host >= 0 ? &l->hosts[l->app_host] : NULL;
    if (!h)
        return;
    SkyJob job = {.kind = SKY_JOB_APPS, .tag = ++l->next_tag, .urgent = true};
    snprintf(job.host, sizeof(job.host), "%s", job_host(h));
    if (sky_worker_submit(l->worker, &job) == 0) {
        l->apps_loading = true;
        l->apps_tag = job.tag;
        l->apps_error[0] = '\0';
    }
    l->dirty = true;
}

static void open_apps(Launcher *l, int host)
{
    if (l->app_host != host) {
        free_apps(l);
        l->app_focus = 0;
        l->app_scroll = 0;
    }
    l->app_host = host;
    set_screen(l, SCREEN_APPS);
    load_apps(l);
}

/* The apps came: keep the art already shown, fetch the rest, focus the running app (else
 * what had focus, else the first). */
static void apps_arrived(Launcher *l, SkyJobResult *r)
{
    UiHost *h = &l->hosts[l->app_host];
    uint32_t focused = l->app_focus >= 0 && (size_t)l->app_focus < l->n_apps
                           ? l->apps[l->app_focus].id
                           : 0;
    bool had = l->n_apps > 0;
    UiApp *apps = r->apps.count ? calloc(r->apps.count, sizeof(*apps)) : NULL;
    if (r->apps.count && !apps)
        return;
    for (size_t i = 0; i < r->apps.count; i++) {
        apps[i].id = r->apps.apps[i].id;
        snprintf(apps[i].title, sizeof(apps[i].title), "%s", r->apps.apps[i].title);
        for (size_t k = 0; k < l->n_apps; k++)
            if (l->apps[k].id == apps[i].id) {
                apps[i].art = l->apps[k].art;
                apps[i].art_none = l->apps[k].art_none;
                l->apps[k].art = NULL;
            }
    }
    free_apps(l);
    l->apps = apps;
    l->n_apps = r->apps.count;
    uint32_t want = h->busy ? h->current_game : had ? focused : 0;
    l->app_focus = 0;
    for (size_t i = 0; i < l->n_apps; i++)
        if (l->apps[i].id == want)
            l->app_focus = (int)i;
    /* Box art for the apps without, in jobs of SKY_WORKER_ART_MAX. */
    SkyJob job = {.kind = SKY_JOB_ART, .tag = l->apps_tag};
    snprintf(job.host, sizeof(job.host), "%s", job_host(h));
    for (size_t i = 0; i < l->n_apps; i++) {
        if (l->apps[i].art || l->apps[i].art_none)
            continue;
        job.appids[job.n_appids++] = l->apps[i].id;
        if (job.n_appids == SKY_WORKER_ART_MAX) {
            sky_worker_submit(l->worker, &job);
            job.n_appids = 0;
        }
    }
    if (job.n_appids)
        sky_worker_submit(l->worker, &job);
    SKY_LOGV(TAG, "%zu apps on %s, focus '%s'", l->n_apps, host_label(h),
             l->n_apps ? l->apps[l->app_focus].title : "");
}

static void start_stream(Launcher *l, const UiApp *app);
static void launch_checked(Launcher *l, const SkyJobResult *r);

static void pair_result(Launcher *l, const SkyJobResult *r)
{
    if (r->tag != l->pair_tag || l->screen != SCREEN_PAIR || l->pair_host < 0)
        return;
    UiHost *h = &l->hosts[l->pair_host];
    if (r->ret == 0) {
        SKY_LOGI(TAG, "paired with %s", host_label(h));
        host_answered(l, h, r);
        load_known(l);
        int idx = find_host_by_id(l, r->info.uniqueid);
        open_apps(l, idx >= 0 ? idx : l->pair_host);
        return;
    }
    l->pair_state = PAIR_FAILED;
    const char *name = host_label(h);
    if (r->ret == SKY_ERR(EACCES))
        snprintf(l->pair_msg, sizeof(l->pair_msg), "The PIN entered on %s was wrong.", name);
    else if (r->ret == SKY_ERR(EBUSY))
        snprintf(l->pair_msg, sizeof(l->pair_msg),
                 "%s is busy pairing with another device. Try again in a moment.", name);
    else if (r->ret == SKY_ERR(ETIMEDOUT))
        snprintf(l->pair_msg, sizeof(l->pair_msg), "Nobody entered the PIN in time (%s).",
                 r->err);
    else
        snprintf(l->pair_msg, sizeof(l->pair_msg), "Pairing failed: %s", r->err);
    SKY_LOGW(TAG, "pairing with %s failed: %s", name, r->err);
    l->dirty = true;
}

static void take_results(Launcher *l, int64_t now_us)
{
    SkyJobResult r;
    while (l->worker && sky_worker_take(l->worker, &r)) {
        switch (r.kind) {
        case SKY_JOB_POLL: {
            if (r.tag == l->launch_tag) {
                launch_checked(l, &r);
                break;
            }
            UiHost *h = host_by_poll_tag(l, r.tag);
            if (!h)
                break;
            h->polling = false;
            h->next_poll_us = now_us + POLL_US;
            HostState before = h->state;
            bool busy = h->busy, paired = h->paired;
            if (r.ret == 0) {
                host_answered(l, h, &r);
            } else {
                h->state = HOST_OFFLINE;
                snprintf(h->error, sizeof(h->error), "%s", r.err);
                if (before != HOST_OFFLINE)
                    SKY_LOGV(TAG, "host %s is offline: %s", host_label(h), r.err);
            }
            l->dirty |= before != h->state || busy != h->busy || paired != h->paired;
            break;
        }
        case SKY_JOB_APPS:
            if (r.tag != l->apps_tag || l->app_host < 0)
                break;
            l->apps_loading = false;
            if (r.ret == 0) {
                host_answered(l, &l->hosts[l->app_host], &r);
                if (l->app_host >= 0)
                    apps_arrived(l, &r);
            } else {
                snprintf(l->apps_error, sizeof(l->apps_error), "%s", r.err);
                SKY_LOGW(TAG, "cannot list the apps of %s: %s",
                         host_label(&l->hosts[l->app_host]), r.err);
            }
            l->dirty = true;
            break;
        case SKY_JOB_ART:
            if (r.tag != l->apps_tag)
                break;
            for (size_t i = 0; i < l->n_apps; i++) {
                if (l->apps[i].id != r.appid || l->apps[i].art)
                    continue;
                if (r.art) {
                    l->apps[i].art = r.art;
                    r.art = NULL;
                    l->dirty = true;
                } else if (r.ret == SKY_ERR(ENOENT) || r.ret == SKY_ERR(EBADMSG)) {
                    l->apps[i].art_none = true; /* not the network's fault: do not ask again */
                }
            }
            if (r.ret < 0 && r.ret != SKY_ERR(ENOENT))
                SKY_LOGV(TAG, "no box art for app %u: %s", r.appid, r.err);
            break;
        case SKY_JOB_PAIR:
            pair_result(l, &r);
            break;
        case SKY_JOB_QUIT_APP:
            if (r.tag != l->quit_tag)
                break;
            if (r.ret < 0) {
                set_banner(l, true, "Could not quit the app: %s", r.err);
                l->play_after_quit = 0;
            } else {
                if (l->app_host >= 0) {
                    l->hosts[l->app_host].busy = false;
                    l->hosts[l->app_host].current_game = 0;
                }
                set_banner(l, false, "The app was quit.");
                uint32_t play = l->play_after_quit;
                l->play_after_quit = 0;
                for (size_t i = 0; play && i < l->n_apps; i++)
                    if (l->apps[i].id == play)
                        start_stream(l, &l->apps[i]);
            }
            if (l->screen == SCREEN_APPS && !l->quit)
                load_apps(l);
            break;
        }
        sky_job_result_clear(&r);
    }
}

/* ---- actions ---- */

static void open_sheet(Launcher *l, const char *title)
{
    memset(&l->sheet, 0, sizeof(l->sheet));
    l->sheet.open = true;
    snprintf(l->sheet.title, sizeof(l->sheet.title), "%s", title);
    l->dirty = true;
}

static void sheet_add(Launcher *l, const char *label, Act act)
{
    Sheet *s = &l->sheet;
    if (s->n == SHEET_ITEMS)
        return;
    snprintf(s->labels[s->n], sizeof(s->labels[0]), "%s", label);
    s->acts[s->n++] = act;
}

static void start_pairing(Launcher *l, int host)
{
    uint8_t rnd[4];
    if (sky_random_bytes(rnd, sizeof(rnd)) < 0)
        return;
    snprintf(l->pin, sizeof(l->pin), "%u%u%u%u", rnd[0] % 10, rnd[1] % 10, rnd[2] % 10,
             rnd[3] % 10);
    UiHost *h = &l->hosts[host];
    SkyJob job = {.kind = SKY_JOB_PAIR,
                  .tag = ++l->next_tag,
                  .pin_timeout_ms = PIN_TIMEOUT_MS,
                  .urgent = true};
    snprintf(job.host, sizeof(job.host), "%s", job_host(h));
    snprintf(job.pin, sizeof(job.pin), "%s", l->pin);
    if (sky_worker_submit(l->worker, &job) < 0)
        return;
    l->pair_host = host;
    l->pair_tag = job.tag;
    l->pair_state = PAIR_WAITING;
    l->pair_msg[0] = '\0';
    set_screen(l, SCREEN_PAIR);
    /* Tests read the PIN here, as a user reads it off the screen. */
    SKY_LOGI(TAG, "pairing with %s: enter PIN %s on the host", host_label(h), l->pin);
}

static void wake_host(Launcher *l, UiHost *h)
{
    char err[512];
    if (!h->mac[0]) {
        set_banner(l, true, "%s is offline, and its MAC address is unknown: pair with it while "
                            "it is awake to wake it later.", host_label(h));
        return;
    }
    if (sky_host_wake(h->mac, h->address, 0, err, sizeof(err)) < 0)
        set_banner(l, true, "Could not wake %s: %s", host_label(h), err);
    else
        set_banner(l, false, "Sent a wake-up to %s. It shows as online once it is up.",
                   host_label(h));
    h->next_poll_us = 0;
}

static void open_settings(Launcher *l, int host)
{
    l->settings_host = host;
    l->settings_host_scope = host >= 0;
    l->settings_from = l->screen == SCREEN_APPS ? SCREEN_APPS : SCREEN_HOSTS;
    l->settings_focus = 0;
    l->settings_scroll = 0;
    l->settings_msg[0] = '\0';
    char err[512];
    const char *name = host >= 0 ? l->hosts[host].name : NULL;
    if (sky_settings_read(l->config_path, name, l->values, err, sizeof(err)) < 0)
        snprintf(l->settings_msg, sizeof(l->settings_msg), "%s", err);
    set_screen(l, SCREEN_SETTINGS);
}

/* A host tile chosen: its apps if paired and online, pairing if online, a wake-up if offline. */
static void choose_host(Launcher *l, int i)
{
    UiHost *h = &l->hosts[i];
    if (h->paired && h->state != HOST_OFFLINE) /* still checking: the apps say how it is */
        open_apps(l, i);
    else if (h->state == HOST_ONLINE)
        start_pairing(l, i);
    else if (h->state == HOST_OFFLINE && h->mac[0])
        wake_host(l, h);
    else if (h->state == HOST_OFFLINE)
        set_banner(l, true, "%s does not answer: %s", host_label(h),
                   h->error[0] ? h->error : "offline");
    else
        set_banner(l, false, "Still asking %s how it is...", host_label(h));
}

static void host_sheet(Launcher *l)
{
    UiHost *h = focused_host(l);
    open_sheet(l, h ? host_label(h) : "Skylight");
    if (h) {
        if (h->state == HOST_ONLINE && h->paired)
            sheet_add(l, "Open apps", ACT_OPEN);
        if (h->state == HOST_ONLINE && !h->paired)
            sheet_add(l, "Pair", ACT_PAIR);
        if (h->state != HOST_ONLINE && h->mac[0])
            sheet_add(l, "Wake", ACT_WAKE);
        if (h->known && h->name[0])
            sheet_add(l, "Settings for this host", ACT_HOST_SETTINGS);
        if (h->known)
            sheet_add(l, "Forget this host", ACT_FORGET);
    }
    sheet_add(l, "Settings", ACT_SETTINGS);
    sheet_add(l, "Quit Skylight", ACT_QUIT);
    sheet_add(l, "Close", ACT_CLOSE);
}

static UiApp *focused_app(Launcher *l)
{
    return l->app_focus >= 0 && (size_t)l->app_focus < l->n_apps ? &l->apps[l->app_focus] : NULL;
}

static void quit_app(Launcher *l, uint32_t then_play)
{
    UiHost *h = &l->hosts[l->app_host];
    SkyJob job = {.kind = SKY_JOB_QUIT_APP, .tag = ++l->next_tag, .urgent = true};
    snprintf(job.host, sizeof(job.host), "%s", job_host(h));
    if (sky_worker_submit(l->worker, &job) == 0) {
        l->quit_tag = job.tag;
        l->play_after_quit = then_play;
        set_banner(l, false, "Quitting the app on %s...", host_label(h));
    }
}

/* Another app runs on the host: ask before quitting it. */
static void ask_quit_first(Launcher *l, const UiHost *h, const UiApp *a)
{
    const char *running = "another app";
    for (size_t i = 0; i < l->n_apps; i++)
        if (l->apps[i].id == h->current_game)
            running = l->apps[i].title;
    char title[640];
    snprintf(title, sizeof(title), "%s is running %s. Quit it and start %s?", host_label(h),
             running, a->title);
    open_sheet(l, title);
    sheet_add(l, "Quit it and start", ACT_QUIT_AND_PLAY);
    sheet_add(l, "Cancel", ACT_CLOSE);
}

/* An app chosen: the host is asked how it is first, on a worker (a host that has gone away
 * costs a timeout there, with the launcher still answering, not a frozen window); then the
 * app is resumed if it runs, started if nothing runs, else the user is asked (launch_checked). */
static void choose_app(Launcher *l)
{
    UiApp *a = focused_app(l);
    if (!a || l->app_host < 0 || l->launch_tag)
        return;
    UiHost *h = &l->hosts[l->app_host];
    if (h->busy && h->current_game != a->id) {
        ask_quit_first(l, h, a);
        return;
    }
    SkyJob job = {.kind = SKY_JOB_POLL, .tag = ++l->next_tag, .urgent = true};
    snprintf(job.host, sizeof(job.host), "%s", job_host(h));
    if (sky_worker_submit(l->worker, &job) < 0)
        return;
    l->launch_tag = job.tag;
    l->launch_app = a->id;
    set_banner(l, false, "Starting %s on %s...", a->title, host_label(h));
}

static void launch_checked(Launcher *l, const SkyJobResult *r)
{
    l->launch_tag = 0;
    if (l->screen != SCREEN_APPS || l->app_host < 0)
        return;
    UiHost *h = &l->hosts[l->app_host];
    UiApp *a = NULL;
    for (size_t i = 0; i < l->n_apps; i++)
        if (l->apps[i].id == l->launch_app)
            a = &l->apps[i];
    if (r->ret < 0) {
        h->state = HOST_OFFLINE;
        snprintf(h->error, sizeof(h->error), "%s", r->err);
        set_banner(l, true, "Cannot start %s: %s does not answer (%s).", a ? a->title : "the app",
                   host_label(h), r->err);
        return;
    }
    host_answered(l, h, r);
    if (!a || l->app_host < 0)
        return;
    h = &l->hosts[l->app_host];
    if (h->busy && h->current_game != a->id)
        ask_quit_first(l, h, a);
    else
        start_stream(l, a);
}

static void app_sheet(Launcher *l)
{
    UiApp *a = focused_app(l);
    UiHost *h = &l->hosts[l->app_host];
    open_sheet(l, a ? a->title : host_label(h));
    if (a)
        sheet_add(l, h->busy && h->current_game == a->id ? "Resume" : "Play", ACT_PLAY);
    if (h->busy)
        sheet_add(l, "Quit the running app", ACT_QUIT_APP);
    if (h->name[0])
        sheet_add(l, "Settings for this host", ACT_HOST_SETTINGS);
    sheet_add(l, "Settings", ACT_SETTINGS);
    sheet_add(l, "Close", ACT_CLOSE);
}

static void do_act(Launcher *l, Act act)
{
    l->sheet.open = false;
    l->dirty = true;
    UiHost *h = l->screen == SCREEN_APPS && l->app_host >= 0 ? &l->hosts[l->app_host]
                                                            : focused_host(l);
    int hi = h ? (int)(h - l->hosts) : -1;
    switch (act) {
    case ACT_OPEN:
        if (h)
            open_apps(l, hi);
        break;
    case ACT_PAIR:
        if (h)
            start_pairing(l, hi);
        break;
    case ACT_WAKE:
        if (h)
            wake_host(l, h);
        break;
    case ACT_FORGET:
        if (h && h->known) {
            int ret = sky_hosts_remove(l->config_dir, h->uniqueid);
            if (ret < 0 && ret != SKY_ERR(ENOENT))
                set_banner(l, true, "Could not forget %s: %s", host_label(h), sky_strerror(ret));
            else
                remove_host(l, (size_t)hi);
        }
        break;
    case ACT_HOST_SETTINGS:
        open_settings(l, hi);
        break;
    case ACT_SETTINGS:
        open_settings(l, -1);
        break;
    case ACT_QUIT:
        l->quit = true;
        break;
    case ACT_PLAY:
        choose_app(l);
        break;
    case ACT_QUIT_APP:
        if (l->app_host >= 0)
            quit_app(l, 0);
        break;
    case ACT_QUIT_AND_PLAY:
        if (l->app_host >= 0 && focused_app(l))
            quit_app(l, focused_app(l)->id);
        break;
    case ACT_NONE:
    case ACT_CLOSE:
        break;
    }
}

/* ---- the on-screen keyboard ---- */

static const char *const keys[] = {
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", ":",
    "q", "w", "e", "r", "t", "y", "u", "i", "o", "p", ".",
    "a", "s", "d", "f", "g", "h", "j", "k", "l", "-", "[",
    "z", "x", "c", "v", "b", "n", "m", "_", "%", "/", "]",
    "Delete", "Clear", "Done",
};
#define N_KEYS ((int)(sizeof(keys) / sizeof(keys[0])))
#define KEY_COLS 11

static void add_char(Launcher *l, const char *text)
{
    size_t len = strlen(l->add_text);
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || len + 1 >= sizeof(l->add_text))
            continue; /* addresses are printable ASCII */
        l->add_text[len++] = (char)c;
    }
    l->add_text[len] = '\0';
    l->dirty = true;
}

static void add_done(Launcher *l)
{
    if (!l->add_text[0])
        return;
    for (size_t i = 0; i < l->n_hosts; i++)
        if (strcasecmp(l->hosts[i].address, l->add_text) == 0) {
            l->host_focus = (int)i;
            l->hosts[i].next_poll_us = 0;
            set_screen(l, SCREEN_HOSTS);
            return;
        }
    UiHost *h = add_host(l);
    if (!h) {
        set_banner(l, true, "Too many hosts listed (%d): forget one first.", MAX_HOSTS);
        return;
    }
    snprintf(h->address, sizeof(h->address), "%s", l->add_text);
    l->host_focus = (int)l->n_hosts - 1;
    SKY_LOGI(TAG, "added host %s", h->address);
    l->add_text[0] = '\0';
    set_screen(l, SCREEN_HOSTS);
}

static void press_key(Launcher *l, int k)
{
    const char *key = keys[k];
    if (strcmp(key, "Delete") == 0) {
        size_t n = strlen(l->add_text);
        if (n)
            l->add_text[n - 1] = '\0';
    } else if (strcmp(key, "Clear") == 0) {
        l->add_text[0] = '\0';
    } else if (strcmp(key, "Done") == 0) {
        add_done(l);
    } else {
        add_char(l, key);
    }
    l->dirty = true;
}

/* ---- settings ---- */

/* Rows: the scope (when a host's settings can be shown), then the settings. */
static int settings_rows(const Launcher *l)
{
    return (int)sky_setting_count + (l->settings_host >= 0 ? 1 : 0);
}

static void settings_change(Launcher *l, int dir)
{
    int row = l->settings_focus - (l->settings_host >= 0 ? 1 : 0);
    if (row < 0) {
        l->settings_host_scope = !l->settings_host_scope;
        l->dirty = true;
        return;
    }
    const char *host = l->settings_host_scope ? l->hosts[l->settings_host].name : NULL;
    char value[SKY_SETTING_VALUE_MAX], err[512];
    sky_setting_step((size_t)row, &l->values[row], l->settings_host_scope, dir, value,
                     sizeof(value));
    if (sky_setting_write(l->config_path, host, (size_t)row, value, err, sizeof(err)) < 0) {
        snprintf(l->settings_msg, sizeof(l->settings_msg), "Not saved: %s", err);
        SKY_LOGW(TAG, "%s", l->settings_msg);
    } else {
        SKY_LOGI(TAG, "setting '%s' = %s%s%s", sky_setting_defs[row].label,
                 value[0] ? value : "(the global value)", host ? " for " : "", host ? host : "");
        l->settings_msg[0] = '\0';
        if (sky_settings_read(l->config_path, l->settings_host >= 0
                                                  ? l->hosts[l->settings_host].name
                                                  : NULL,
                              l->values, err, sizeof(err)) < 0)
            snprintf(l->settings_msg, sizeof(l->settings_msg), "%s", err);
    }
    l->dirty = true;
}

/* ---- navigation ---- */

static int grid_cols(const Launcher *l, int tile_w)
{
    int u = l->canvas->unit, w = l->canvas->surface->w - 4 * u;
    int cols = (w + u) / (tile_w + u);
    return cols < 1 ? 1 : cols;
}

#define HOST_TILE_W(u) (20 * (u))
#define HOST_TILE_H(u) (9 * (u))
#define APP_TILE_W(u) (12 * (u))
#define APP_TILE_H(u) (19 * (u)) /* box art is 3:4 (Sunshine's 600x800), its title below */

static void move_focus(int *focus, int count, int cols, SkyNavAction a, Launcher *l)
{
    int f = sky_nav_grid_move(*focus, count, cols, 2, a);
    if (f != *focus) {
        *focus = f;
        l->dirty = true;
    }
}

static void nav(Launcher *l, SkyNavAction a)
{
    if (a == SKY_NAV_NONE)
        return;
    int u = l->canvas->unit;
    if (l->sheet.open) {
        Sheet *s = &l->sheet;
        if (a == SKY_NAV_BACK || a == SKY_NAV_MENU)
            s->open = false;
        else if (a == SKY_NAV_ACCEPT)
            do_act(l, s->acts[s->focus]);
        else
            move_focus(&s->focus, (int)s->n, 1, a, l);
        l->dirty = true;
        return;
    }
    switch (l->screen) {
    case SCREEN_HOSTS: {
        int count = (int)l->n_hosts + 2;
        if (a == SKY_NAV_ACCEPT) {
            if (l->host_focus < (int)l->n_hosts)
                choose_host(l, l->host_focus);
            else if (l->host_focus == (int)l->n_hosts)
                set_screen(l, SCREEN_ADD);
            else
                open_settings(l, -1);
        } else if (a == SKY_NAV_MENU) {
            host_sheet(l);
        } else if (a != SKY_NAV_BACK) {
            move_focus(&l->host_focus, count, grid_cols(l, HOST_TILE_W(u)), a, l);
        }
        break;
    }
    case SCREEN_ADD:
        if (a == SKY_NAV_BACK)
            set_screen(l, SCREEN_HOSTS);
        else if (a == SKY_NAV_ACCEPT)
            press_key(l, l->key_focus);
        else if (a == SKY_NAV_MENU)
            add_done(l);
        else
            move_focus(&l->key_focus, N_KEYS, KEY_COLS, a, l);
        break;
    case SCREEN_PAIR:
        if (a == SKY_NAV_BACK) {
            sky_worker_cancel(l->worker, l->pair_tag);
            set_screen(l, SCREEN_HOSTS);
        } else if (a == SKY_NAV_ACCEPT && l->pair_state == PAIR_FAILED && l->pair_host >= 0) {
            start_pairing(l, l->pair_host);
        }
        break;
    case SCREEN_APPS:
        if (l->app_host < 0) {
            set_screen(l, SCREEN_HOSTS);
        } else if (a == SKY_NAV_BACK && l->launch_tag) { /* the host is slow: not now */
            sky_worker_cancel(l->worker, l->launch_tag);
            l->launch_tag = 0;
            set_banner(l, false, "Not started.");
        } else if (a == SKY_NAV_BACK) {
            set_screen(l, SCREEN_HOSTS);
        } else if (a == SKY_NAV_ACCEPT) {
            choose_app(l);
        } else if (a == SKY_NAV_MENU) {
            app_sheet(l);
        } else {
            move_focus(&l->app_focus, (int)l->n_apps, grid_cols(l, APP_TILE_W(u)), a, l);
        }
        break;
    case SCREEN_SETTINGS:
        if (a == SKY_NAV_BACK)
            set_screen(l, l->settings_from == SCREEN_APPS && l->app_host >= 0 ? SCREEN_APPS
                                                                              : SCREEN_HOSTS);
        else if (a == SKY_NAV_LEFT || a == SKY_NAV_RIGHT || a == SKY_NAV_ACCEPT)
            settings_change(l, a == SKY_NAV_LEFT ? -1 : 1);
        else if (a == SKY_NAV_PAGE_PREV || a == SKY_NAV_PAGE_NEXT)
            l->settings_host_scope = l->settings_host >= 0 && !l->settings_host_scope;
        else
            move_focus(&l->settings_focus, settings_rows(l), 1, a, l);
        l->dirty = true;
        break;
    }
}

/* ---- drawing ---- */

static void hit(Launcher *l, SDL_Rect r, HitKind kind, int index)
{
    if (l->n_hits < MAX_HITS)
        l->hits[l->n_hits++] = (Hit){r, kind, index};
}

/* A button of the header: what it does, with the pad button that does it; pointers and touch
 * press it too (the only way back for a touch screen). */
typedef struct Hint {
    const char *button;
    const char *label;
    SkyNavAction act;
} Hint;

static void draw_header(Launcher *l, const char *title, const Hint *hints, size_t n)
{
    SkyCanvas *c = l->canvas;
    int u = c->unit, w = c->surface->w;
    sky_canvas_text(c, SKY_FONT_TITLE, title, (SDL_Rect){2 * u, u, w / 2, 3 * u},
                    SKY_ALIGN_LEFT, C_TEXT);
    int x = w - 2 * u;
    for (size_t i = n; i-- > 0;) {
        char text[96];
        snprintf(text, sizeof(text), "%s  %s", hints[i].button, hints[i].label);
        int tw = 0, th = 0;
        TTF_SizeUTF8(c->fonts[SKY_FONT_BODY], text, &tw, &th);
        SDL_Rect r = {x - tw - 2 * u, u + u / 2, tw + 2 * u, 2 * u + u / 4};
        if (r.x < w / 2)
            break;
        sky_canvas_fill(c, r, u, C_PANEL);
        sky_canvas_text(c, SKY_FONT_BODY, text, r, SKY_ALIGN_CENTRE, C_DIM);
        if (hints[i].act != SKY_NAV_NONE) /* a hint, not a button */
            hit(l, r, HIT_ACTION, (int)hints[i].act);
        x = r.x - u / 2;
    }
}

#define HINTS(...) (const Hint[]){__VA_ARGS__}, sizeof((const Hint[]){__VA_ARGS__}) / sizeof(Hint)

static void draw_banner(Launcher *l)
{
    if (!l->banner[0])
        return;
    SkyCanvas *c = l->canvas;
    int u = c->unit, w = c->surface->w, h = c->surface->h;
    SDL_Rect r = {2 * u, h - 4 * u, w - 4 * u, 3 * u};
    sky_canvas_fill(c, r, u / 2, l->banner_error ? 0x5a1f1fffu : 0x1f3a2affu);
    sky_canvas_text(c, SKY_FONT_BODY, l->banner, (SDL_Rect){r.x + u, r.y, r.w - 2 * u, r.h},
                    SKY_ALIGN_LEFT, C_TEXT);
}

/* The first row to show so that the focused row is visible, rows of row_h from y0 to y1. */
static int scroll_to(int *scroll, int focus_row, int rows_visible)
{
    if (rows_visible < 1)
        rows_visible = 1;
    if (focus_row < *scroll)
        *scroll = focus_row;
    if (focus_row >= *scroll + rows_visible)
        *scroll = focus_row - rows_visible + 1;
    if (*scroll < 0)
        *scroll = 0;
    return *scroll;
}

static void draw_tile_focus(SkyCanvas *c, SDL_Rect r, bool focused)
{
    int u = c->unit;
    sky_canvas_fill(c, r, u / 2, focused ? C_PANEL_FOCUS : C_PANEL);
    if (focused)
        sky_canvas_frame(c, (SDL_Rect){r.x - u / 4, r.y - u / 4, r.w + u / 2, r.h + u / 2},
                         u / 2 + u / 4, u / 4 > 2 ? u / 4 : 2, C_ACCENT);
}

static void host_state_text(const UiHost *h, char *line1, size_t cap1, SkyColour *colour,
                            char *line2, size_t cap2)
{
    switch (h->state) {
    case HOST_CHECKING:
        snprintf(line1, cap1, "Checking...");
        *colour = C_DIM;
        break;
    case HOST_OFFLINE:
        snprintf(line1, cap1, "Offline");
        *colour = C_BAD;
        break;
    case HOST_ONLINE:
        snprintf(line1, cap1, h->busy ? "Online, playing" : "Online");
        *colour = h->busy ? C_WARN : C_GOOD;
        break;
    }
    if (h->state == HOST_OFFLINE && h->mac[0])
        snprintf(line2, cap2, "%s", "Select to wake");
    else if (h->state == HOST_ONLINE)
        snprintf(line2, cap2, "%s", h->paired ? "Paired" : "Not paired: select to pair");
    else
        snprintf(line2, cap2, "%s", h->address);
}

static void draw_hosts(Launcher *l)
{
    SkyCanvas *c = l->canvas;
    int u = c->unit, w = c->surface->w, hgt = c->surface->h;
    draw_header(l, "Skylight",
                HINTS({"A", "Select", SKY_NAV_ACCEPT}, {"Start", "Menu", SKY_NAV_MENU}));
    int tw = HOST_TILE_W(u), th = HOST_TILE_H(u), cols = grid_cols(l, tw);
    int count = (int)l->n_hosts + 2;
    int x0 = (w - (cols * tw + (cols - 1) * u)) / 2, y0 = 6 * u;
    int rows_visible = (hgt - y0 - 5 * u + u) / (th + u);
    int first = scroll_to(&l->host_scroll, l->host_focus / cols, rows_visible);
    for (int i = first * cols; i < count && i < (first + rows_visible) * cols; i++) {
        int row = i / cols - first, col = i % cols;
        SDL_Rect r = {x0 + col * (tw + u), y0 + row * (th + u), tw, th};
        bool focused = i == l->host_focus;
        draw_tile_focus(c, r, focused);
        hit(l, r, HIT_ITEM, i);
        if (i < (int)l->n_hosts) {
            const UiHost *h = &l->hosts[i];
            char s1[64], s2[300];
            SkyColour sc = C_DIM;
            host_state_text(h, s1, sizeof(s1), &sc, s2, sizeof(s2));
            sky_canvas_text(c, SKY_FONT_TITLE, host_label(h),
                            (SDL_Rect){r.x + u, r.y + u, r.w - 2 * u, 3 * u}, SKY_ALIGN_LEFT,
                            C_TEXT);
            sky_canvas_fill(c, (SDL_Rect){r.x + u, r.y + 5 * u - u / 3, 2 * u / 3, 2 * u / 3},
                            u / 3, sc);
            sky_canvas_text(c, SKY_FONT_BODY, s1, (SDL_Rect){r.x + 2 * u, r.y + 4 * u,
                                                             r.w - 3 * u, 2 * u},
                            SKY_ALIGN_LEFT, sc);
            sky_canvas_text(c, SKY_FONT_BODY, s2,
                            (SDL_Rect){r.x + u, r.y + 6 * u, r.w - 2 * u, 2 * u}, SKY_ALIGN_LEFT,
                            C_DIM);
        } else {
            const char *label = i == (int)l->n_hosts ? "+  Add a host" : "Settings";
            sky_canvas_text(c, SKY_FONT_TITLE, label, r, SKY_ALIGN_CENTRE, C_TEXT);
        }
    }
    if (l->n_hosts == 0)
        sky_canvas_text(c, SKY_FONT_BODY,
                        "Looking for hosts on the network... Sunshine hosts show up here.",
                        (SDL_Rect){2 * u, y0 + th + 2 * u, w - 4 * u, 2 * u}, SKY_ALIGN_CENTRE,
                        C_DIM);
}

static void draw_apps(Launcher *l)
{
    SkyCanvas *c = l->canvas;
    int u = c->unit, w = c->surface->w, hgt = c->surface->h;
    const UiHost *h = &l->hosts[l->app_host];
    draw_header(l, host_label(h),
                HINTS({"A", "Play", SKY_NAV_ACCEPT}, {"B", "Back", SKY_NAV_BACK},
                      {"Start", "Menu", SKY_NAV_MENU}));
    if (l->n_apps == 0) {
        const char *text = l->apps_loading    ? "Loading the apps..."
                           : l->apps_error[0] ? l->apps_error
                                              : "This host has no apps.";
        sky_canvas_text(c, SKY_FONT_BODY, text, (SDL_Rect){2 * u, 8 * u, w - 4 * u, 3 * u},
                        SKY_ALIGN_CENTRE, l->apps_error[0] ? C_BAD : C_DIM);
        return;
    }
    int tw = APP_TILE_W(u), th = APP_TILE_H(u), cols = grid_cols(l, tw);
    int x0 = (w - (cols * tw + (cols - 1) * u)) / 2, y0 = 6 * u;
    int rows_visible = (hgt - y0 - 5 * u + u) / (th + u);
    int first = scroll_to(&l->app_scroll, l->app_focus / cols, rows_visible);
    for (int i = first * cols; i < (int)l->n_apps && i < (first + rows_visible) * cols; i++) {
        int row = i / cols - first, col = i % cols;
        SDL_Rect r = {x0 + col * (tw + u), y0 + row * (th + u), tw, th};
        const UiApp *a = &l->apps[i];
        bool focused = i == l->app_focus;
        draw_tile_focus(c, r, focused);
        hit(l, r, HIT_ITEM, i);
        SDL_Rect art = {r.x, r.y, r.w, r.h - 3 * u};
        if (a->art) {
            sky_canvas_image(c, a->art, art);
        } else { /* the neutral tile: the title's first letter */
            char initial[8] = "";
            size_t n = 1;
            while (a->title[n] && ((unsigned char)a->title[n] & 0xc0) == 0x80 && n < 4)
                n++;
            memcpy(initial, a->title, a->title[0] ? n : 0);
            sky_canvas_text(c, SKY_FONT_HUGE, initial, art, SKY_ALIGN_CENTRE, C_DIM);
        }
        sky_canvas_text(c, SKY_FONT_BODY, a->title,
                        (SDL_Rect){r.x + u / 2, r.y + r.h - 3 * u, r.w - u, 3 * u},
                        SKY_ALIGN_CENTRE, C_TEXT);
        if (h->busy && h->current_game == a->id) {
            SDL_Rect badge = {r.x + u / 2, r.y + u / 2, r.w - u, 2 * u};
            sky_canvas_fill(c, badge, u / 2, 0x1b5e20e0u);
            sky_canvas_text(c, SKY_FONT_BODY, "Running", badge, SKY_ALIGN_CENTRE, C_TEXT);
        }
    }
}

static void draw_pair(Launcher *l)
{
    SkyCanvas *c = l->canvas;
    int u = c->unit, w = c->surface->w;
    const UiHost *h = l->pair_host >= 0 ? &l->hosts[l->pair_host] : NULL;
    char title[300];
    snprintf(title, sizeof(title), "Pairing with %s", h ? host_label(h) : "the host");
    if (l->pair_state == PAIR_FAILED)
        draw_header(l, title,
                    HINTS({"A", "Try again", SKY_NAV_ACCEPT}, {"B", "Back", SKY_NAV_BACK}));
    else
        draw_header(l, title, HINTS({"B", "Cancel", SKY_NAV_BACK}));
    sky_canvas_text(c, SKY_FONT_HUGE, l->pin, (SDL_Rect){0, 7 * u, w, 9 * u}, SKY_ALIGN_CENTRE,
                    l->pair_state == PAIR_FAILED ? C_DIM : C_ACCENT);
    const char *how = "Enter this PIN on the host: in Sunshine's web UI, open the PIN page.";
    sky_canvas_text(c, SKY_FONT_BODY, how, (SDL_Rect){2 * u, 17 * u, w - 4 * u, 2 * u},
                    SKY_ALIGN_CENTRE, C_TEXT);
    const char *status = l->pair_state == PAIR_FAILED ? l->pair_msg
                                                      : "Waiting for the PIN to be entered...";
    sky_canvas_text(c, SKY_FONT_BODY, status, (SDL_Rect){2 * u, 20 * u, w - 4 * u, 2 * u},
                    SKY_ALIGN_CENTRE, l->pair_state == PAIR_FAILED ? C_BAD : C_DIM);
}

static void draw_add(Launcher *l)
{
    SkyCanvas *c = l->canvas;
    int u = c->unit, w = c->surface->w;
    draw_header(l, "Add a host",
                HINTS({"B", "Back", SKY_NAV_BACK}, {"Start", "Done", SKY_NAV_MENU}));
    SDL_Rect field = {4 * u, 5 * u, w - 8 * u, 3 * u};
    sky_canvas_fill(c, field, u / 2, C_PANEL);
    sky_canvas_frame(c, field, u / 2, 2, C_ACCENT);
    char shown[300];
    snprintf(shown, sizeof(shown), "%s_", l->add_text);
    sky_canvas_text(c, SKY_FONT_TITLE, l->add_text[0] ? shown : "Address, e.g. 192.168.1.20",
                    (SDL_Rect){field.x + u, field.y, field.w - 2 * u, field.h}, SKY_ALIGN_LEFT,
                    l->add_text[0] ? C_TEXT : C_DIM);
    int kw = (w - 8 * u - (KEY_COLS - 1) * u / 2) / KEY_COLS, kh = 3 * u;
    if (kw > 5 * u)
        kw = 5 * u;
    int x0 = (w - (KEY_COLS * kw + (KEY_COLS - 1) * u / 2)) / 2, y0 = 10 * u;
    for (int k = 0; k < N_KEYS; k++) {
        int row = k / KEY_COLS, col = k % KEY_COLS;
        bool wide = row == N_KEYS / KEY_COLS;
        int kwide = wide ? (KEY_COLS * kw + (KEY_COLS - 1) * u / 2 - 2 * u / 2) / 3 : kw;
        SDL_Rect r = {x0 + col * (kwide + u / 2), y0 + row * (kh + u / 2), kwide, kh};
        draw_tile_focus(c, r, k == l->key_focus);
        hit(l, r, HIT_ITEM, k);
        sky_canvas_text(c, SKY_FONT_BODY, keys[k], r, SKY_ALIGN_CENTRE, C_TEXT);
    }
}

/* What the settings screen shows for the scope row and for setting s: "All hosts" or the
 * host's name; the value's label, " (all hosts)" after it where the host's scope shows the
 * global value (*inherited). */
static const char *settings_scope_name(const Launcher *l)
{
    return l->settings_host_scope ? l->hosts[l->settings_host].name : "All hosts";
}

static void setting_shown(const Launcher *l, size_t s, char *out, size_t cap, bool *inherited)
{
    const SkySettingValue *v = &l->values[s];
    char value[SKY_SETTING_VALUE_MAX], label[128];
    sky_setting_effective(s, v, l->settings_host_scope, value, sizeof(value));
    sky_setting_label(s, value, label, sizeof(label));
    *inherited = l->settings_host_scope && !v->host[0];
    snprintf(out, cap, "%s%s", label, *inherited ? " (all hosts)" : "");
}

static void draw_settings(Launcher *l)
{
    SkyCanvas *c = l->canvas;
    int u = c->unit, w = c->surface->w, hgt = c->surface->h;
    draw_header(l, "Settings",
                HINTS({"Left/Right", "Change", SKY_NAV_NONE}, {"B", "Back", SKY_NAV_BACK}));
    int rows = settings_rows(l), rh = 3 * u, y0 = 5 * u;
    int visible = (hgt - y0 - 6 * u) / (rh + u / 4);
    int first = scroll_to(&l->settings_scroll, l->settings_focus, visible);
    int has_scope = l->settings_host >= 0 ? 1 : 0;
    for (int i = first; i < rows && i < first + visible; i++) {
        SDL_Rect r = {4 * u, y0 + (i - first) * (rh + u / 4), w - 8 * u, rh};
        draw_tile_focus(c, r, i == l->settings_focus);
        hit(l, r, HIT_ITEM, i);
        SDL_Rect left = {r.x + u, r.y, r.w / 2 - u, r.h}, right = {r.x + r.w / 2, r.y,
                                                                  r.w / 2 - u, r.h};
        char shown[300], value[160];
        if (i < has_scope) {
            sky_canvas_text(c, SKY_FONT_BODY, "Applies to", left, SKY_ALIGN_LEFT, C_TEXT);
            snprintf(shown, sizeof(shown), "<  %s  >", settings_scope_name(l));
            sky_canvas_text(c, SKY_FONT_BODY, shown, right, SKY_ALIGN_RIGHT, C_ACCENT);
            continue;
        }
        size_t s = (size_t)(i - has_scope);
        bool inherited;
        setting_shown(l, s, value, sizeof(value), &inherited);
        snprintf(shown, sizeof(shown), "<  %s  >", value);
        sky_canvas_text(c, SKY_FONT_BODY, sky_setting_defs[s].label, left, SKY_ALIGN_LEFT,
                        C_TEXT);
        sky_canvas_text(c, SKY_FONT_BODY, shown, right, SKY_ALIGN_RIGHT,
                        inherited ? C_DIM : C_TEXT);
    }
    if (l->settings_msg[0])
        sky_canvas_text(c, SKY_FONT_BODY, l->settings_msg,
                        (SDL_Rect){4 * u, hgt - 6 * u, w - 8 * u, 2 * u}, SKY_ALIGN_LEFT, C_BAD);
}

static void draw_sheet(Launcher *l)
{
    SkyCanvas *c = l->canvas;
    int u = c->unit, w = c->surface->w, hgt = c->surface->h;
    Sheet *s = &l->sheet;
    sky_canvas_fill(c, (SDL_Rect){0, 0, w, hgt}, 0, C_SHADE);
    int pw = 30 * u < w - 4 * u ? 30 * u : w - 4 * u, ih = 3 * u;
    int ph = 5 * u + (int)s->n * (ih + u / 2) + u;
    SDL_Rect p = {(w - pw) / 2, (hgt - ph) / 2, pw, ph};
    sky_canvas_fill(c, p, u, C_PANEL);
    sky_canvas_text(c, SKY_FONT_BODY, s->title, (SDL_Rect){p.x + u, p.y + u, p.w - 2 * u, 3 * u},
                    SKY_ALIGN_CENTRE, C_TEXT);
    for (size_t i = 0; i < s->n; i++) {
        SDL_Rect r = {p.x + u, p.y + 5 * u + (int)i * (ih + u / 2), p.w - 2 * u, ih};
        draw_tile_focus(c, r, (int)i == s->focus);
        hit(l, r, HIT_SHEET, (int)i);
        sky_canvas_text(c, SKY_FONT_BODY, s->labels[i], r, SKY_ALIGN_CENTRE, C_TEXT);
    }
}

static void draw(Launcher *l)
{
    if (l->screen == SCREEN_APPS && l->app_host < 0) /* the host went from the list */
        set_screen(l, SCREEN_HOSTS);
    l->n_hits = 0;
    sky_canvas_clear(l->canvas, C_BG);
    switch (l->screen) {
    case SCREEN_HOSTS: draw_hosts(l); break;
    case SCREEN_ADD: draw_add(l); break;
    case SCREEN_PAIR: draw_pair(l); break;
    case SCREEN_APPS: draw_apps(l); break;
    case SCREEN_SETTINGS: draw_settings(l); break;
    }
    if (l->screen == SCREEN_HOSTS || l->screen == SCREEN_APPS)
        draw_banner(l);
    if (l->sheet.open) {
        l->n_hits = 0; /* only the sheet takes pointers */
        draw_sheet(l);
    }
    SDL_Surface *s = l->canvas->surface;
    sky_render_set_screen(l->render, s->pixels, s->w, s->h, (size_t)s->pitch);
    l->dirty = false;
}

/* The focused settings row and its value as the screen shows them ("setting 'Frame rate' =
 * '30 (all hosts)'"). */
static void settings_focus_text(const Launcher *l, char *out, size_t cap)
{
    int has_scope = l->settings_host >= 0 ? 1 : 0;
    if (l->settings_focus < has_scope) {
        snprintf(out, cap, "setting 'Applies to' = '%s'", settings_scope_name(l));
        return;
    }
    size_t s = (size_t)(l->settings_focus - has_scope);
    char value[160];
    bool inherited;
    setting_shown(l, s, value, sizeof(value), &inherited);
    snprintf(out, cap, "setting '%s' = '%s'", sky_setting_defs[s].label, value);
}

/* What the screen shows in focus, for the log (tests wait for it). */
static void log_focus(Launcher *l)
{
    char what[300] = "";
    if (l->sheet.open && l->sheet.n)
        snprintf(what, sizeof(what), "sheet '%s'", l->sheet.labels[l->sheet.focus]);
    else if (l->screen == SCREEN_HOSTS && focused_host(l))
        snprintf(what, sizeof(what), "host '%s'", host_label(focused_host(l)));
    else if (l->screen == SCREEN_HOSTS)
        snprintf(what, sizeof(what), "%s",
                 l->host_focus == (int)l->n_hosts ? "add a host" : "settings");
    else if (l->screen == SCREEN_APPS && focused_app(l))
        snprintf(what, sizeof(what), "app '%s'", focused_app(l)->title);
    else if (l->screen == SCREEN_APPS)
        snprintf(what, sizeof(what), "no app");
    else if (l->screen == SCREEN_PAIR)
        snprintf(what, sizeof(what), "%s",
                 l->pair_state == PAIR_FAILED ? "try again" : "the PIN");
    else if (l->screen == SCREEN_ADD)
        snprintf(what, sizeof(what), "key '%s'", keys[l->key_focus]);
    else if (l->screen == SCREEN_SETTINGS)
        settings_focus_text(l, what, sizeof(what));
    static char last[300];
    if (strcmp(what, last) != 0) {
        SKY_LOGV(TAG, "focus %s on %s", what, screen_names[l->screen]);
        snprintf(last, sizeof(last), "%s", what);
    }
}

/* ---- streaming ---- */

static int open_window(Launcher *l, const SkyRenderContent *content);

/* A window whose renderer shows what the stream will send: the settings in effect for the
 * host say whether it is HDR or 4:4:4; a driver chosen for the launcher alone (sdl, on a
 * software rasterizer) cannot tone-map HDR, so the window is opened again with one that can. */
static void window_for_stream(Launcher *l, const UiHost *h)
{
    SkySettingValue vals[32];
    char err[512], v[SKY_SETTING_VALUE_MAX];
    if (sky_settings_read(l->config_path, h->name[0] ? h->name : NULL, vals, err,
                          sizeof(err)) < 0)
        return; /* the stream reports the file's error itself */
    SkyRenderContent c = {.width = 1280, .height = 720};
    for (size_t i = 0; i < sky_setting_count; i++) {
        sky_setting_effective(i, &vals[i], h->name[0] != '\0', v, sizeof(v));
        if (strcmp(sky_setting_defs[i].keys[0], "hdr") == 0)
            c.hdr = c.deep = strcmp(v, "yes") == 0;
        else if (strcmp(sky_setting_defs[i].keys[0], "yuv444") == 0)
            c.yuv444 = strcmp(v, "yes") == 0;
    }
    if (sky_render_suits(l->render, &c))
        return;
    SKY_LOGI(TAG, "opening the window again with a renderer for %s pictures",
             c.hdr ? "HDR" : "4:4:4");
    sky_canvas_destroy(&l->canvas);
    sky_render_destroy(&l->render);
    if (open_window(l, &c) < 0)
        SKY_LOGE(TAG, "cannot open a window for this stream");
}

/* `skylight stream` in this window: the launcher's --config, --log-level and --timeout go
 * with it; the stream's settings come from the config file (the settings screen). */
static void start_stream(Launcher *l, const UiApp *app)
{
    UiHost *h = &l->hosts[l->app_host];
    char host[320], appid[16], timeout[32];
    snprintf(host, sizeof(host), "%s", h->known ? h->uniqueid : h->address);
    snprintf(appid, sizeof(appid), "%u", app->id);
    snprintf(timeout, sizeof(timeout), "--timeout=%g", l->opts.host.timeout_s);
    char *argv[16];
    int argc = 0;
    argv[argc++] = "stream";
    for (int i = 1; i < l->argc && argc < 12; i++) {
        const char *a = l->argv[i];
        bool takes_next = strcmp(a, "--config") == 0 || strcmp(a, "--log-level") == 0;
        if (strncmp(a, "--config=", 9) == 0 || strncmp(a, "--log-level=", 12) == 0)
            argv[argc++] = l->argv[i];
        else if (takes_next && i + 1 < l->argc) {
            argv[argc++] = l->argv[i];
            argv[argc++] = l->argv[++i];
        }
    }
    argv[argc++] = timeout;
    argv[argc++] = host;
    argv[argc++] = appid;
    argv[argc] = NULL;

    SKY_LOGI(TAG, "launching %s on %s", app->title, host_label(h));
    save_state(l, h->uniqueid);
    window_for_stream(l, h);
    if (!l->render) {
        l->quit = true;
        return;
    }
    /* A word on screen while the stream starts (the host may take a while). */
    snprintf(l->banner, sizeof(l->banner), "Starting %s...", app->title);
    l->banner_error = false;
    draw(l);
    sky_render_poll(l->render);

    SkyStreamEmbed e = {.render = l->render, .script = l->script};
    int status = sky_stream_run_embedded(argc, argv, &e);
    sky_ui_nav_input_release_all(&l->nav);
    SDL_FlushEvents(SDL_KEYDOWN, SDL_CONTROLLERBUTTONUP); /* what was meant for the game */
    char reason[sizeof(e.reason)];
    snprintf(reason, sizeof(reason), "%s", e.reason[0] ? e.reason : "the stream ended");
    reason[0] = (char)toupper((unsigned char)reason[0]); /* a sentence on the screen */
    if (status != 0 || e.failed)
        set_banner(l, true, "The stream failed: %s.", e.reason[0] ? e.reason : "see the log");
    else
        set_banner(l, false, "%s.", reason);
    h->next_poll_us = 0;
    set_screen(l, SCREEN_APPS);
    load_apps(l);
}

/* ---- events ---- */

/* Window coordinates (points) to the canvas's (pixels: more of them on a HiDPI screen). */
static void to_canvas(Launcher *l, int *x, int *y)
{
    int ww = 0, wh = 0;
    SDL_GetWindowSize(sky_render_window(l->render), &ww, &wh);
    if (ww > 0 && wh > 0) {
        *x = (int)((int64_t)*x * l->canvas->surface->w / ww);
        *y = (int)((int64_t)*y * l->canvas->surface->h / wh);
    }
}

static void pointer(Launcher *l, int x, int y, bool press)
{
    for (size_t i = l->n_hits; i-- > 0;) {
        const Hit *hp = &l->hits[i];
        SDL_Point p = {x, y};
        if (!SDL_PointInRect(&p, &hp->r))
            continue;
        if (hp->kind == HIT_ACTION) {
            if (press)
                nav(l, (SkyNavAction)hp->index);
            return;
        }
        int *focus = hp->kind == HIT_SHEET         ? &l->sheet.focus
                     : l->screen == SCREEN_HOSTS    ? &l->host_focus
                     : l->screen == SCREEN_APPS     ? &l->app_focus
                     : l->screen == SCREEN_ADD      ? &l->key_focus
                     : l->screen == SCREEN_SETTINGS ? &l->settings_focus
                                                    : NULL;
        if (!focus)
            return;
        if (*focus != hp->index) {
            *focus = hp->index;
            l->dirty = true;
        }
        if (press)
            nav(l, SKY_NAV_ACCEPT);
        return;
    }
    if (press && l->sheet.open) { /* a press beside the sheet closes it */
        l->sheet.open = false;
        l->dirty = true;
    }
}

static void open_pad(Launcher *l, int device)
{
    if (!SDL_IsGameController(device))
        return;
    for (int i = 0; i < SKY_UI_NAV_PADS; i++)
        if (!l->pads[i]) {
            l->pads[i] = SDL_GameControllerOpen(device);
            if (l->pads[i])
                SKY_LOGV(TAG, "gamepad %s", SDL_GameControllerName(l->pads[i]));
            return;
        }
}

static void close_pad(Launcher *l, SDL_JoystickID id)
{
    for (int i = 0; i < SKY_UI_NAV_PADS; i++)
        if (l->pads[i] &&
            SDL_JoystickInstanceID(SDL_GameControllerGetJoystick(l->pads[i])) == id) {
            SDL_GameControllerClose(l->pads[i]);
            l->pads[i] = NULL;
        }
}

static void handle_event(Launcher *l, const SDL_Event *ev, int64_t now_us)
{
    if (ev->type == l->wake_event)
        return; /* results are taken every turn */
    switch (ev->type) {
    case SDL_QUIT:
        l->quit = true;
        return;
    case SDL_WINDOWEVENT:
        sky_render_window_event(l->render, &ev->window);
        if (ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED ||
            ev->window.event == SDL_WINDOWEVENT_RESIZED) {
            int w = 0, h = 0;
            sky_render_output_size(l->render, &w, &h);
            if (w != l->canvas->surface->w || h != l->canvas->surface->h)
                sky_canvas_resize(l->canvas, w, h);
            l->dirty = true;
        } else if (ev->window.event == SDL_WINDOWEVENT_EXPOSED) {
            l->dirty = true;
        } else if (ev->window.event == SDL_WINDOWEVENT_FOCUS_LOST) {
            sky_ui_nav_input_release_all(&l->nav);
        }
        return;
    case SDL_CONTROLLERDEVICEADDED:
        open_pad(l, ev->cdevice.which);
        break;
    case SDL_CONTROLLERDEVICEREMOVED:
        close_pad(l, ev->cdevice.which);
        break;
    case SDL_MOUSEMOTION:
        if (ev->motion.which != SDL_TOUCH_MOUSEID) {
            int x = ev->motion.x, y = ev->motion.y;
            to_canvas(l, &x, &y);
            pointer(l, x, y, false);
        }
        return;
    case SDL_MOUSEBUTTONDOWN:
        if (ev->button.which != SDL_TOUCH_MOUSEID && ev->button.button == SDL_BUTTON_LEFT) {
            int x = ev->button.x, y = ev->button.y;
            to_canvas(l, &x, &y);
            pointer(l, x, y, true);
        } else if (ev->button.button == SDL_BUTTON_RIGHT) {
            nav(l, SKY_NAV_MENU); /* the context menu */
        }
        return;
    case SDL_MOUSEWHEEL:
        nav(l, ev->wheel.y > 0 ? SKY_NAV_UP : ev->wheel.y < 0 ? SKY_NAV_DOWN : SKY_NAV_NONE);
        return;
    case SDL_FINGERDOWN: {
        int w = l->canvas->surface->w, h = l->canvas->surface->h;
        pointer(l, (int)(ev->tfinger.x * w), (int)(ev->tfinger.y * h), true);
        return;
    }
    case SDL_TEXTINPUT:
        if (l->screen == SCREEN_ADD && !l->sheet.open)
            add_char(l, ev->text.text);
        return;
    case SDL_KEYDOWN:
        if (l->screen == SCREEN_ADD && !l->sheet.open) {
            SDL_Keycode k = ev->key.keysym.sym;
            if (k == SDLK_BACKSPACE) {
                press_key(l, N_KEYS - 3); /* Delete: typing, not leaving */
                return;
            }
            if (k == SDLK_SPACE)
                return; /* typed, as text */
            if (k == SDLK_RETURN || k == SDLK_KP_ENTER) {
                add_done(l);
                return;
            }
            if (k != SDLK_ESCAPE && k != SDLK_UP && k != SDLK_DOWN && k != SDLK_LEFT &&
                k != SDLK_RIGHT && k != SDLK_TAB)
                return; /* letters arrive as text */
        }
        break;
    default:
        break;
    }
    nav(l, sky_ui_nav_input_event(&l->nav, ev, now_us));
}

/* Sleeps until the next event or deadline_us. SDL's own wait polls every millisecond once a
 * joystick is open (SDL 2.26), so with pads the loop looks every PAD_POLL_MS instead. */
static bool wait_event(Launcher *l, SDL_Event *ev, int64_t deadline_us)
{
    int64_t wait_us = deadline_us - sky_time_us();
    int ms = wait_us <= 0 ? 0 : wait_us > 1000000 ? 1000 : (int)((wait_us + 999) / 1000);
    bool pads = false;
    for (int i = 0; i < SKY_UI_NAV_PADS; i++)
        pads |= l->pads[i] != NULL;
    if (!pads && !l->script)
        return SDL_WaitEventTimeout(ev, ms) == 1;
    if (SDL_PollEvent(ev))
        return true;
    SDL_Delay((Uint32)(ms < PAD_POLL_MS ? ms : PAD_POLL_MS));
    return SDL_PollEvent(ev) == 1;
}

static void run_loop(Launcher *l)
{
    while (!l->quit && !g_quit) {
        int64_t now = sky_time_us();
        take_results(l, now);
        discovery_events(l, now);
        int64_t deadline = now + 1000000;
        for (size_t i = 0; i < l->n_hosts; i++) {
            UiHost *h = &l->hosts[i];
            if (!h->polling && h->next_poll_us <= now)
                poll_host(l, h, now);
            if (!h->polling && h->next_poll_us < deadline)
                deadline = h->next_poll_us;
        }
        if (l->disc && l->next_discovery_us < deadline)
            deadline = l->next_discovery_us;
        if (l->script) {
            sky_input_script_step(l->script, now);
            int64_t due = sky_input_script_deadline(l->script);
            deadline = due < now + 20000 ? due : now + 20000; /* and its FIFO, every 20 ms */
        }
        nav(l, sky_ui_nav_input_poll(&l->nav, now));
        int64_t repeat = sky_ui_nav_input_deadline(&l->nav);
        if (repeat < deadline)
            deadline = repeat;
        if (l->dirty && !l->quit) {
            draw(l);
            log_focus(l);
        }
        int ret = sky_render_poll(l->render);
        if (ret < 0 && ret != SKY_ERR(EPIPE)) {
            SKY_LOGE(TAG, "the window cannot be drawn any more: %s", sky_strerror(ret));
            break;
        }
        SDL_Event ev;
        if (wait_event(l, &ev, deadline)) {
            do
                handle_event(l, &ev, sky_time_us());
            while (!l->quit && SDL_PollEvent(&ev));
        }
    }
}

/* ---- set-up ---- */

/* Fullscreen where a window makes no sense: under gamescope, and on handheld-sized screens,
 * unless --window-mode was given (on the command line or in the config file). */
static void pick_window_mode(Launcher *l)
{
    for (int i = 1; i < l->argc; i++)
        if (strncmp(l->argv[i], "--window-mode", 13) == 0)
            return;
    char *text = NULL;
    size_t len = 0;
    bool in_file = sky_read_file(l->config_path, SKY_CONFIG_MAX_BYTES, &text, &len) == 0 &&
                   strstr(text, "window-mode") != NULL;
    free(text);
    if (in_file)
        return;
    const char *desktop = getenv("XDG_CURRENT_DESKTOP");
    bool gamescope = getenv("GAMESCOPE_WAYLAND_DISPLAY") ||
                     (desktop && strcasecmp(desktop, "gamescope") == 0);
    SDL_DisplayMode dm;
    bool small = SDL_GetDesktopDisplayMode(0, &dm) == 0 && dm.w <= 1280 && dm.h <= 800;
    if (gamescope || small) {
        l->opts.render.window_mode = SKY_WINDOW_BORDERLESS;
        SKY_LOGV(TAG, "fullscreen: %s", gamescope ? "under gamescope" : "a handheld-sized screen");
    }
}

/* The window, its renderer (for content) and the canvas at its size. */
static int open_window(Launcher *l, const SkyRenderContent *content)
{
    SkyRenderCfg rc = {.opts = l->opts.render, .title = "Skylight", .content = *content};
    int ret = sky_render_create(&l->render, &rc);
    if (ret < 0)
        return ret;
    int w = 0, h = 0;
    sky_render_output_size(l->render, &w, &h);
    ret = sky_canvas_create(&l->canvas, w, h);
    if (ret < 0) {
        sky_render_destroy(&l->render);
        return ret;
    }
    l->dirty = true;
    return 0;
}

static int setup(Launcher *l, char *err, size_t errlen)
{
    if (sky_config_dir(l->config_dir, sizeof(l->config_dir)) < 0 ||
        sky_cli_config_path(l->config_path, sizeof(l->config_path)) < 0) {
        snprintf(err, errlen, "neither XDG_CONFIG_HOME nor HOME is set: nowhere to keep hosts");
        return SKY_ERR(ENOENT);
    }
    for (int i = 1; i < l->argc; i++) { /* --config FILE: the settings screen writes there */
        if (strncmp(l->argv[i], "--config=", 9) == 0)
            snprintf(l->config_path, sizeof(l->config_path), "%s", l->argv[i] + 9);
        else if (strcmp(l->argv[i], "--config") == 0 && i + 1 < l->argc)
            snprintf(l->config_path, sizeof(l->config_path), "%s", l->argv[i + 1]);
    }
    if (sky_cache_dir(l->cache_dir, sizeof(l->cache_dir)) < 0)
        l->cache_dir[0] = '\0';
    char why[512];
    if (sky_render_video_init(why, sizeof(why)) < 0) {
        snprintf(err, errlen, "no display to open the launcher on (%s); the verbs work without "
                              "one (skylight --help)", why);
        return SKY_ERR(ENODEV);
    }
    int ret = sky_identity_load(&l->id, l->config_dir);
    if (ret < 0) {
        snprintf(err, errlen, "no usable client identity (see above)");
        return ret;
    }
    if (sky_http_global_init() < 0) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return SKY_ERR(EIO);
    }
    l->http_started = true;
    if (l->opts.input.gamepads)
        l->pads_started = sky_pads_open(l->config_dir) == 0; /* without: keyboard and mouse */
    if (TTF_Init() < 0) {
        snprintf(err, errlen, "cannot start SDL_ttf: %s", TTF_GetError());
        return SKY_ERR(EIO);
    }
    l->ttf_started = true;
    IMG_Init(IMG_INIT_PNG); /* before the workers decode box art (boxart.h) */
    l->img_started = true;
    l->wake_event = SDL_RegisterEvents(1);
    if (l->wake_event == (uint32_t)-1) {
        snprintf(err, errlen, "SDL has no user events left");
        return SKY_ERR(EIO);
    }
    pick_window_mode(l);
    ret = open_window(l, &(SkyRenderContent){.width = 1280, .height = 720});
    if (ret < 0) {
        snprintf(err, errlen, "cannot open the launcher's window (see above)");
        return ret;
    }
    SkyWorkerCfg wc = {l->config_dir, l->cache_dir, l->id,
                       (int64_t)(l->opts.host.timeout_s * 1000), l->wake_event};
    ret = sky_worker_create(&l->worker, &wc);
    if (ret < 0) {
        snprintf(err, errlen, "cannot start the launcher's threads: %s", sky_strerror(ret));
        return ret;
    }
    if (sky_discovery_create(&l->disc, &l->opts.discovery, why, sizeof(why)) < 0)
        SKY_LOGW(TAG, "hosts on the network will not show up by themselves: %s (add them by "
                      "address)", why);
    if (l->opts.input.script[0]) {
        ret = sky_input_script_load(&l->script, l->opts.input.script,
                                    sky_render_window_id(l->render));
        if (ret < 0) {
            snprintf(err, errlen, "cannot use the input script %s (see above)",
                     l->opts.input.script);
            return ret;
        }
    }
    sky_ui_nav_input_init(&l->nav, l->opts.input.swap_ab, 0);
    return 0;
}

static void teardown(Launcher *l)
{
    sky_worker_destroy(&l->worker);
    sky_discovery_destroy(&l->disc);
    sky_input_script_destroy(&l->script);
    free_apps(l);
    for (int i = 0; i < SKY_UI_NAV_PADS; i++)
        if (l->pads[i])
            SDL_GameControllerClose(l->pads[i]);
    if (l->pads_started)
        sky_pads_close();
    sky_canvas_destroy(&l->canvas);
    sky_render_destroy(&l->render);
    if (l->img_started)
        IMG_Quit();
    if (l->ttf_started)
        TTF_Quit();
    SDL_Quit();
    if (l->http_started)
        sky_http_global_cleanup();
    sky_identity_destroy(&l->id);
}

static void ui_usage(const char *verb)
{
    (void)verb;
    printf("Usage: skylight [ui] [OPTIONS]\n\n"
           "The launcher: hosts on the network and known ones, pairing, apps and settings, on a\n"
           "screen driven by gamepad (d-pad or stick, A select, B back, Start menu, shoulders\n"
           "for pages), keyboard (arrows, Enter, Escape), mouse or touch. Streams play in the\n"
           "same window; holding Start+Select+L1+R1 during a stream opens its menu.\n"
           "Stream settings (resolution, bitrate, ...) are the config file's: the Settings\n"
           "screen writes them there, globally or for one host.\n");
    sky_cli_print_groups(stdout, &sky_ui_verb);
}

static int ui_main(int argc, char **argv)
{
    Launcher *l = calloc(1, sizeof(*l));
    if (!l)
        return 1;
    bool help;
    const char *pos[1];
    size_t npos;
    int status = 1;
    if (sky_cli_parse(&l->cli, &sky_ui_verb, &l->opts, argc, argv, pos, 0, &npos, &help) < 0) {
        free(l);
        return 2;
    }
    if (help) {
        ui_usage("ui");
        free(l);
        return 0;
    }
    l->argc = argc;
    l->argv = argv;
    l->app_host = l->pair_host = l->settings_host = -1;
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    sky_cli_on_quit_signals(on_signal);
    char err[1200] = "";
    int ret = setup(l, err, sizeof(err));
    if (ret == 0) {
        load_state(l);
        load_known(l);
        /* Focus: the last host streamed from, else the only paired one. */
        int paired = -1, n_paired = 0;
        for (size_t i = 0; i < l->n_hosts; i++)
            if (l->hosts[i].paired) {
                paired = (int)i;
                n_paired++;
            }
        int last = find_host_by_id(l, l->last_host);
        l->host_focus = last >= 0 ? last : n_paired == 1 ? paired : 0;
        set_screen(l, SCREEN_HOSTS);
        SKY_LOGI(TAG, "launcher open: %zu known hosts%s%s", l->n_hosts,
                 l->disc ? ", discovery by " : "",
                 l->disc ? sky_discovery_backend_name(l->disc) : "");
        run_loop(l);
        status = 0;
    } else {
        fprintf(stderr, "skylight ui: %s\n", err[0] ? err : sky_strerror(ret));
    }
    teardown(l);
    sky_cli_destroy(&l->cli);
    free(l);
    return status;
}

const SkyVerb sky_ui_verb = {"ui", ui_groups, false, ui_main, ui_usage};
