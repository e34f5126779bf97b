/* skylight-testhost: a GameStream host that behaves like Sunshine v0.23 over loopback, so tests
 * can run real pairing, app list, launch and quit flows (docs/testhost.md).
 *
 * This header holds what every part of the program shares: the options, the app list, the
 * launch session and the host object with its one lock.
 *
 * Threads (see server.c): main (options, stdin commands, signals), one accept thread per port,
 * one thread per connection. Everything mutable that two threads can reach lives in SkyThHost
 * under `lock`. Lock order: host->lock only (the stdout event lock is a leaf). */
#ifndef SKY_TESTHOST_HOST_H
#define SKY_TESTHOST_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/opts.h"

#define SKY_TH_MAX_APPS 32
#define SKY_TH_UNIQUEID_MAX 128

typedef struct SkyThState SkyThState;
typedef struct SkyThPairings SkyThPairings;

/* Command-line options (sky_th_opts_table fills this). */
typedef struct SkyThCfg {
    char bind[64];
    int http_port, https_port, rtsp_port;
    char state_dir[1024];
    char cert[1024], key[1024];     /* "" = the identity in state_dir */
    char hostname[128];
    char appversion[32];
    char gfe_version[32];
    int codec_support;              /* ServerCodecModeSupport (SKY_SCM_*) */
    char mac[32];
    char apps[2048];                /* "Title[=ID],Title[=ID],..." */
    char pin[8];                    /* "" = wait for `pin NNNN` on stdin */
    int pin_timeout_s;
    int log_level;                  /* SkyLogLevel */
} SkyThCfg;

extern const SkyOpt sky_th_opts_table[];

typedef struct SkyThApp {
    uint32_t id;                    /* positive int32 */
    char title[128];
} SkyThApp;

/* What /launch or /resume carried: the parameters the streaming side (RTSP, control, video,
 * audio) needs. */
typedef struct SkyThLaunch {
    uint32_t appid;
    int width, height, fps;         /* "mode=WxHxF"; 0 when absent */
    uint8_t rikey[16];              /* AES key of the session */
    uint32_t rikeyid;               /* as sent (a signed decimal), reinterpreted as u32 */
    int surround_info;              /* surroundAudioInfo: channel mask << 16 | channels */
    int corever;                    /* >= 1: encrypted RTSP (rtspenc://) */
    int hdr_mode;
    int sops;
    int local_audio;                /* localAudioPlayMode */
    int gcmap;
    char uniqueid[SKY_TH_UNIQUEID_MAX + 1];
} SkyThLaunch;

typedef struct SkyThHost {
    /* Set before any thread starts; read-only afterwards. */
    const SkyThCfg *cfg;
    SkyThState *state;              /* identity is read-only; the paired list needs `lock` */
    int server_major;               /* first number of appversion: picks the pairing hash */
    size_t n_apps;
    SkyThApp apps[SKY_TH_MAX_APPS];
    uint16_t http_port, https_port; /* the real ports, once listening */

    pthread_mutex_t lock;
    pthread_cond_t cond;            /* CLOCK_MONOTONIC; PIN typed, pairing dropped, stopping */
    /* Guarded by lock. */
    bool stopping;
    SkyThPairings *pairings;
    uint32_t running_appid;         /* 0: nothing runs (SUNSHINE_SERVER_FREE) */
    bool have_session;
    SkyThLaunch session;            /* the last /launch or /resume */
} SkyThHost;

/* Sets up the host from cfg (borrowed; must outlive the host): opens the state directory, builds
 * the app list. On failure everything is released and the reason logged. */
int sky_th_host_init(SkyThHost *h, const SkyThCfg *cfg);
void sky_th_host_destroy(SkyThHost *h);

/* Marks the host as stopping and wakes every waiter. */
void sky_th_host_stop(SkyThHost *h);

/* Parses the --apps list ("Title[=ID],..."): IDs not given are derived from the title the way
 * Sunshine does it (CRC-32, as a positive int32; the index is appended on a collision).
 * Returns 0 or SKY_ERR(EINVAL) with a reason in err. */
int sky_th_apps_parse(const char *list, SkyThApp *apps, size_t cap, size_t *n, char *err,
                      size_t errlen);
const SkyThApp *sky_th_app_find(const SkyThHost *h, uint32_t id);

/* One event line on stdout for tests to wait on ("paired uniqueid=..."), flushed at once.
 * Thread-safe; lines from different threads never interleave. */
void sky_th_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies s into out (cap bytes, truncating) with control characters, non-ASCII and (unless
 * keep_spaces) spaces replaced by '?', so a peer's text fits in one log or event field. */
void sky_th_sanitize(const char *s, char *out, size_t cap, bool keep_spaces);

#endif
