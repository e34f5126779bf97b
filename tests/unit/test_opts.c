/* Unit tests for common/opts: option tables and the config-file parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "common/core/opts.h"

typedef struct TestOpts {
    bool flag;
    bool quiet;
    int count;
    int plain_int;
    double ratio;
    char name[8];
    int mode;
} TestOpts;

static const SkyOpt table[] = {
    {"flag", SKY_OPT_BOOL, offsetof(TestOpts, flag), 0, 0, 0, NULL, "yes", NULL, "a flag"},
    {"quiet", SKY_OPT_BOOL, offsetof(TestOpts, quiet), 0, 0, 0, NULL, NULL, NULL, "no default"},
    {"count", SKY_OPT_INT, offsetof(TestOpts, count), 0, -5, 100, NULL, "7", "N", "how many"},
    {"plain-int", SKY_OPT_INT, offsetof(TestOpts, plain_int), 0, -10, 10, NULL, NULL, NULL,
     NULL},
    {"ratio", SKY_OPT_DOUBLE, offsetof(TestOpts, ratio), 0, 0, 1, NULL, "0.25", NULL, "a ratio"},
    {"name", SKY_OPT_STRING, offsetof(TestOpts, name), sizeof(((TestOpts *)0)->name), 0, 0, NULL,
     "abc", "NAME", "a name"},
    {"mode", SKY_OPT_CHOICE, offsetof(TestOpts, mode), 0, 0, 0, "fast|slow|auto", "slow", NULL,
     "the mode"},
    SKY_OPT_END,
};

static const SkyOpt *opt(const char *name)
{
    const SkyOpt *o = sky_opts_find(table, name);
    assert_non_null(o);
    return o;
}

static TestOpts fresh(void)
{
    TestOpts t;
    memset(&t, 0xA5, sizeof(t));
    assert_int_equal(sky_opts_defaults(table, &t), 0);
    return t;
}

static void test_defaults_and_find(void **state)
{
    (void)state;
    TestOpts t = fresh();
    assert_true(t.flag);
    assert_false(t.quiet);       /* BOOL without a default: no */
    assert_int_equal(t.count, 7);
    assert_int_equal(t.plain_int, 0); /* INT without a default: 0 */
    assert_true(t.ratio == 0.25);
    assert_string_equal(t.name, "abc");
    assert_int_equal(t.mode, 1);

    assert_ptr_equal(sky_opts_find(table, "count"), &table[2]);
    assert_null(sky_opts_find(table, "cou"));    /* no prefix matching */
    assert_null(sky_opts_find(table, "counts"));
    assert_null(sky_opts_find(table, "Count"));
    assert_null(sky_opts_find(table, ""));

    /* A default that does not parse is reported. */
    static const SkyOpt bad[] = {
        {"n", SKY_OPT_INT, 0, 0, 0, 10, NULL, "ten", NULL, NULL},
        SKY_OPT_END,
    };
    int n;
    assert_true(sky_opts_defaults(bad, &n) < 0);
}

/* Field by field: struct copies need not copy padding. */
static bool same(const TestOpts *a, const TestOpts *b)
{
    return a->flag == b->flag && a->quiet == b->quiet && a->count == b->count &&
           a->plain_int == b->plain_int && a->ratio == b->ratio &&
           strcmp(a->name, b->name) == 0 && a->mode == b->mode;
}

static void expect_fail(const char *name, const char *value, int want_err)
{
    TestOpts t = fresh(), before = t;
    char err[128] = "";
    int ret = sky_opts_set(opt(name), &t, value, err, sizeof(err));
    if (ret != want_err)
        fail_msg("--%s=%s: returned %d, expected %d", name, value ? value : "(null)", ret,
                 want_err);
    /* A one-line reason that names the option, and the field untouched. */
    assert_non_null(strstr(err, name));
    assert_null(strchr(err, '\n'));
    assert_true(same(&t, &before));
}

static void test_bool(void **state)
{
    (void)state;
    static const char *const yes[] = {"1", "yes", "true", "on"};
    static const char *const no[] = {"0", "no", "false", "off"};
    char err[128];
    for (int i = 0; i < 4; i++) {
        TestOpts t = fresh();
        assert_int_equal(sky_opts_set(opt("quiet"), &t, yes[i], err, sizeof(err)), 0);
        assert_true(t.quiet);
        assert_int_equal(sky_opts_set(opt("flag"), &t, no[i], err, sizeof(err)), 0);
        assert_false(t.flag);
    }
    /* A bare --quiet (NULL value) means yes. */
    TestOpts t = fresh();
    assert_int_equal(sky_opts_set(opt("quiet"), &t, NULL, err, sizeof(err)), 0);
    assert_true(t.quiet);
    expect_fail("flag", "maybe", SKY_ERR(EINVAL));
    expect_fail("flag", "", SKY_ERR(EINVAL));
    expect_fail("flag", "YES", SKY_ERR(EINVAL));
    expect_fail("flag", "yes ", SKY_ERR(EINVAL));
    expect_fail("flag", "2", SKY_ERR(EINVAL));
}

static void test_int(void **state)
{
    (void)state;
    char err[128];
    TestOpts t = fresh();
    assert_int_equal(sky_opts_set(opt("count"), &t, "42", err, sizeof(err)), 0);
    assert_int_equal(t.count, 42);
    assert_int_equal(sky_opts_set(opt("count"), &t, "-5", err, sizeof(err)), 0); /* min */
    assert_int_equal(t.count, -5);
    assert_int_equal(sky_opts_set(opt("count"), &t, "100", err, sizeof(err)), 0); /* max */
    assert_int_equal(t.count, 100);
    assert_int_equal(sky_opts_set(opt("count"), &t, "0", err, sizeof(err)), 0);
    assert_int_equal(t.count, 0);
    expect_fail("count", "101", SKY_ERR(ERANGE));
    expect_fail("count", "-6", SKY_ERR(ERANGE));
    expect_fail("count", "1e300", SKY_ERR(ERANGE));
    expect_fail("count", "99999999999999999999", SKY_ERR(ERANGE));
    expect_fail("count", "1.5", SKY_ERR(EINVAL));
    expect_fail("count", "abc", SKY_ERR(EINVAL));
    expect_fail("count", "", SKY_ERR(EINVAL));
    expect_fail("count", "12abc", SKY_ERR(EINVAL));
    expect_fail("count", "5 ", SKY_ERR(EINVAL));
    expect_fail("count", "inf", SKY_ERR(EINVAL));
    expect_fail("count", "nan", SKY_ERR(EINVAL));
    expect_fail("count", "1e999", SKY_ERR(EINVAL));
    expect_fail("count", NULL, SKY_ERR(EINVAL)); /* needs a value */
}

static void test_double(void **state)
{
    (void)state;
    char err[128];
    TestOpts t = fresh();
    assert_int_equal(sky_opts_set(opt("ratio"), &t, "0.5", err, sizeof(err)), 0);
    assert_true(t.ratio == 0.5);
    assert_int_equal(sky_opts_set(opt("ratio"), &t, "1", err, sizeof(err)), 0);
    assert_true(t.ratio == 1.0);
    assert_int_equal(sky_opts_set(opt("ratio"), &t, "0", err, sizeof(err)), 0);
    assert_true(t.ratio == 0.0);
    expect_fail("ratio", "1.0000001", SKY_ERR(ERANGE));
    expect_fail("ratio", "-0.1", SKY_ERR(ERANGE));
    expect_fail("ratio", "x", SKY_ERR(EINVAL));
    expect_fail("ratio", "0.5x", SKY_ERR(EINVAL));
    expect_fail("ratio", "nan", SKY_ERR(EINVAL));
    expect_fail("ratio", NULL, SKY_ERR(EINVAL));
}

static void test_string(void **state)
{
    (void)state;
    char err[128];
    TestOpts t = fresh();
    assert_int_equal(sky_opts_set(opt("name"), &t, "abcdefg", err, sizeof(err)), 0); /* 7 + NUL */
    assert_string_equal(t.name, "abcdefg");
    assert_int_equal(sky_opts_set(opt("name"), &t, "", err, sizeof(err)), 0);
    assert_string_equal(t.name, "");
    expect_fail("name", "abcdefgh", SKY_ERR(ERANGE)); /* 8 bytes do not fit with the NUL */
    expect_fail("name", "a much longer value than fits", SKY_ERR(ERANGE));
    expect_fail("name", NULL, SKY_ERR(EINVAL));
}

static void test_choice(void **state)
{
    (void)state;
    char err[128];
    TestOpts t = fresh();
    assert_int_equal(sky_opts_set(opt("mode"), &t, "fast", err, sizeof(err)), 0);
    assert_int_equal(t.mode, 0);
    assert_int_equal(sky_opts_set(opt("mode"), &t, "auto", err, sizeof(err)), 0);
    assert_int_equal(t.mode, 2);
    assert_int_equal(sky_opts_set(opt("mode"), &t, "slow", err, sizeof(err)), 0);
    assert_int_equal(t.mode, 1);
    expect_fail("mode", "fas", SKY_ERR(EINVAL));
    expect_fail("mode", "fastx", SKY_ERR(EINVAL));
    expect_fail("mode", "fast|slow", SKY_ERR(EINVAL));
    expect_fail("mode", "", SKY_ERR(EINVAL));
    expect_fail("mode", "1", SKY_ERR(EINVAL));
    expect_fail("mode", NULL, SKY_ERR(EINVAL));

    assert_string_equal(sky_opts_choice_name(opt("mode"), 0), "fast");
    assert_string_equal(sky_opts_choice_name(opt("mode"), 1), "slow");
    assert_string_equal(sky_opts_choice_name(opt("mode"), 2), "auto");
    assert_string_equal(sky_opts_choice_name(opt("mode"), 3), "?");
    assert_string_equal(sky_opts_choice_name(opt("mode"), -1), "?");
}

static void test_error_buffer(void **state)
{
    (void)state;
    TestOpts t = fresh();
    /* A small buffer gets a truncated, NUL-terminated message; none at all is allowed too. */
    char err[6];
    memset(err, 'x', sizeof(err));
    assert_int_equal(sky_opts_set(opt("count"), &t, "abc", err, sizeof(err)), SKY_ERR(EINVAL));
    assert_int_equal(strlen(err), sizeof(err) - 1);
    assert_int_equal(sky_opts_set(opt("count"), &t, "abc", NULL, 0), SKY_ERR(EINVAL));
    assert_int_equal(t.count, 7);
}

static void test_print_help(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    sky_opts_print_help(f, table);
    char text[2048];
    rewind(f);
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "--[no-]flag"));
    assert_non_null(strstr(text, "--count=N"));
    assert_non_null(strstr(text, "how many"));
    assert_non_null(strstr(text, "[default: 7]"));
    assert_non_null(strstr(text, "--name=NAME"));
    assert_non_null(strstr(text, "--mode=MODE"));
    assert_non_null(strstr(text, "(fast, slow, auto)"));
    assert_non_null(strstr(text, "--ratio=VALUE"));
    /* One line per option. */
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 7);
}

/* ---- sky_config_parse ---- */

#define MAX_ENTRIES 16

typedef struct Entry {
    char key[64];
    char value[1100];
    int line;
} Entry;

typedef struct Collect {
    Entry e[MAX_ENTRIES];
    int n;
    const char *stop_at; /* key whose callback fails */
    int stop_err;
    char *err_out;       /* if set, the failing callback writes its own message here */
} Collect;

static int collect(void *opaque, const char *key, const char *value, int line)
{
    Collect *c = opaque;
    if (c->stop_at && strcmp(key, c->stop_at) == 0) {
        if (c->err_out)
            snprintf(c->err_out, 64, "custom: %s", key);
        return c->stop_err;
    }
    if (c->n < MAX_ENTRIES) {
        snprintf(c->e[c->n].key, sizeof(c->e[c->n].key), "%s", key);
        snprintf(c->e[c->n].value, sizeof(c->e[c->n].value), "%s", value);
        c->e[c->n].line = line;
    }
    c->n++;
    return 0;
}

static int parse(const char *text, size_t len, Collect *c, char *err, size_t errlen)
{
    return sky_config_parse(text, len, collect, c, err, errlen);
}

static void expect_entry(const Collect *c, int i, const char *key, const char *value, int line)
{
    assert_true(i < c->n);
    assert_string_equal(c->e[i].key, key);
    assert_string_equal(c->e[i].value, value);
    assert_int_equal(c->e[i].line, line);
}

static void test_config_basic(void **state)
{
    (void)state;
    static const char text[] = "a = 1\n"
                               "# a comment line\n"
                               "\n"
                               "   b=two words  \n"
                               "c=3 # trailing comment\n"
                               "\t d \t=\t4\r\n"
                               "   \t  \n"
                               "e =\n"
                               "f = x=y\n"
                               "  # indented comment = with equals\n"
                               "last=no newline";
    Collect c = {0};
    char err[128] = "unchanged";
    assert_int_equal(parse(text, strlen(text), &c, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(c.n, 7);
    expect_entry(&c, 0, "a", "1", 1);
    expect_entry(&c, 1, "b", "two words", 4);
    expect_entry(&c, 2, "c", "3", 5);
    expect_entry(&c, 3, "d", "4", 6);
    expect_entry(&c, 4, "e", "", 8);
    expect_entry(&c, 5, "f", "x=y", 9);
    expect_entry(&c, 6, "last", "no newline", 11);
}

static void test_config_empty_and_len(void **state)
{
    (void)state;
    Collect c = {0};
    char err[64];
    assert_int_equal(parse("", 0, &c, err, sizeof(err)), 0);
    assert_int_equal(parse(NULL, 0, &c, err, sizeof(err)), 0);
    assert_int_equal(parse("\n\n# only\n  \n", strlen("\n\n# only\n  \n"), &c, err, sizeof(err)), 0);
    assert_int_equal(c.n, 0);
    /* Only len bytes are read: the text need not be NUL-terminated. */
    static const char text[] = "a=1\nb=2GARBAGE";
    assert_int_equal(parse(text, 7, &c, err, sizeof(err)), 0);
    assert_int_equal(c.n, 2);
    expect_entry(&c, 1, "b", "2", 2);
}

static void test_config_errors(void **state)
{
    (void)state;
    char err[128];
    Collect c = {0};
    static const char missing_eq[] = "a=1\n\nno equals here\nb=2\n";
    assert_int_equal(parse(missing_eq, strlen(missing_eq), &c, err, sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_non_null(strstr(err, "line 3"));
    assert_int_equal(c.n, 1); /* lines before the error were delivered, none after */

    c = (Collect){0};
    static const char empty_key[] = "a=1\n  = 5\n";
    assert_int_equal(parse(empty_key, strlen(empty_key), &c, err, sizeof(err)), SKY_ERR(EINVAL));
    assert_non_null(strstr(err, "line 2"));
    assert_non_null(strstr(err, "empty key"));

    c = (Collect){0};
    static const char nul[] = "a=1\nb=x\0y\nc=3\n";
    assert_int_equal(parse(nul, sizeof(nul) - 1, &c, err, sizeof(err)), SKY_ERR(EINVAL));
    assert_non_null(strstr(err, "line 2"));
    assert_non_null(strstr(err, "NUL"));
    assert_int_equal(c.n, 1);

    /* An error with no room for the message still returns the error. */
    c = (Collect){0};
    assert_int_equal(parse(missing_eq, strlen(missing_eq), &c, NULL, 0), SKY_ERR(EINVAL));
}

static void test_config_long_lines(void **state)
{
    (void)state;
    /* 1023 bytes is the longest line accepted, 1024 is too long (also in a comment). */
    char *text = malloc(4096);
    assert_non_null(text);
    char err[128];
    for (size_t len = 1022; len <= 1025; len++) {
        size_t pos = 0;
        pos += (size_t)sprintf(text, "first=1\nk=");
        memset(text + pos, 'v', len - 2);
        pos += len - 2;
        text[pos++] = '\n';
        pos += (size_t)sprintf(text + pos, "after=2\n");
        Collect c = {0};
        int ret = parse(text, pos, &c, err, sizeof(err));
        if (len <= 1023) {
            assert_int_equal(ret, 0);
            assert_int_equal(c.n, 3);
            assert_int_equal(strlen(c.e[1].value), len - 2);
        } else {
            assert_int_equal(ret, SKY_ERR(EINVAL));
            assert_non_null(strstr(err, "line 2"));
            assert_non_null(strstr(err, "too long"));
            assert_int_equal(c.n, 1);
        }
    }
    /* A too-long last line without a newline. */
    memset(text, '#', 2000);
    Collect c = {0};
    assert_int_equal(parse(text, 2000, &c, err, sizeof(err)), SKY_ERR(EINVAL));
    assert_non_null(strstr(err, "line 1"));
    free(text);
}

static void test_config_callback_stops(void **state)
{
    (void)state;
    static const char text[] = "a=1\n# c\nstop = now\nb=2\n";
    char err[128];
    Collect c = {.stop_at = "stop", .stop_err = SKY_ERR(ERANGE)};
    assert_int_equal(parse(text, strlen(text), &c, err, sizeof(err)), SKY_ERR(ERANGE));
    assert_int_equal(c.n, 1); /* b was never delivered */
    assert_non_null(strstr(err, "line 3"));
    assert_non_null(strstr(err, sky_strerror(SKY_ERR(ERANGE))));

    /* A callback that writes its own message keeps it. */
    c = (Collect){.stop_at = "stop", .stop_err = SKY_ERR(EINVAL), .err_out = err};
    assert_int_equal(parse(text, strlen(text), &c, err, sizeof(err)), SKY_ERR(EINVAL));
    assert_string_equal(err, "custom: stop");
}

/* The CLI's way of using both together: the config file fills the same struct. */
typedef struct Apply {
    TestOpts *t;
    char *err;
    size_t errlen;
} Apply;

static int apply(void *opaque, const char *key, const char *value, int line)
{
    (void)line;
    Apply *a = opaque;
    const SkyOpt *o = sky_opts_find(table, key);
    if (!o)
        return SKY_ERR(ENOENT);
    return sky_opts_set(o, a->t, value, a->err, a->errlen);
}

static void test_config_fills_options(void **state)
{
    (void)state;
    TestOpts t = fresh();
    char err[128] = "";
    Apply a = {&t, err, sizeof(err)};
    static const char text[] = "count = 12\nmode = auto\nname = xyz\nquiet = on\nratio=0.75\n";
    assert_int_equal(sky_config_parse(text, strlen(text), apply, &a, err, sizeof(err)), 0);
    assert_int_equal(t.count, 12);
    assert_int_equal(t.mode, 2);
    assert_string_equal(t.name, "xyz");
    assert_true(t.quiet);
    assert_true(t.ratio == 0.75);
    static const char bad[] = "count = 12\ncount = 500\n";
    assert_int_equal(sky_config_parse(bad, strlen(bad), apply, &a, err, sizeof(err)),
                     SKY_ERR(ERANGE));
    assert_non_null(strstr(err, "count"));
    assert_int_equal(t.count, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_find),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_choice),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_print_help),
        cmocka_unit_test(test_config_basic),
        cmocka_unit_test(test_config_empty_and_len),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_long_lines),
        cmocka_unit_test(test_config_callback_stops),
        cmocka_unit_test(test_config_fills_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
