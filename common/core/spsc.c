/* The lock-free single-producer single-consumer byte ring (spsc.h). */
#include "common/core/spsc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"

struct SkySpsc {
    uint8_t *buf;
    size_t mask;
    /* Written by the producer only. */
    _Alignas(64) _Atomic size_t head;
    /* Written by the consumer only. */
    _Alignas(64) _Atomic size_t tail;
};

int sky_spsc_create(SkySpsc **out, size_t capacity_bytes)
{
    *out = NULL;
    if (capacity_bytes == 0 || capacity_bytes > ((size_t)1 << 30))
        return SKY_ERR(EINVAL);
    size_t cap = 1;
    while (cap < capacity_bytes)
        cap <<= 1;
    SkySpsc *r = calloc(1, sizeof(*r));
    if (!r)
        return SKY_ERR(ENOMEM);
    r->buf = malloc(cap);
    if (!r->buf) {
        free(r);
        return SKY_ERR(ENOMEM);
    }
    r->mask = cap - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    *out = r;
    return 0;
}

void sky_spsc_destroy(SkySpsc **pr)
{
    SkySpsc *r = *pr;
    if (!r)
        return;
    free(r->buf);
    free(r);
    *pr = NULL;
}

size_t sky_spsc_capacity(const SkySpsc *r)
{
    return r->mask + 1;
}

size_t sky_spsc_write(SkySpsc *r, const void *src, size_t n)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t space = r->mask + 1 - (head - tail);
    if (n > space)
        n = space;
    size_t off = head & r->mask;
    size_t first = r->mask + 1 - off;
    if (first > n)
        first = n;
    memcpy(r->buf + off, src, first);
    memcpy(r->buf, (const uint8_t *)src + first, n - first);
    atomic_store_explicit(&r->head, head + n, memory_order_release);
    return n;
}

size_t sky_spsc_read(SkySpsc *r, void *dst, size_t n)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t avail = head - tail;
    if (n > avail)
        n = avail;
    size_t off = tail & r->mask;
    size_t first = r->mask + 1 - off;
    if (first > n)
        first = n;
    memcpy(dst, r->buf + off, first);
    memcpy((uint8_t *)dst + first, r->buf, n - first);
    atomic_store_explicit(&r->tail, tail + n, memory_order_release);
    return n;
}

size_t sky_spsc_fill(const SkySpsc *r)
{
    size_t tail = atomic_load_explicit(&((SkySpsc *)r)->tail, memory_order_acquire);
    size_t head = atomic_load_explicit(&((SkySpsc *)r)->head, memory_order_acquire);
    return head - tail;
}

void sky_spsc_clear(SkySpsc *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    atomic_store_explicit(&r->tail, head, memory_order_release);
}
