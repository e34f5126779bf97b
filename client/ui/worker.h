/* The launcher's host requests, off the main thread: a few worker threads take jobs (ask a host
 * how it is, list its apps, fetch box art, pair, quit its app, wake it) from a bounded queue
 * and hand back results; the main thread is woken with an SDL user event and never waits for
 * the network. A host that answers slowly (up to --timeout per request) holds one worker; the
 * others go on.
 *
 * Threads: create, destroy, submit, cancel and take are the main thread's. Each worker opens
 * its own SkyHostClient per job (clients are single-threaded); the identity is shared
 * read-only. The queue and the results are guarded by one mutex (a leaf). */
#ifndef SKY_CLIENT_UI_WORKER_H
#define SKY_CLIENT_UI_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <SDL.h>

#include "client/host/identity.h"
#include "common/proto/hostapi.h"

#define SKY_WORKER_THREADS 4
#define SKY_WORKER_QUEUE 256         /* jobs waiting; more are refused */
#define SKY_WORKER_ART_MAX 64        /* apps whose box art one job fetches */

typedef enum SkyJobKind {
    SKY_JOB_POLL,       /* /serverinfo: online, paired, busy (result: info) */
    SKY_JOB_APPS,       /* /applist (result: apps, info) */
    SKY_JOB_ART,        /* box art of appids[], one result per app (result: appid, art) */
    SKY_JOB_PAIR,       /* pairing with pin (result: info once paired) */
    SKY_JOB_QUIT_APP,   /* /cancel */
} SkyJobKind;

typedef struct SkyJob {
    SkyJobKind kind;
    uint64_t tag;                    /* the caller's: results carry it back */
    char host[320];                  /* as sky_host_client_open takes it: a known host's unique
                                      * id, or an address[:port] */
    char pin[8];                     /* PAIR */
    int64_t pin_timeout_ms;          /* PAIR */
    uint32_t appids[SKY_WORKER_ART_MAX]; /* ART */
    size_t n_appids;
    int64_t timeout_ms;              /* per request; 0: the worker's */
    bool urgent;                     /* the user waits for it: ahead of the queue */
} SkyJob;

typedef struct SkyJobResult {
    SkyJobKind kind;
    uint64_t tag;
    int ret;                         /* 0 or the error */
    char err[512];                   /* a one-line reason when ret < 0 */
    bool have_info;
    SkyServerInfo info;              /* what the host said of itself */
    bool paired;                     /* paired here, the host agreeing */
    char address[320];               /* the address it answered at */
    SkyAppList apps;                 /* APPS: the caller's (sky_applist_free) */
    uint32_t appid;                  /* ART */
    SDL_Surface *art;                /* ART: the caller's (SDL_FreeSurface), NULL when none */
} SkyJobResult;

typedef struct SkyWorker SkyWorker;

typedef struct SkyWorkerCfg {
    const char *config_dir;          /* known hosts */
    const char *cache_dir;           /* box art; "" keeps none */
    const SkyIdentity *id;           /* borrowed, outlives the worker */
    int64_t timeout_ms;              /* per request */
    uint32_t wake_event;             /* an SDL event type (SDL_RegisterEvents) pushed when a
                                      * result is ready, at most once until taken */
} SkyWorkerCfg;

int sky_worker_create(SkyWorker **out, const SkyWorkerCfg *cfg);
/* Cancels everything running, drops what waits, joins the threads and frees the results not
 * taken. Accepts NULL; NULLs the pointer. */
void sky_worker_destroy(SkyWorker **w);

/* Queues a job (copied), at the end, or at the head when it is urgent. SKY_ERR(EAGAIN) when
 * the queue is full. */
int sky_worker_submit(SkyWorker *w, const SkyJob *job);
/* Cancels the jobs with this tag: dropped if waiting, asked to stop if running (their result
 * still comes, with SKY_ERR(ECANCELED)). */
void sky_worker_cancel(SkyWorker *w, uint64_t tag);
/* Takes one result: true with *out filled (the caller frees apps and art), false when none. */
bool sky_worker_take(SkyWorker *w, SkyJobResult *out);
/* Frees what a result holds. */
void sky_job_result_clear(SkyJobResult *r);

#endif
