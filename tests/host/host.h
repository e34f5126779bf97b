/* skylight-testhost: a GameStream host that behaves like Sunshine v0.23 over loopback, so tests
 * can run real pairing, app list, launch and quit flows and stream from it (docs/testhost.md).
 *
 * This header holds what every part of the program shares: the options, the app list, the
 * launch session and the host object with its lock.
 *
 * Threads: main (options, stdin commands, signals); the HTTP side (server.c: one accept thread
 * per port, one thread per connection); the streaming side (session.c: the RTSP thread, and per
 * stream a session thread with video, audio and two UDP sender threads). Everything mutable that
 * the HTTP and streaming sides share lives in SkyThHost under `lock`. docs/threading.md has the
 * whole picture and the lock order. */
#ifndef SKY_TESTHOST_HOST_H
#define SKY_TESTHOST_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/opts.h"
#include "common/proto/control.h"

#define SKY_TH_MAX_APPS 32
#define SKY_TH_UNIQUEID_MAX 128

typedef struct SkyThState SkyThState;
typedef struct SkyThPairings SkyThPairings;

/* Command-line options (sky_th_opts_table fills this). */
typedef struct SkyThCfg {
    char bind[64];
    int http_port, https_port, rtsp_port;
    int video_port, audio_port, control_port;
    bool stream_ports_given;        /* any of the four streaming ports was on the command line:
                                     * a busy port is then an error, else a free one is used */
    char state_dir[1024];
    char cert[1024], key[1024];     /* "" = the identity in state_dir */
    char hostname[128];
    char appversion[32];
    char gfe_version[32];
    int codec_support;              /* ServerCodecModeSupport (SKY_SCM_*) */
    bool rfi;                       /* DESCRIBE offers reference frame invalidation */
    int feature_flags;              /* DESCRIBE's x-ss-general.featureFlags (SKY_SS_FF_*) */
    bool plain_rtsp;                /* rtsp:// whatever corever says (Sunshine before v0.23) */
    char mac[32];
    char apps[2048];                /* "Title[=ID],Title[=ID],..." */
    char boxart[1024];              /* "ID=MODE,..." (SkyThBoxArt); the others: png */
    char pin[8];                    /* "" = wait for `pin NNNN` on stdin */
    int pin_timeout_s;
    int log_level;                  /* SkyLogLevel */
    /* Streaming (docs/testhost.md). */
    int video_encryption;           /* 0 never, 1 opportunistic, 2 mandatory */
    int fec_percent;
    int ping_timeout_s;
    int stream_seconds;             /* 0: until the client or a command ends it */
    char impair[1024];              /* host -> client video and audio (impair/impair.h spec) */
    char impair_upstream[1024];     /* what the host receives: pings, control */
    char dump_video[1024];          /* "" = none */
    char video_file[1024];          /* a clip to send instead of the pattern; "" = none */
    bool sdr_display;               /* the host's display is SDR: dynamicRangeMode 1 gets 10-bit
                                     * SDR and "HDR off" (else BT.2020 PQ and "HDR on") */
    bool no_mastering_sei;          /* HDR bitstreams carry no mastering display (the HDR mode
                                     * message still does) */
    bool log_frames;
    bool stats;
    bool mdns;                      /* answer mDNS queries (mdns.h) */
} SkyThCfg;

extern const SkyOpt sky_th_opts_table[];

/* The HDR display the host pretends to capture (unless --sdr-display): its mastering display
 * and content light levels, sent in the HDR mode message and written into HDR bitstreams.
 * Values in docs/testhost.md. */
extern const SkyControlHdrMode sky_th_hdr_display;

/* What /appasset answers for an app (--boxart). */
typedef enum SkyThBoxArt {
    SKY_TH_BOXART_PNG,              /* its own picture: 60x80, a colour made from its id */
    SKY_TH_BOXART_DEFAULT,          /* Sunshine's default picture (an app without an image, or
                                     * an unknown id): 60x80 grey, the same for every app */
    SKY_TH_BOXART_EMPTY,            /* 200, no body: Sunshine when the image cannot be read */
    SKY_TH_BOXART_404,              /* HTTP 404 (not Sunshine: other hosts, proxies) */
    SKY_TH_BOXART_BROKEN,           /* 200 image/png with text in it */
    SKY_TH_BOXART_BIG,              /* a real PNG of 1200x1200, over 4 MiB */
    SKY_TH_BOXART_HUGE,             /* a real PNG of 8192x2: small, but too wide */
    SKY_TH_BOXART_SLOW,             /* no answer until the client hangs up */
    SKY_TH_BOXART_COUNT
} SkyThBoxArt;

extern const char *const sky_th_boxart_names[SKY_TH_BOXART_COUNT];

typedef struct SkyThApp {
    uint32_t id;                    /* positive int32 */
    char title[128];
    int boxart;                     /* SkyThBoxArt */
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
    /* Made per launch (Sunshine: at /launch or /resume), handed out by RTSP SETUP. */
    char ping_payload[17];          /* 16 random upper-case hex characters */
    uint32_t connect_data;          /* random */
} SkyThLaunch;

typedef struct SkyThHost {
    /* Set before any thread starts; read-only afterwards. */
    const SkyThCfg *cfg;
    SkyThState *state;              /* identity is read-only; the paired list needs `lock` */
    int server_major;               /* first number of appversion: picks the pairing hash */
    size_t n_apps;
    SkyThApp apps[SKY_TH_MAX_APPS];
    uint16_t http_port, https_port; /* the real ports, once listening */
    uint16_t rtsp_port;             /* the real streaming ports (session.c), before any */
    uint16_t video_port, audio_port, control_port; /* request is served */

    pthread_mutex_t lock;
    pthread_cond_t cond;            /* CLOCK_MONOTONIC; PIN typed, pairing dropped, stopping */
    /* Guarded by lock. */
    bool stopping;
    SkyThPairings *pairings;
    uint32_t running_appid;         /* 0: nothing runs (SUNSHINE_SERVER_FREE) */
    bool have_session;
    SkyThLaunch session;            /* the last /launch or /resume */
    uint64_t launch_gen;            /* bumped by every /launch and /resume */
    bool launch_pending;            /* RTSP is served: set by /launch and /resume, cleared when
                                     * the control peer connects (as Sunshine) or by /cancel */
    bool streaming;                 /* a stream session runs (/cancel answers 503) */
} SkyThHost;

/* Sets up the host from cfg (borrowed; must outlive the host): opens the state directory, builds
 * the app list. On failure everything is released and the reason logged. */
int sky_th_host_init(SkyThHost *h, const SkyThCfg *cfg);
void sky_th_host_cleanup(SkyThHost *h);

/* Marks the host as stopping and wakes every waiter. */
void sky_th_host_stop(SkyThHost *h);

/* Parses the --apps list ("Title[=ID],..."): IDs not given are derived from the title the way
 * Sunshine does it (CRC-32, as a positive int32; the index is appended on a collision).
 * Returns 0 or SKY_ERR(EINVAL) with a reason in err. */
int sky_th_apps_parse(const char *list, SkyThApp *apps, size_t cap, size_t *n, char *err,
                      size_t errlen);
/* Applies the --boxart list ("ID=MODE,...", MODE one of sky_th_boxart_names) to the n apps.
 * Returns 0 or SKY_ERR(EINVAL) with a reason in err. */
int sky_th_boxart_parse(const char *list, SkyThApp *apps, size_t n, char *err, size_t errlen);
const SkyThApp *sky_th_app_find(const SkyThHost *h, uint32_t id);

/* One event line on stdout for tests to wait on ("paired uniqueid=..."), flushed at once.
 * Thread-safe; lines from different threads never interleave. */
void sky_th_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Opens a socket of `type` (SOCK_STREAM: listening, with `backlog`; SOCK_DGRAM: with a 4 MiB
 * send buffer) bound to the numeric address addr and port (0: a free one, reported in
 * *port_out). Errors are logged, except EADDRINUSE (the caller knows what to say). */
int sky_th_bind(const char *addr, int port, int type, int backlog, int *fd_out,
                uint16_t *port_out);

/* Copies s into out (cap bytes, truncating) with control characters, non-ASCII and (unless
 * keep_spaces) spaces replaced by '?', so a peer's text fits in one log or event field. */
void sky_th_sanitize(const char *s, char *out, size_t cap, bool keep_spaces);

#endif
