/* The launcher's worker threads: jobs from a bounded queue, each on its own SkyHostClient,
 * results handed back under the same lock (worker.h). */
#define _POSIX_C_SOURCE 200809L
#include "client/ui/worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/host/boxart.h"
#include "client/host/host_client.h"
#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "launcher"

typedef struct ResultNode {
    SkyJobResult r;
    struct ResultNode *next;
} ResultNode;

typedef struct Slot {
    SkyWorker *w;
    pthread_t thread;
    bool started;
    atomic_bool cancel;          /* the running job's */
    uint64_t tag;                /* the running job's, under lock; 0 when idle */
    bool busy;
} Slot;

struct SkyWorker {
    SkyWorkerCfg cfg;
    char config_dir[4096];
    char cache_dir[4096];

    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool quit;
    SkyJob *queue;               /* a ring of SKY_WORKER_QUEUE */
    size_t head, count;
    ResultNode *results, **results_tail;
    bool wake_pending;           /* an SDL event is on its way and not yet answered by take */
    Slot slots[SKY_WORKER_THREADS];
};

/* Under lock. */
static void post_locked(SkyWorker *w, ResultNode *n)
{
    n->next = NULL;
    *w->results_tail = n;
    w->results_tail = &n->next;
    if (!w->wake_pending) {
        w->wake_pending = true;
        SDL_Event ev = {.type = w->cfg.wake_event};
        SDL_PushEvent(&ev);
    }
}

static void post(SkyWorker *w, ResultNode *n)
{
    pthread_mutex_lock(&w->lock);
    post_locked(w, n);
    pthread_mutex_unlock(&w->lock);
}

static ResultNode *new_result(const SkyJob *job)
{
    ResultNode *n = calloc(1, sizeof(*n));
    if (n) {
        n->r.kind = job->kind;
        n->r.tag = job->tag;
    }
    return n;
}

static void fill_host(SkyJobResult *r, SkyHostClient *hc)
{
    r->have_info = true;
    r->info = *sky_host_client_info(hc);
    r->paired = sky_host_client_paired(hc);
    snprintf(r->address, sizeof(r->address), "%s", sky_host_client_address(hc));
}

/* Box art, one result per app, the first failure to reach the host ending the job. */
static void run_art(Slot *s, SkyHostClient *hc, const SkyJob *job)
{
    SkyWorker *w = s->w;
    for (size_t i = 0; i < job->n_appids && !atomic_load(&s->cancel); i++) {
        ResultNode *n = new_result(job);
        if (!n)
            return;
        n->r.appid = job->appids[i];
        SkyBoxArt art = {0};
        n->r.ret = sky_boxart_get(hc, w->cache_dir, job->appids[i], true, &art, n->r.err,
                                  sizeof(n->r.err));
        if (n->r.ret == 0) {
            n->r.art = art.surface; /* taken over */
            art.surface = NULL;
        }
        sky_boxart_clear(&art);
        bool unreachable = n->r.ret == SKY_ERR(ETIMEDOUT) || n->r.ret == SKY_ERR(ECONNREFUSED) ||
                           n->r.ret == SKY_ERR(ECANCELED);
        post(w, n);
        if (unreachable)
            return;
    }
}

static void run_job(Slot *s, const SkyJob *job)
{
    SkyWorker *w = s->w;
    SkyHostClient *hc = NULL;
    SkyHostClientCfg hcfg = {w->config_dir, w->cfg.id, job->host,
                             job->timeout_ms > 0 ? job->timeout_ms : w->cfg.timeout_ms,
                             &s->cancel};
    char err[512] = "";
    int ret = sky_host_client_open(&hc, &hcfg, err, sizeof(err));
    if (ret == 0 && job->kind == SKY_JOB_ART) {
        run_art(s, hc, job);
        sky_host_client_destroy(&hc);
        return;
    }
    ResultNode *n = new_result(job);
    if (!n) {
        sky_host_client_destroy(&hc);
        return;
    }
    SkyJobResult *r = &n->r;
    if (ret == 0) {
        switch (job->kind) {
        case SKY_JOB_APPS:
            ret = sky_host_client_applist(hc, &r->apps, err, sizeof(err));
            break;
        case SKY_JOB_PAIR:
            ret = sky_host_client_pair(hc, job->pin, job->pin_timeout_ms, NULL, NULL, err,
                                       sizeof(err));
            break;
        case SKY_JOB_QUIT_APP:
            ret = sky_host_client_quit(hc, err, sizeof(err));
            break;
        default:
            break;
        }
        fill_host(r, hc);
        if (job->kind == SKY_JOB_PAIR && ret == 0)
            r->paired = true;
    }
    if (ret < 0 && atomic_load(&s->cancel))
        ret = SKY_ERR(ECANCELED);
    r->ret = ret;
    snprintf(r->err, sizeof(r->err), "%s", ret < 0 ? (err[0] ? err : sky_strerror(ret)) : "");
    sky_host_client_destroy(&hc);
    post(w, n);
}

static void *worker_thread(void *arg)
{
    Slot *s = arg;
    SkyWorker *w = s->w;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->quit && w->count == 0)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->quit)
            break;
        SkyJob job = w->queue[w->head];
        w->head = (w->head + 1) % SKY_WORKER_QUEUE;
        w->count--;
        s->busy = true;
        s->tag = job.tag;
        atomic_store(&s->cancel, false);
        pthread_mutex_unlock(&w->lock);
        run_job(s, &job);
        pthread_mutex_lock(&w->lock);
        s->busy = false;
        s->tag = 0;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int sky_worker_create(SkyWorker **out, const SkyWorkerCfg *cfg)
{
    *out = NULL;
    SkyWorker *w = calloc(1, sizeof(*w));
    if (!w)
        return SKY_ERR(ENOMEM);
    w->queue = calloc(SKY_WORKER_QUEUE, sizeof(*w->queue));
    if (!w->queue) {
        free(w);
        return SKY_ERR(ENOMEM);
    }
    w->cfg = *cfg;
    snprintf(w->config_dir, sizeof(w->config_dir), "%s", cfg->config_dir);
    snprintf(w->cache_dir, sizeof(w->cache_dir), "%s", cfg->cache_dir ? cfg->cache_dir : "");
    w->cfg.config_dir = w->config_dir;
    w->cfg.cache_dir = w->cache_dir;
    w->results_tail = &w->results;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    for (int i = 0; i < SKY_WORKER_THREADS; i++) {
        Slot *s = &w->slots[i];
        s->w = w;
        atomic_init(&s->cancel, false);
        if (pthread_create(&s->thread, NULL, worker_thread, s) != 0) {
            sky_worker_destroy(&w);
            return SKY_ERR(EAGAIN);
        }
        s->started = true;
    }
    *out = w;
    return 0;
}

void sky_worker_destroy(SkyWorker **pw)
{
    SkyWorker *w = *pw;
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->quit = true;
    for (int i = 0; i < SKY_WORKER_THREADS; i++)
        atomic_store(&w->slots[i].cancel, true);
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < SKY_WORKER_THREADS; i++)
        if (w->slots[i].started)
            pthread_join(w->slots[i].thread, NULL);
    SkyJobResult r;
    while (sky_worker_take(w, &r))
        sky_job_result_clear(&r);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w->queue);
    free(w);
    *pw = NULL;
}

int sky_worker_submit(SkyWorker *w, const SkyJob *job)
{
    pthread_mutex_lock(&w->lock);
    int ret = 0;
    if (w->count == SKY_WORKER_QUEUE) {
        ret = SKY_ERR(EAGAIN);
    } else if (job->urgent) {
        w->head = (w->head + SKY_WORKER_QUEUE - 1) % SKY_WORKER_QUEUE;
        w->queue[w->head] = *job;
        w->count++;
        pthread_cond_signal(&w->cond);
    } else {
        w->queue[(w->head + w->count) % SKY_WORKER_QUEUE] = *job;
        w->count++;
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
    if (ret < 0)
        SKY_LOGW(TAG, "too many host requests waiting: one is dropped");
    return ret;
}

void sky_worker_cancel(SkyWorker *w, uint64_t tag)
{
    pthread_mutex_lock(&w->lock);
    size_t kept = 0;
    for (size_t i = 0; i < w->count; i++) {
        const SkyJob *j = &w->queue[(w->head + i) % SKY_WORKER_QUEUE];
        if (j->tag != tag)
            w->queue[(w->head + kept++) % SKY_WORKER_QUEUE] = *j;
    }
    w->count = kept;
    for (int i = 0; i < SKY_WORKER_THREADS; i++)
        if (w->slots[i].busy && w->slots[i].tag == tag)
            atomic_store(&w->slots[i].cancel, true);
    pthread_mutex_unlock(&w->lock);
}

bool sky_worker_take(SkyWorker *w, SkyJobResult *out)
{
    pthread_mutex_lock(&w->lock);
    ResultNode *n = w->results;
    if (n) {
        w->results = n->next;
        if (!w->results)
            w->results_tail = &w->results;
    } else {
        w->wake_pending = false; /* all taken: the next result wakes the main thread again */
    }
    pthread_mutex_unlock(&w->lock);
    if (!n)
        return false;
    *out = n->r;
    free(n);
    return true;
}

void sky_job_result_clear(SkyJobResult *r)
{
    sky_applist_free(&r->apps);
    if (r->art)
        SDL_FreeSurface(r->art);
    r->art = NULL;
}
