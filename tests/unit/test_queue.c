/* Unit tests for common/queue: the bounded MPMC queue with abort, flush and generations.
 * Worker threads never call cmocka's asserts (they longjmp); they record what they saw and the
 * main thread checks it after joining. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "common/core/queue.h"
#include "common/core/time.h"

/* Items are slots of a fixed array; free_fn counts how often each one was freed. */
#define N_ITEMS 64

typedef struct Tracker {
    int items[N_ITEMS];
    _Atomic int freed[N_ITEMS];
    _Atomic int total_freed;
} Tracker;

static void track_free(void *opaque, void *item)
{
    Tracker *t = opaque;
    int *p = item;
    if (p >= t->items && p < t->items + N_ITEMS)
        atomic_fetch_add(&t->freed[p - t->items], 1);
    atomic_fetch_add(&t->total_freed, 1);
}

static void tracker_init(Tracker *t)
{
    for (int i = 0; i < N_ITEMS; i++) {
        t->items[i] = i;
        atomic_init(&t->freed[i], 0);
    }
    atomic_init(&t->total_freed, 0);
}

static SkyQueue *make_queue(Tracker *t, size_t capacity)
{
    SkyQueueCfg cfg = {.capacity = capacity, .free_fn = track_free, .opaque = t};
    SkyQueue *q = NULL;
    assert_int_equal(sky_queue_create(&q, &cfg), 0);
    assert_non_null(q);
    return q;
}

static void test_create_rejects_bad_config(void **state)
{
    (void)state;
    SkyQueue *q = (SkyQueue *)&q;
    SkyQueueCfg cfg = {.capacity = 0, .free_fn = track_free};
    assert_int_equal(sky_queue_create(&q, &cfg), SKY_ERR(EINVAL));
    assert_null(q);
    cfg = (SkyQueueCfg){.capacity = 4, .free_fn = NULL};
    assert_int_equal(sky_queue_create(&q, &cfg), SKY_ERR(EINVAL));
    assert_null(q);
    assert_int_equal(sky_queue_create(&q, NULL), SKY_ERR(EINVAL));
    assert_null(q);
    /* destroy accepts NULL */
    sky_queue_destroy(&q);
    assert_null(q);
}

static void test_capacity_and_fifo(void **state)
{
    (void)state;
    Tracker t;
    tracker_init(&t);
    SkyQueue *q = make_queue(&t, 4);
    assert_int_equal(sky_queue_generation(q), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(sky_queue_push(q, &t.items[i], 0, 0), 0);
    assert_int_equal(sky_queue_count(q), 4);
    /* Full: EAGAIN without waiting, and the caller keeps the item. */
    assert_int_equal(sky_queue_push(q, &t.items[4], 0, 0), SKY_ERR(EAGAIN));
    assert_int_equal(atomic_load(&t.freed[4]), 0);
    assert_int_equal(sky_queue_count(q), 4);

    for (int i = 0; i < 4; i++) {
        void *item = NULL;
        uint32_t gen = 99;
        assert_int_equal(sky_queue_pop(q, &item, &gen, 0), 0);
        assert_ptr_equal(item, &t.items[i]);
        assert_int_equal(gen, 0);
    }
    void *item = &t;
    assert_int_equal(sky_queue_pop(q, &item, NULL, 0), SKY_ERR(EAGAIN));
    assert_null(item);
    assert_int_equal(sky_queue_count(q), 0);
    assert_int_equal(atomic_load(&t.total_freed), 0);
    assert_int_equal(sky_queue_discarded(q), 0);
    sky_queue_destroy(&q);
    assert_null(q);
    assert_int_equal(atomic_load(&t.total_freed), 0);
}

static void test_ring_wraps_in_order(void **state)
{
    (void)state;
    Tracker t;
    tracker_init(&t);
    SkyQueue *q = make_queue(&t, 3);
    int next_in = 0, next_out = 0;
    /* Keep 1 to 3 items queued while the head goes round the 3 slots many times. */
    for (int round = 0; round < 500; round++) {
        int push = 1 + round % 3;
        for (int i = 0; i < push && sky_queue_count(q) < 3; i++) {
            assert_int_equal(sky_queue_push(q, &t.items[next_in % N_ITEMS], 0, 0), 0);
            next_in++;
        }
        int pop = 1 + (round * 7) % 3;
        for (int i = 0; i < pop && next_out < next_in; i++) {
            void *item;
            assert_int_equal(sky_queue_pop(q, &item, NULL, 0), 0);
            assert_ptr_equal(item, &t.items[next_out % N_ITEMS]);
            next_out++;
        }
    }
    assert_true(next_in > 300);
    assert_int_equal(sky_queue_count(q), (size_t)(next_in - next_out));
    sky_queue_destroy(&q);
    assert_int_equal(atomic_load(&t.total_freed), next_in - next_out);
}

static void test_timeouts(void **state)
{
    (void)state;
    Tracker t;
    tracker_init(&t);
    SkyQueue *q = make_queue(&t, 1);
    void *item = &t;
    /* Empty: a short wait times out. How long it took is not a pass/fail matter. */
    assert_int_equal(sky_queue_pop(q, &item, NULL, 2000), SKY_ERR(ETIMEDOUT));
    assert_null(item);
    assert_int_equal(sky_queue_push(q, &t.items[0], 0, 2000), 0);
    assert_int_equal(sky_queue_push(q, &t.items[1], 0, 2000), SKY_ERR(ETIMEDOUT));
    assert_int_equal(atomic_load(&t.freed[1]), 0);
    /* Over a second, so the deadline's seconds field carries. */
    assert_int_equal(sky_queue_push(q, &t.items[1], 0, 1000001), SKY_ERR(ETIMEDOUT));
    assert_int_equal(sky_queue_pop(q, &item, NULL, 2000), 0);
    assert_ptr_equal(item, &t.items[0]);
    sky_queue_destroy(&q);
    assert_int_equal(atomic_load(&t.total_freed), 0);
}

typedef struct Blocked {
    SkyQueue *q;
    Tracker *t;
    int item_index;
    int64_t timeout_us;
    _Atomic int started;
    int ret;
    void *popped;
} Blocked;

static void *blocked_pop(void *arg)
{
    Blocked *b = arg;
    atomic_store(&b->started, 1);
    b->ret = sky_queue_pop(b->q, &b->popped, NULL, b->timeout_us);
    return NULL;
}

static void *blocked_push(void *arg)
{
    Blocked *b = arg;
    atomic_store(&b->started, 1);
    b->ret = sky_queue_push(b->q, &b->t->items[b->item_index], 0, b->timeout_us);
    return NULL;
}

/* Starts fn and gives it a moment to block. Correctness does not depend on the sleep: if the
 * thread is late, it finds the state already changed and returns the same result. */
static void start_and_settle(pthread_t *th, void *(*fn)(void *), Blocked *b)
{
    atomic_init(&b->started, 0);
    b->ret = 12345;
    assert_int_equal(pthread_create(th, NULL, fn, b), 0);
    while (!atomic_load(&b->started))
        sky_sleep_us(100);
    sky_sleep_us(20000);
}

static void test_abort_wakes_blocked_pop(void **state)
{
    (void)state;
    Tracker t;
    tracker_init(&t);
    SkyQueue *q = make_queue(&t, 2);
    Blocked b = {.q = q, .t = &t, .timeout_us = -1};
    pthread_t th;
    start_and_settle(&th, blocked_pop, &b);
    sky_queue_abort(q);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(b.ret, SKY_ERR(ESHUTDOWN));
    assert_null(b.popped);
    sky_queue_destroy(&q);
}

static void test_abort_wakes_blocked_push(void **state)
{
    (void)state;
    Tracker t;
    tracker_init(&t);
    SkyQueue *q = make_queue(&t, 2);
    assert_int_equal(sky_queue_push(q, &t.items[0], 0, 0), 0);
    assert_int_equal(sky_queue_push(q, &t.items[1], 0, 0), 0);
    Blocked b = {.q = q, .t = &t, .item_index = 2, .timeout_us = -1};
    pthread_t th;
    start_and_settle(&th, blocked_push, &b);
    sky_queue_abort(q);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(b.ret, SKY_ERR(ESHUTDOWN));
    assert_int_equal(atomic_load(&t.freed[2]), 0); /* the pusher still owns it */

    /* After abort: push refused, pop refused although items remain. */
    assert_int_equal(sky_queue_push(q, &t.items[3], 0, 0), SKY_ERR(ESHUTDOWN));
    void *item = &t;
    assert_int_equal(sky_queue_pop(q, &item, NULL, 0), SKY_ERR(ESHUTDOWN));
    assert_null(item);
    assert_int_equal(sky_queue_pop(q, &item, NULL, -1), SKY_ERR(ESHUTDOWN));
    assert_int_equal(sky_queue_count(q), 2);
    /* destroy frees the two remaining items exactly once; nothing else. */
    sky_queue_destroy(&q);
    assert_int_equal(atomic_load(&t.freed[0]), 1);
    assert_int_equal(atomic_load(&t.freed[1]), 1);
    assert_int_equal(atomic_load(&t.total_freed), 2);
}

static void test_pop_makes_room_for_blocked_push(void **state)
{
    (void)state;
    Tracker t;
    tracker_init(&t);
    SkyQueue *q = make_queue(&t, 1);
    assert_int_equal(sky_queue_push(q, &t.items[0], 0, 0), 0);
    Blocked b = {.q = q, .t = &t, .item_index = 1, .timeout_us = -1};
    pthread_t th;
    start_and_settle(&th, blocked_push, &b);
    void *item;
    assert_int_equal(sky_queue_pop(q, &item, NULL, -1), 0);
    assert_ptr_equal(item, &t.items[0]);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(b.ret, 0);
    assert_int_equal(sky_queue_pop(q, &item, NULL, -1), 0);
    assert_ptr_equal(item, &t.items[1]);

    /* A push wakes a blocked pop. */
    Blocked c = {.q = q, .t = &t, .timeout_us = -1};
    start_and_settle(&th, blocked_pop, &c);
    assert_int_equal(sky_queue_push(q, &t.items[5], 0, 0), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(c.ret, 0);
    assert_ptr_equal(c.popped, &t.items[5]);

    /* A flush makes room for a blocked push too. */
    assert_int_equal(sky_queue_push(q, &t.items[6], 0, 0), 0);
    Blocked d = {.q = q, .t = &t, .item_index = 7, .timeout_us = -1};
    start_and_settle(&th, blocked_push, &d);
    sky_queue_flush(q);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(d.ret, 0);
    assert_int_equal(atomic_load(&t.freed[6]), 1);
    assert_int_equal(sky_queue_count(q), 1);
    sky_queue_destroy(&q);
    assert_int_equal(atomic_load(&t.freed[7]), 1);
    assert_int_equal(atomic_load(&t.total_freed), 2);
}

static void test_flush_frees_exactly_once(void **state)
{
    (void)state;
    Tracker t;
    tracker_init(&t);
    SkyQueue *q = make_queue(&t, 40);
    /* 37 items: more than one of flush's internal batches. */
    for (int i = 0; i < 37; i++)
        assert_int_equal(sky_queue_push(q, &t.items[i], 0, 0), 0);
    sky_queue_flush(q);
    assert_int_equal(sky_queue_count(q), 0);
    assert_int_equal(sky_queue_discarded(q), 37);
    for (int i = 0; i < N_ITEMS; i++)
        assert_int_equal(atomic_load(&t.freed[i]), i < 37 ? 1 : 0);
    /* Flushing an empty queue frees nothing; the generation is unchanged. */
    sky_queue_flush(q);
    assert_int_equal(atomic_load(&t.total_freed), 37);
    assert_int_equal(sky_queue_generation(q), 0);
    /* The queue is usable afterwards, in order. */
    assert_int_equal(sky_queue_push(q, &t.items[40], 0, 0), 0);
    assert_int_equal(sky_queue_push(q, &t.items[41], 0, 0), 0);
    void *item;
    assert_int_equal(sky_queue_pop(q, &item, NULL, 0), 0);
    assert_ptr_equal(item, &t.items[40]);
    sky_queue_destroy(&q);
    assert_int_equal(atomic_load(&t.freed[41]), 1);
    assert_int_equal(atomic_load(&t.freed[40]), 0); /* popped: the caller owned it */
    assert_int_equal(atomic_load(&t.total_freed), 38);
}

static void test_generation(void **state)
{
    (void)state;
    Tracker t;
    tracker_init(&t);
    SkyQueue *q = make_queue(&t, 8);
    for (int i = 0; i < 5; i++)
        assert_int_equal(sky_queue_push(q, &t.items[i], 0, 0), 0);
    assert_int_equal(sky_queue_bump_generation(q), 1);
    assert_int_equal(sky_queue_generation(q), 1);
    assert_int_equal(sky_queue_count(q), 0);
    assert_int_equal(sky_queue_discarded(q), 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(atomic_load(&t.freed[i]), 1);

    /* A producer still on the old generation is refused and keeps its item. */
    assert_int_equal(sky_queue_push(q, &t.items[10], 0, 0), SKY_ERR(ESTALE));
    assert_int_equal(sky_queue_push(q, &t.items[10], 0, -1), SKY_ERR(ESTALE));
    assert_int_equal(sky_queue_push(q, &t.items[10], 7, 0), SKY_ERR(ESTALE));
    assert_int_equal(atomic_load(&t.freed[10]), 0);
    assert_int_equal(sky_queue_count(q), 0);

    assert_int_equal(sky_queue_push(q, &t.items[11], 1, 0), 0);
    void *item;
    uint32_t gen = 0;
    assert_int_equal(sky_queue_pop(q, &item, &gen, 0), 0);
    assert_ptr_equal(item, &t.items[11]);
    assert_int_equal(gen, 1);

    /* Bumping repeatedly keeps counting; an empty bump frees nothing. */
    assert_int_equal(sky_queue_bump_generation(q), 2);
    assert_int_equal(sky_queue_push(q, &t.items[12], 2, 0), 0);
    assert_int_equal(sky_queue_bump_generation(q), 3);
    assert_int_equal(atomic_load(&t.freed[12]), 1);
    assert_int_equal(sky_queue_discarded(q), 6);
    assert_int_equal(atomic_load(&t.total_freed), 6);
    sky_queue_destroy(&q);
    assert_int_equal(atomic_load(&t.total_freed), 6);
}

/* Multi-producer, multi-consumer stress: every item arrives exactly once, and each consumer sees
 * each producer's items in the order they were pushed. */
#define N_PRODUCERS 4
#define N_CONSUMERS 2
#define PER_PRODUCER 20000

typedef struct Stress {
    SkyQueue *q;
    _Atomic int seen[N_PRODUCERS][PER_PRODUCER];
    _Atomic int push_errors;
    _Atomic int order_errors;
    _Atomic int pop_errors;
} Stress;

typedef struct Worker {
    Stress *s;
    int id;
} Worker;

/* Items are encoded integers, never dereferenced: (producer << 20 | index) + 1. NULL ends. */
static void *encode(int producer, int index)
{
    return (void *)(uintptr_t)((((uintptr_t)producer << 20) | (uintptr_t)index) + 1);
}

static void *producer_main(void *arg)
{
    Worker *w = arg;
    for (int i = 0; i < PER_PRODUCER; i++)
        if (sky_queue_push(w->s->q, encode(w->id, i), 0, -1) != 0)
            atomic_fetch_add(&w->s->push_errors, 1);
    return NULL;
}

static void *consumer_main(void *arg)
{
    Worker *w = arg;
    int last[N_PRODUCERS];
    for (int p = 0; p < N_PRODUCERS; p++)
        last[p] = -1;
    for (;;) {
        void *item;
        if (sky_queue_pop(w->s->q, &item, NULL, -1) != 0) {
            atomic_fetch_add(&w->s->pop_errors, 1);
            break;
        }
        if (!item)
            break;
        uintptr_t v = (uintptr_t)item - 1;
        int p = (int)(v >> 20), i = (int)(v & 0xFFFFF);
        if (p < 0 || p >= N_PRODUCERS || i >= PER_PRODUCER) {
            atomic_fetch_add(&w->s->order_errors, 1);
            continue;
        }
        if (i <= last[p])
            atomic_fetch_add(&w->s->order_errors, 1);
        last[p] = i;
        atomic_fetch_add(&w->s->seen[p][i], 1);
    }
    return NULL;
}

static void never_free(void *opaque, void *item)
{
    (void)item;
    atomic_fetch_add((_Atomic int *)opaque, 1);
}

static void test_mpmc_stress(void **state)
{
    (void)state;
    Stress *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    _Atomic int frees;
    atomic_init(&frees, 0);
    SkyQueueCfg cfg = {.capacity = 16, .free_fn = never_free, .opaque = &frees};
    assert_int_equal(sky_queue_create(&s->q, &cfg), 0);

    pthread_t prod[N_PRODUCERS], cons[N_CONSUMERS];
    Worker pw[N_PRODUCERS], cw[N_CONSUMERS];
    for (int i = 0; i < N_CONSUMERS; i++) {
        cw[i] = (Worker){s, i};
        assert_int_equal(pthread_create(&cons[i], NULL, consumer_main, &cw[i]), 0);
    }
    for (int i = 0; i < N_PRODUCERS; i++) {
        pw[i] = (Worker){s, i};
        assert_int_equal(pthread_create(&prod[i], NULL, producer_main, &pw[i]), 0);
    }
    for (int i = 0; i < N_PRODUCERS; i++)
        assert_int_equal(pthread_join(prod[i], NULL), 0);
    /* One end marker per consumer, after every real item. */
    for (int i = 0; i < N_CONSUMERS; i++)
        assert_int_equal(sky_queue_push(s->q, NULL, 0, -1), 0);
    for (int i = 0; i < N_CONSUMERS; i++)
        assert_int_equal(pthread_join(cons[i], NULL), 0);

    assert_int_equal(atomic_load(&s->push_errors), 0);
    assert_int_equal(atomic_load(&s->pop_errors), 0);
    assert_int_equal(atomic_load(&s->order_errors), 0);
    for (int p = 0; p < N_PRODUCERS; p++)
        for (int i = 0; i < PER_PRODUCER; i++)
            if (atomic_load(&s->seen[p][i]) != 1)
                fail_msg("producer %d item %d arrived %d times", p, i,
                         atomic_load(&s->seen[p][i]));
    assert_int_equal(sky_queue_count(s->q), 0);
    assert_int_equal(sky_queue_discarded(s->q), 0);
    sky_queue_destroy(&s->q);
    assert_int_equal(atomic_load(&frees), 0);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_rejects_bad_config),
        cmocka_unit_test(test_capacity_and_fifo),
        cmocka_unit_test(test_ring_wraps_in_order),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_abort_wakes_blocked_pop),
        cmocka_unit_test(test_abort_wakes_blocked_push),
        cmocka_unit_test(test_pop_makes_room_for_blocked_push),
        cmocka_unit_test(test_flush_frees_exactly_once),
        cmocka_unit_test(test_generation),
        cmocka_unit_test(test_mpmc_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
