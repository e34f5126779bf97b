/* Delay queue: holds (data, len) entries until their due time, for callers of the impairment
 * model (impair.h) and anything else that must release items at given times.
 *
 * A bounded binary min-heap keyed by (due_us, push order): entries due at the same time come out
 * in the order they were pushed. All memory is allocated by create; push and pop never allocate.
 * The queue stores the caller's pointer and length and never reads, copies or frees the data:
 * the caller owns the storage throughout (for example a pool of packet buffers) and gets the
 * pointer back from pop. Not thread-safe: one owner. */
#ifndef SKY_TESTHOST_IMPAIR_DELAYQ_H
#define SKY_TESTHOST_IMPAIR_DELAYQ_H

#include <stddef.h>
#include <stdint.h>

/* What next_due_us returns for an empty queue: later than any time. */
#define SKY_DELAYQ_NONE INT64_MAX

typedef struct SkyDelayQ SkyDelayQ;

typedef struct SkyDelayQItem {
    int64_t due_us;
    void *data; /* the caller's; never dereferenced by the queue */
    size_t len;
} SkyDelayQItem;

/* capacity >= 1 entries (at most 2^24). Returns 0, SKY_ERR(EINVAL) or SKY_ERR(ENOMEM). */
int sky_delayq_create(SkyDelayQ **out, size_t capacity);
/* Forgets the entries still held (their data stays the caller's: drain with sky_delayq_pop()
 * first if it must be freed). Accepts NULL; NULLs the pointer. */
void sky_delayq_destroy(SkyDelayQ **q);

/* Returns 0, or SKY_ERR(ENOSPC) when full (nothing stored). */
int sky_delayq_push(SkyDelayQ *q, int64_t due_us, void *data, size_t len);
/* The earliest due time, or SKY_DELAYQ_NONE when empty. */
int64_t sky_delayq_next_due_us(const SkyDelayQ *q);
/* Pops the earliest entry if it is due (due_us <= now_us). Returns 0, or SKY_ERR(EAGAIN) when
 * the queue is empty or nothing is due yet. */
int sky_delayq_pop_due(SkyDelayQ *q, int64_t now_us, SkyDelayQItem *item);
/* Pops the earliest entry whatever its time (draining). Returns 0 or SKY_ERR(EAGAIN) if empty. */
int sky_delayq_pop(SkyDelayQ *q, SkyDelayQItem *item);
size_t sky_delayq_count(const SkyDelayQ *q);
size_t sky_delayq_capacity(const SkyDelayQ *q);

#endif
