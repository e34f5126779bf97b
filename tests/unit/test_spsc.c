/* Unit tests for common/spsc: the lock-free single-producer single-consumer byte ring. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "common/core/spsc.h"

/* The byte at stream position pos: not periodic at any small power of two. */
static uint8_t pattern(uint64_t pos)
{
    return (uint8_t)(pos ^ (pos >> 8) ^ (pos >> 16) ^ (pos * 0x9Du >> 5));
}

static void test_create_and_rounding(void **state)
{
    (void)state;
    static const struct {
        size_t ask, cap;
    } cases[] = {{1, 1},       {2, 2},       {3, 4},       {4, 4},     {5, 8},
                 {1000, 1024}, {1024, 1024}, {1025, 2048}, {4095, 4096}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        SkySpsc *r = NULL;
        assert_int_equal(sky_spsc_create(&r, cases[i].ask), 0);
        assert_int_equal(sky_spsc_capacity(r), cases[i].cap);
        assert_int_equal(sky_spsc_fill(r), 0);
        sky_spsc_destroy(&r);
        assert_null(r);
    }
    SkySpsc *r = (SkySpsc *)&r;
    assert_int_equal(sky_spsc_create(&r, 0), SKY_ERR(EINVAL));
    assert_null(r);
    assert_int_equal(sky_spsc_create(&r, ((size_t)1 << 30) + 1), SKY_ERR(EINVAL));
    assert_int_equal(sky_spsc_create(&r, SIZE_MAX), SKY_ERR(EINVAL));
    assert_null(r);
    sky_spsc_destroy(&r); /* accepts NULL */
}

static void test_partial_write_when_full(void **state)
{
    (void)state;
    SkySpsc *r;
    assert_int_equal(sky_spsc_create(&r, 8), 0);
    uint8_t in[16], out[16];
    for (int i = 0; i < 16; i++)
        in[i] = (uint8_t)(i + 1);
    assert_int_equal(sky_spsc_write(r, in, 5), 5);
    assert_int_equal(sky_spsc_fill(r), 5);
    assert_int_equal(sky_spsc_write(r, in + 5, 5), 3); /* only 3 fit */
    assert_int_equal(sky_spsc_fill(r), 8);
    assert_int_equal(sky_spsc_write(r, in + 8, 1), 0);
    assert_int_equal(sky_spsc_write(r, in, 0), 0);

    memset(out, 0, sizeof(out));
    assert_int_equal(sky_spsc_read(r, out, 16), 8); /* asks for more than there is */
    assert_memory_equal(out, in, 8);
    assert_int_equal(sky_spsc_fill(r), 0);
    assert_int_equal(sky_spsc_read(r, out, 4), 0);
    assert_int_equal(sky_spsc_read(r, out, 0), 0);

    /* A write larger than the whole ring takes exactly capacity bytes. */
    assert_int_equal(sky_spsc_write(r, in, 16), 8);
    assert_int_equal(sky_spsc_read(r, out, 3), 3);
    assert_memory_equal(out, in, 3);
    assert_int_equal(sky_spsc_write(r, in + 8, 16 - 8), 3);
    assert_int_equal(sky_spsc_read(r, out, 16), 8);
    static const uint8_t want[8] = {4, 5, 6, 7, 8, 9, 10, 11};
    assert_memory_equal(out, want, 8);
    sky_spsc_destroy(&r);
}

static void test_wraparound_patterns(void **state)
{
    (void)state;
    SkySpsc *r;
    assert_int_equal(sky_spsc_create(&r, 16), 0);
    uint8_t buf[32];
    uint64_t wpos = 0, rpos = 0;
    /* Write and read sizes that do not divide 16, so the indices cross the end in every
     * possible position, thousands of times. */
    static const size_t wsizes[] = {1, 3, 7, 13, 16, 5, 11, 2, 9};
    static const size_t rsizes[] = {2, 5, 16, 1, 8, 12, 3, 7};
    for (int it = 0; it < 20000; it++) {
        size_t want = wsizes[it % 9];
        for (size_t i = 0; i < want; i++)
            buf[i] = pattern(wpos + i);
        size_t space = 16 - (size_t)(wpos - rpos);
        size_t n = sky_spsc_write(r, buf, want);
        assert_int_equal(n, want < space ? want : space);
        wpos += n;
        assert_int_equal(sky_spsc_fill(r), (size_t)(wpos - rpos));

        size_t ask = rsizes[(it * 5) % 8];
        size_t avail = (size_t)(wpos - rpos);
        memset(buf, 0, sizeof(buf));
        n = sky_spsc_read(r, buf, ask);
        assert_int_equal(n, ask < avail ? ask : avail);
        for (size_t i = 0; i < n; i++)
            if (buf[i] != pattern(rpos + i))
                fail_msg("byte %llu: got %u want %u", (unsigned long long)(rpos + i), buf[i],
                         pattern(rpos + i));
        rpos += n;
    }
    assert_true(rpos > 16 * 1000);
    sky_spsc_destroy(&r);
}

static void test_fill_and_clear(void **state)
{
    (void)state;
    SkySpsc *r;
    assert_int_equal(sky_spsc_create(&r, 32), 0);
    uint8_t in[32], out[32];
    for (int i = 0; i < 32; i++)
        in[i] = (uint8_t)(0xF0 ^ i);
    assert_int_equal(sky_spsc_write(r, in, 10), 10);
    assert_int_equal(sky_spsc_fill(r), 10);
    assert_int_equal(sky_spsc_read(r, out, 4), 4);
    assert_int_equal(sky_spsc_fill(r), 6);
    sky_spsc_clear(r);
    assert_int_equal(sky_spsc_fill(r), 0);
    assert_int_equal(sky_spsc_read(r, out, 32), 0);
    /* After clear the whole capacity is free again, and new data reads back intact. */
    assert_int_equal(sky_spsc_write(r, in, 32), 32);
    assert_int_equal(sky_spsc_fill(r), 32);
    assert_int_equal(sky_spsc_read(r, out, 32), 32);
    assert_memory_equal(out, in, 32);
    /* Clearing an empty ring is harmless. */
    sky_spsc_clear(r);
    assert_int_equal(sky_spsc_fill(r), 0);
    sky_spsc_destroy(&r);
}

/* Two threads stream a long counter pattern through a small ring. */
#define STREAM_BYTES (3u << 20)

typedef struct Stream {
    SkySpsc *r;
    _Atomic int bad;       /* first mismatch + 1, or 0 */
    uint64_t received;     /* consumer's, read after join */
    _Atomic int fill_over; /* fill() ever above capacity */
} Stream;

static void *stream_producer(void *arg)
{
    Stream *s = arg;
    uint8_t chunk[97];
    uint64_t pos = 0;
    unsigned step = 0;
    while (pos < STREAM_BYTES) {
        size_t want = 1 + (step++ * 37) % sizeof(chunk);
        if (want > STREAM_BYTES - pos)
            want = (size_t)(STREAM_BYTES - pos);
        for (size_t i = 0; i < want; i++)
            chunk[i] = pattern(pos + i);
        size_t done = 0;
        while (done < want) {
            size_t n = sky_spsc_write(s->r, chunk + done, want - done);
            if (sky_spsc_fill(s->r) > sky_spsc_capacity(s->r))
                atomic_store(&s->fill_over, 1);
            done += n;
            if (n == 0)
                sched_yield();
        }
        pos += want;
    }
    return NULL;
}

static void *stream_consumer(void *arg)
{
    Stream *s = arg;
    uint8_t chunk[61];
    uint64_t pos = 0;
    unsigned step = 0;
    while (pos < STREAM_BYTES) {
        size_t ask = 1 + (step++ * 23) % sizeof(chunk);
        size_t n = sky_spsc_read(s->r, chunk, ask);
        if (n == 0) {
            sched_yield();
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            if (chunk[i] != pattern(pos + i) && atomic_load(&s->bad) == 0)
                atomic_store(&s->bad, (int)(pos + i) + 1);
        }
        pos += n;
    }
    s->received = pos;
    return NULL;
}

static void test_two_thread_stream(void **state)
{
    (void)state;
    Stream s = {0};
    atomic_init(&s.bad, 0);
    atomic_init(&s.fill_over, 0);
    assert_int_equal(sky_spsc_create(&s.r, 256), 0);
    pthread_t p, c;
    assert_int_equal(pthread_create(&c, NULL, stream_consumer, &s), 0);
    assert_int_equal(pthread_create(&p, NULL, stream_producer, &s), 0);
    assert_int_equal(pthread_join(p, NULL), 0);
    assert_int_equal(pthread_join(c, NULL), 0);
    if (atomic_load(&s.bad))
        fail_msg("stream corrupted at byte %d", atomic_load(&s.bad) - 1);
    assert_int_equal(s.received, STREAM_BYTES);
    assert_int_equal(atomic_load(&s.fill_over), 0);
    assert_int_equal(sky_spsc_fill(s.r), 0);
    sky_spsc_destroy(&s.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_rounding),
        cmocka_unit_test(test_partial_write_when_full),
        cmocka_unit_test(test_wraparound_patterns),
        cmocka_unit_test(test_fill_and_clear),
        cmocka_unit_test(test_two_thread_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
