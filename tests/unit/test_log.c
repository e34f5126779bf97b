/* Unit tests for common/log: level parsing, filtering, line format and the rate limiter.
 * stderr is redirected into a temporary file to check what was written. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/core/error.h"
#include "common/core/log.h"
#include "tests/unit/stderr_capture.h"

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int reset_level(void **state)
{
    (void)state;
    sky_log_set_level(SKY_LOG_INFO);
    return 0;
}

static void test_level_parse(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        SkyLogLevel level;
    } names[] = {{"error", SKY_LOG_ERROR},
                 {"warn", SKY_LOG_WARN},
                 {"info", SKY_LOG_INFO},
                 {"verbose", SKY_LOG_VERBOSE},
                 {"debug", SKY_LOG_DEBUG}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        SkyLogLevel l = (SkyLogLevel)99;
        assert_int_equal(sky_log_level_parse(names[i].name, &l), 0);
        assert_int_equal(l, names[i].level);
    }
    static const char *const bad[] = {"", "ERROR", "Warn", "warning", "inf", "debug ", "4"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        SkyLogLevel l = SKY_LOG_VERBOSE;
        assert_int_equal(sky_log_level_parse(bad[i], &l), SKY_ERR(EINVAL));
        assert_int_equal(l, SKY_LOG_VERBOSE); /* untouched */
    }
    sky_log_set_level(SKY_LOG_DEBUG);
    assert_int_equal(sky_log_get_level(), SKY_LOG_DEBUG);
    sky_log_set_level(SKY_LOG_ERROR);
    assert_int_equal(sky_log_get_level(), SKY_LOG_ERROR);
}

static void test_format_and_filter(void **state)
{
    (void)state;
    sky_log_set_level(SKY_LOG_INFO);
    tstderr_begin();
    SKY_LOGE("net", "error %d", 1);
    SKY_LOGW("net", "warn %s", "two");
    SKY_LOGI("dec", "info");
    SKY_LOGV("dec", "verbose: not shown");
    SKY_LOGD("dec", "debug: not shown");
    SKY_LOGI("dec", "ends in a newline\n");
    SKY_LOGI("dec", "ends in two\n\n");
    const char *out = tstderr_end();
    assert_string_equal(out, "[net] error: error 1\n"
                             "[net] warn: warn two\n"
                             "[dec] info: info\n"
                             "[dec] info: ends in a newline\n"
                             "[dec] info: ends in two\n");

    sky_log_set_level(SKY_LOG_DEBUG);
    tstderr_begin();
    SKY_LOGD("x", "now %s", "shown");
    out = tstderr_end();
    assert_string_equal(out, "[x] debug: now shown\n");

    sky_log_set_level(SKY_LOG_ERROR);
    tstderr_begin();
    SKY_LOGW("x", "hidden");
    out = tstderr_end();
    assert_string_equal(out, "");
}

static void test_long_message_truncated(void **state)
{
    (void)state;
    char *big = malloc(3000);
    assert_non_null(big);
    memset(big, 'z', 2999);
    big[2999] = '\0';
    tstderr_begin();
    SKY_LOGW("long", "%s", big);
    SkyLogLimit lim = {0, 0, 7};
    sky_log_limited(&lim, 0, SKY_LOG_WARN, "long", "%s", big);
    const char *out = tstderr_end();
    /* Two lines, each cut to fit the 1 KiB line buffer, each ending in exactly one newline. */
    assert_int_equal(count_lines(out), 2);
    const char *nl = strchr(out, '\n');
    assert_true(nl - out + 1 <= 1024);
    assert_int_equal(strncmp(out, "[long] warn: zzz", 16), 0);
    assert_true(strlen(nl + 1) <= 1024);
    assert_int_equal(out[strlen(out) - 1], '\n');
    free(big);
}

static void test_rate_limiter(void **state)
{
    (void)state;
    sky_log_set_level(SKY_LOG_INFO);
    SkyLogLimit lim = SKY_LOG_LIMIT_INIT;
    tstderr_begin();
    /* The burst: five messages get through however close together. */
    for (int i = 0; i < 5; i++)
        sky_log_limited(&lim, 100 + i, SKY_LOG_WARN, "net", "lost packet %d", i);
    /* Then nothing for one second after the last one printed (t = 104). */
    for (int i = 0; i < 12; i++)
        sky_log_limited(&lim, 200 + i * 1000, SKY_LOG_WARN, "net", "lost packet x%d", i);
    sky_log_limited(&lim, 104 + 1000000 - 1, SKY_LOG_WARN, "net", "lost packet late");
    assert_int_equal(lim.suppressed, 13);
    const char *out = tstderr_end();
    assert_int_equal(count_lines(out), 5);
    assert_null(strstr(out, "suppressed"));
    assert_null(strstr(out, "x0"));

    tstderr_begin();
    /* A second on: one message, carrying the count, and the count starts again. */
    sky_log_limited(&lim, 104 + 1000000, SKY_LOG_WARN, "net", "lost packet %d", 99);
    assert_int_equal(lim.suppressed, 0);
    sky_log_limited(&lim, 104 + 1000001, SKY_LOG_WARN, "net", "lost packet %d", 100);
    sky_log_limited(&lim, 104 + 2000000, SKY_LOG_WARN, "net", "lost packet %d", 101);
    /* A quiet second: the next message has no suffix. */
    sky_log_limited(&lim, 104 + 4000000, SKY_LOG_WARN, "net", "lost packet %d", 102);
    out = tstderr_end();
    assert_string_equal(out, "[net] warn: lost packet 99 (13 similar suppressed)\n"
                             "[net] warn: lost packet 101 (1 similar suppressed)\n"
                             "[net] warn: lost packet 102\n");
}

static void test_rate_limiter_newline_and_level(void **state)
{
    (void)state;
    sky_log_set_level(SKY_LOG_INFO);
    SkyLogLimit lim = {0, 1, 0};
    tstderr_begin();
    sky_log_limited(&lim, 0, SKY_LOG_WARN, "a", "drop\n");
    sky_log_limited(&lim, 10, SKY_LOG_WARN, "a", "drop\n");
    sky_log_limited(&lim, 20, SKY_LOG_WARN, "a", "drop\n");
    /* The count goes on the same line, even when the message ended in a newline. */
    sky_log_limited(&lim, 1000000, SKY_LOG_WARN, "a", "drop\n");
    const char *out = tstderr_end();
    assert_string_equal(out, "[a] warn: drop\n"
                             "[a] warn: drop (2 similar suppressed)\n");

    /* Messages below the level neither print nor use up the burst nor count as suppressed. */
    SkyLogLimit l2 = SKY_LOG_LIMIT_INIT;
    tstderr_begin();
    for (int i = 0; i < 20; i++)
        sky_log_limited(&l2, i, SKY_LOG_DEBUG, "b", "hidden");
    out = tstderr_end();
    assert_string_equal(out, "");
    assert_int_equal(l2.burst_left, 5);
    assert_int_equal(l2.suppressed, 0);

    /* A zeroed limiter has no burst: one message, then one per second. */
    SkyLogLimit l3 = {0};
    tstderr_begin();
    sky_log_limited(&l3, 0, SKY_LOG_ERROR, "c", "one");
    sky_log_limited(&l3, 1, SKY_LOG_ERROR, "c", "two");
    sky_log_limited(&l3, 999999, SKY_LOG_ERROR, "c", "three");
    sky_log_limited(&l3, 1000000, SKY_LOG_ERROR, "c", "four");
    out = tstderr_end();
    assert_string_equal(out, "[c] error: one\n"
                             "[c] error: four (2 similar suppressed)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_level_parse, reset_level),
        cmocka_unit_test_teardown(test_format_and_filter, reset_level),
        cmocka_unit_test_teardown(test_long_message_truncated, reset_level),
        cmocka_unit_test_teardown(test_rate_limiter, reset_level),
        cmocka_unit_test_teardown(test_rate_limiter_newline_and_level, reset_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
