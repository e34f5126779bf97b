/* Bounded multi-producer multi-consumer queue of pointers, with abort, flush and a generation
 * counter. Bump the generation when what is queued can no longer be used (the video pipeline
 * does after a decode error, a decoder fall-back or a host restart of its frame numbers): items
 * pushed under an older generation are freed instead of delivered (ffplay's packet "serial").
 * Shutdown is: abort, signal/join the threads, then flush or destroy. */
#ifndef SKY_COMMON_QUEUE_H
#define SKY_COMMON_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct SkyQueue SkyQueue;

/* Frees one item the queue still owns (flush, stale generation, destroy). Called with no lock
 * held, from the thread that flushed or popped. */
typedef void (*SkyQueueFreeFn)(void *opaque, void *item);

typedef struct SkyQueueCfg {
    size_t capacity;         /* maximum items held, >= 1 */
    SkyQueueFreeFn free_fn;  /* required */
    void *opaque;            /* passed to free_fn */
} SkyQueueCfg;

int sky_queue_create(SkyQueue **out, const SkyQueueCfg *cfg);
/* Frees the items still queued. Accepts NULL; NULLs the pointer. No thread may still use it. */
void sky_queue_destroy(SkyQueue **q);

/* timeout_us: < 0 waits for ever, 0 does not wait, > 0 waits at most that long.
 * Push: on success the queue owns item. On failure the caller still owns it:
 *   SKY_ERR(EAGAIN) full and timeout 0, SKY_ERR(ETIMEDOUT), SKY_ERR(ESHUTDOWN) aborted,
 *   SKY_ERR(ESTALE) gen is not the queue's current generation. */
int sky_queue_push(SkyQueue *q, void *item, uint32_t gen, int64_t timeout_us);
/* Pop: on success *item belongs to the caller and *gen (if not NULL) is its generation.
 * Items of an older generation are freed on the way. Errors: SKY_ERR(EAGAIN),
 * SKY_ERR(ETIMEDOUT), SKY_ERR(ESHUTDOWN) once aborted (even if items remain). */
int sky_queue_pop(SkyQueue *q, void **item, uint32_t *gen, int64_t timeout_us);

/* Wakes every waiter; later push/pop fail with SKY_ERR(ESHUTDOWN). */
void sky_queue_abort(SkyQueue *q);
/* Frees every queued item. */
void sky_queue_flush(SkyQueue *q);
/* Flushes and starts a new generation; returns it. */
uint32_t sky_queue_bump_generation(SkyQueue *q);
uint32_t sky_queue_generation(SkyQueue *q);
size_t sky_queue_count(SkyQueue *q);
/* Items freed because their generation was stale or by flush (not by destroy). */
uint64_t sky_queue_discarded(SkyQueue *q);

#endif
