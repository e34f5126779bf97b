/* The delay queue: a bounded min-heap releasing datagrams at their due time (delayq.h). */
#include "tests/host/impair/delayq.h"

#include <stdbool.h>
#include <stdlib.h>

#include "common/core/error.h"

#define MAX_CAPACITY ((size_t)1 << 24)

typedef struct Entry {
    int64_t due_us;
    uint64_t order; /* push counter: ties on due_us leave in push order */
    void *data;
    size_t len;
} Entry;

struct SkyDelayQ {
    Entry *heap; /* capacity entries; heap[0..count) is a min-heap on (due_us, order) */
    size_t capacity;
    size_t count;
    uint64_t next_order;
};

static bool before(const Entry *a, const Entry *b)
{
    if (a->due_us != b->due_us)
        return a->due_us < b->due_us;
    return a->order < b->order;
}

int sky_delayq_create(SkyDelayQ **out, size_t capacity)
{
    *out = NULL;
    if (capacity == 0 || capacity > MAX_CAPACITY)
        return SKY_ERR(EINVAL);
    SkyDelayQ *q = calloc(1, sizeof(*q));
    if (!q)
        return SKY_ERR(ENOMEM);
    q->heap = calloc(capacity, sizeof(*q->heap));
    if (!q->heap) {
        free(q);
        return SKY_ERR(ENOMEM);
    }
    q->capacity = capacity;
    *out = q;
    return 0;
}

void sky_delayq_destroy(SkyDelayQ **q)
{
    if (!q || !*q)
        return;
    free((*q)->heap);
    free(*q);
    *q = NULL;
}

int sky_delayq_push(SkyDelayQ *q, int64_t due_us, void *data, size_t len)
{
    if (q->count == q->capacity)
        return SKY_ERR(ENOSPC);
    Entry e = {due_us, q->next_order++, data, len};
    size_t i = q->count++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&e, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = e;
    return 0;
}

int64_t sky_delayq_next_due_us(const SkyDelayQ *q)
{
    return q->count ? q->heap[0].due_us : SKY_DELAYQ_NONE;
}

int sky_delayq_pop(SkyDelayQ *q, SkyDelayQItem *item)
{
    if (q->count == 0)
        return SKY_ERR(EAGAIN);
    const Entry *top = &q->heap[0];
    item->due_us = top->due_us;
    item->data = top->data;
    item->len = top->len;
    /* Sift the last entry down from the root. */
    Entry last = q->heap[--q->count];
    size_t n = q->count, i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && before(&q->heap[child + 1], &q->heap[child]))
            child++;
        if (!before(&q->heap[child], &last))
            break;
        q->heap[i] = q->heap[child];
        i = child;
    }
    if (n > 0)
        q->heap[i] = last;
    return 0;
}

int sky_delayq_pop_due(SkyDelayQ *q, int64_t now_us, SkyDelayQItem *item)
{
    if (q->count == 0 || q->heap[0].due_us > now_us)
        return SKY_ERR(EAGAIN);
    return sky_delayq_pop(q, item);
}

size_t sky_delayq_count(const SkyDelayQ *q)
{
    return q->count;
}

size_t sky_delayq_capacity(const SkyDelayQ *q)
{
    return q->capacity;
}
