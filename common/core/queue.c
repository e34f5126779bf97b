/* The bounded pointer queue with abort, flush and generations (queue.h). */
#define _POSIX_C_SOURCE 200809L
#include "common/core/queue.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/core/error.h"

typedef struct Slot {
    void *item;
    uint32_t gen;
    uint64_t serial; /* order of the push; lets a flush tell old items from newer ones */
} Slot;

struct SkyQueue {
    SkyQueueFreeFn free_fn;
    void *opaque;
    size_t capacity;

    /* Guarded by lock. */
    pthread_mutex_t lock;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    Slot *slots;
    size_t head;  /* next to pop */
    size_t count;
    uint32_t gen;
    uint64_t next_serial;
    bool aborted;
    uint64_t discarded;
};

int sky_queue_create(SkyQueue **out, const SkyQueueCfg *cfg)
{
    *out = NULL;
    if (!cfg || cfg->capacity == 0 || !cfg->free_fn)
        return SKY_ERR(EINVAL);
    SkyQueue *q = calloc(1, sizeof(*q));
    if (!q)
        return SKY_ERR(ENOMEM);
    q->slots = calloc(cfg->capacity, sizeof(*q->slots));
    if (!q->slots) {
        free(q);
        return SKY_ERR(ENOMEM);
    }
    q->capacity = cfg->capacity;
    q->free_fn = cfg->free_fn;
    q->opaque = cfg->opaque;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_empty, &ca);
    pthread_cond_init(&q->not_full, &ca);
    pthread_condattr_destroy(&ca);
    *out = q;
    return 0;
}

/* Frees items outside the lock; `items` holds them. */
static void free_items(SkyQueue *q, Slot *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        q->free_fn(q->opaque, items[i].item);
}

void sky_queue_destroy(SkyQueue **pq)
{
    SkyQueue *q = *pq;
    if (!q)
        return;
    for (size_t i = 0; i < q->count; i++)
        q->free_fn(q->opaque, q->slots[(q->head + i) % q->capacity].item);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    pthread_mutex_destroy(&q->lock);
    free(q->slots);
    free(q);
    *pq = NULL;
}

/* Waits on cond until woken or the deadline passes. Returns false on timeout. */
static bool wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, const struct timespec *deadline)
{
    if (!deadline) {
        pthread_cond_wait(cond, lock);
        return true;
    }
    return pthread_cond_timedwait(cond, lock, deadline) == 0;
}

static struct timespec *make_deadline(struct timespec *ts, int64_t timeout_us)
{
    if (timeout_us < 0)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, ts);
    int64_t ns = ts->tv_nsec + (timeout_us % 1000000) * 1000;
    ts->tv_sec += (time_t)(timeout_us / 1000000 + ns / 1000000000);
    ts->tv_nsec = (long)(ns % 1000000000);
    return ts;
}

int sky_queue_push(SkyQueue *q, void *item, uint32_t gen, int64_t timeout_us)
{
    struct timespec ts, *deadline = NULL;
    int ret = 0;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        if (q->aborted) {
            ret = SKY_ERR(ESHUTDOWN);
            break;
        }
        if (gen != q->gen) {
            ret = SKY_ERR(ESTALE);
            break;
        }
        if (q->count < q->capacity) {
            q->slots[(q->head + q->count) % q->capacity] = (Slot){item, gen, q->next_serial++};
            q->count++;
            pthread_cond_signal(&q->not_empty);
            break;
        }
        if (timeout_us == 0) {
            ret = SKY_ERR(EAGAIN);
            break;
        }
        if (!deadline && timeout_us > 0)
            deadline = make_deadline(&ts, timeout_us);
        if (!wait_until(&q->not_full, &q->lock, deadline) && q->count == q->capacity) {
            ret = SKY_ERR(ETIMEDOUT);
            break;
        }
    }
    pthread_mutex_unlock(&q->lock);
    return ret;
}

int sky_queue_pop(SkyQueue *q, void **item, uint32_t *gen, int64_t timeout_us)
{
    struct timespec ts, *deadline = NULL;
    Slot stale[8];
    size_t n_stale = 0;
    int ret;
    *item = NULL;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        if (q->aborted) {
            ret = SKY_ERR(ESHUTDOWN);
            break;
        }
        if (q->count > 0) {
            Slot s = q->slots[q->head];
            q->head = (q->head + 1) % q->capacity;
            q->count--;
            pthread_cond_signal(&q->not_full);
            if (s.gen != q->gen) {
                q->discarded++;
                stale[n_stale++] = s;
                if (n_stale == sizeof(stale) / sizeof(stale[0])) {
                    pthread_mutex_unlock(&q->lock);
                    free_items(q, stale, n_stale);
                    n_stale = 0;
                    pthread_mutex_lock(&q->lock);
                }
                continue;
            }
            *item = s.item;
            if (gen)
                *gen = s.gen;
            ret = 0;
            break;
        }
        if (timeout_us == 0) {
            ret = SKY_ERR(EAGAIN);
            break;
        }
        if (!deadline && timeout_us > 0)
            deadline = make_deadline(&ts, timeout_us);
        if (!wait_until(&q->not_empty, &q->lock, deadline) && q->count == 0 && !q->aborted) {
            ret = SKY_ERR(ETIMEDOUT);
            break;
        }
    }
    pthread_mutex_unlock(&q->lock);
    free_items(q, stale, n_stale);
    return ret;
}

void sky_queue_abort(SkyQueue *q)
{
    pthread_mutex_lock(&q->lock);
    q->aborted = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

/* Takes out every item queued when the drain started, under the lock, and frees them outside
 * it, in batches. Items pushed meanwhile (into the room the drain makes) are newer than the
 * flush and stay queued. */
static void drain(SkyQueue *q, bool bump)
{
    Slot batch[16];
    bool first = true;
    uint64_t limit = 0;
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&q->lock);
        if (first) {
            if (bump)
                q->gen++;
            limit = q->next_serial;
            first = false;
        }
        while (q->count > 0 && n < sizeof(batch) / sizeof(batch[0]) &&
               q->slots[q->head].serial < limit) {
            batch[n++] = q->slots[q->head];
            q->head = (q->head + 1) % q->capacity;
            q->count--;
        }
        q->discarded += n;
        pthread_cond_broadcast(&q->not_full);
        pthread_mutex_unlock(&q->lock);
        if (n == 0)
            return;
        free_items(q, batch, n);
    }
}

void sky_queue_flush(SkyQueue *q)
{
    drain(q, false);
}

uint32_t sky_queue_bump_generation(SkyQueue *q)
{
    drain(q, true);
    return sky_queue_generation(q);
}

uint32_t sky_queue_generation(SkyQueue *q)
{
    pthread_mutex_lock(&q->lock);
    uint32_t g = q->gen;
    pthread_mutex_unlock(&q->lock);
    return g;
}

size_t sky_queue_count(SkyQueue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}

uint64_t sky_queue_discarded(SkyQueue *q)
{
    pthread_mutex_lock(&q->lock);
    uint64_t n = q->discarded;
    pthread_mutex_unlock(&q->lock);
    return n;
}
