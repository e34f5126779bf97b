/* Unit tests for common/core/opts (option tables, the config-file parser and editor, typo
 * suggestions) and client/cli (the verbs' tables, the config file over them, per-host sections,
 * the config writer). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/verbs.h"
#include "common/core/error.h"
#include "common/core/opts.h"
#include "tests/unit/stderr_capture.h"

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

/* What sky_opts_print_help writes for t. */
static void help_of(const SkyOpt *t, char *text, size_t cap)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    sky_opts_print_help(f, t);
    rewind(f);
    size_t n = fread(text, 1, cap - 1, f);
    text[n] = '\0';
    fclose(f);
}

static void test_print_help(void **state)
{
    (void)state;
    char text[2048];
    help_of(table, text, sizeof(text));
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
    char section[64]; /* "(none)" before the first header */
    char key[64];     /* "(header)" for a section's header */
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

static int collect_sections(void *opaque, const char *section, const char *key,
                            const char *value, int line)
{
    Collect *c = opaque;
    assert_true((key == NULL) == (value == NULL));
    if (c->n < MAX_ENTRIES) {
        Entry *e = &c->e[c->n];
        snprintf(e->section, sizeof(e->section), "%s", section ? section : "(none)");
        snprintf(e->key, sizeof(e->key), "%s", key ? key : "(header)");
        snprintf(e->value, sizeof(e->value), "%s", value ? value : "");
        e->line = line;
    }
    c->n++;
    return 0;
}

static int collect(void *opaque, const char *key, const char *value, int line)
{
    Collect *c = opaque;
    if (c->stop_at && strcmp(key, c->stop_at) == 0) {
        if (c->err_out)
            snprintf(c->err_out, 64, "custom: %s", key);
        return c->stop_err;
    }
    return collect_sections(c, NULL, key, value, line);
}

static int parse(const char *text, size_t len, Collect *c, char *err, size_t errlen)
{
    return sky_config_parse(text, len, collect, c, err, errlen);
}

static void expect_sec(const Collect *c, int i, const char *section, const char *key,
                       const char *value, int line)
{
    assert_true(i < c->n);
    assert_string_equal(c->e[i].section, section);
    assert_string_equal(c->e[i].key, key);
    assert_string_equal(c->e[i].value, value);
    assert_int_equal(c->e[i].line, line);
}

static void expect_entry(const Collect *c, int i, const char *key, const char *value, int line)
{
    expect_sec(c, i, "(none)", key, value, line);
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

/* ---- choice aliases, validation ---- */

typedef struct AliasOpts {
    int audio;
    int plain;
    char path[8];
} AliasOpts;

static const SkyOpt alias_table[] = {
    {"audio", SKY_OPT_CHOICE, offsetof(AliasOpts, audio), 0, 0, 0,
     "stereo,yes,true,1,on|5.1|7.1|off,no,false,0", "stereo", NULL, "sound"},
    {"plain", SKY_OPT_CHOICE, offsetof(AliasOpts, plain), 0, 0, 0, "a|b", "a", NULL, NULL},
    {"path", SKY_OPT_STRING, offsetof(AliasOpts, path), sizeof(((AliasOpts *)0)->path), 0, 0,
     NULL, "", NULL, NULL},
    SKY_OPT_END,
};

static void test_choice_aliases(void **state)
{
    (void)state;
    AliasOpts t;
    char err[128];
    const SkyOpt *audio = sky_opts_find(alias_table, "audio");
    assert_int_equal(sky_opts_defaults(alias_table, &t), 0);
    assert_int_equal(t.audio, 0);
    static const struct {
        const char *value;
        int want;
    } cases[] = {{"stereo", 0}, {"yes", 0}, {"true", 0}, {"1", 0}, {"on", 0}, {"5.1", 1},
                 {"7.1", 2},    {"off", 3}, {"no", 3},   {"false", 3}, {"0", 3}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        t.audio = -1;
        assert_int_equal(sky_opts_set(audio, &t, cases[i].value, err, sizeof(err)), 0);
        assert_int_equal(t.audio, cases[i].want);
    }
    /* Aliases are whole words; the names shown are the choices' own. */
    assert_int_equal(sky_opts_set(audio, &t, "stereo,yes", err, sizeof(err)), SKY_ERR(EINVAL));
    assert_int_equal(sky_opts_set(audio, &t, "ye", err, sizeof(err)), SKY_ERR(EINVAL));
    assert_string_equal(err, "--audio: 'ye' is not one of stereo|5.1|7.1|off");
    assert_string_equal(sky_opts_choice_name(audio, 0), "stereo");
    assert_string_equal(sky_opts_choice_name(audio, 3), "off");
    assert_string_equal(sky_opts_choice_name(audio, 4), "?");
    /* --no-NAME: booleans, and choices that take "no". */
    assert_true(sky_opts_takes_no(audio));
    assert_false(sky_opts_takes_no(sky_opts_find(alias_table, "plain")));
    assert_false(sky_opts_takes_no(sky_opts_find(alias_table, "path")));
    assert_true(sky_opts_takes_no(opt("flag")));

    char text[1024];
    help_of(alias_table, text, sizeof(text));
    assert_non_null(strstr(text, "(stereo, 5.1, 7.1, off) [default: stereo]"));
}

static void test_validate(void **state)
{
    (void)state;
    char err[128];
    /* Nothing is written anywhere: there is no struct. */
    assert_int_equal(sky_opts_validate(opt("count"), "12", err, sizeof(err)), 0);
    assert_int_equal(sky_opts_validate(opt("count"), "500", err, sizeof(err)), SKY_ERR(ERANGE));
    assert_non_null(strstr(err, "--count"));
    assert_int_equal(sky_opts_validate(opt("mode"), "auto", err, sizeof(err)), 0);
    assert_int_equal(sky_opts_validate(opt("mode"), "warp", err, sizeof(err)), SKY_ERR(EINVAL));
    assert_int_equal(sky_opts_validate(opt("flag"), NULL, err, sizeof(err)), 0);
    assert_int_equal(sky_opts_validate(opt("ratio"), "x", err, sizeof(err)), SKY_ERR(EINVAL));
    /* Strings: only the length of the real field counts. */
    assert_int_equal(sky_opts_validate(opt("name"), "abcdefg", err, sizeof(err)), 0);
    assert_int_equal(sky_opts_validate(opt("name"), "abcdefgh", err, sizeof(err)),
                     SKY_ERR(ERANGE));
    assert_non_null(strstr(err, "at most 7"));
    assert_int_equal(sky_opts_validate(opt("name"), NULL, err, sizeof(err)), SKY_ERR(EINVAL));
}

/* ---- suggestions ---- */

static void test_distance(void **state)
{
    (void)state;
    assert_int_equal(sky_opts_distance("", ""), 0);
    assert_int_equal(sky_opts_distance("abc", ""), 3);
    assert_int_equal(sky_opts_distance("", "abc"), 3);
    assert_int_equal(sky_opts_distance("bitrate", "bitrate"), 0);
    assert_int_equal(sky_opts_distance("bitrat", "bitrate"), 1);   /* deletion */
    assert_int_equal(sky_opts_distance("bitrrate", "bitrate"), 1); /* insertion */
    assert_int_equal(sky_opts_distance("bitrafe", "bitrate"), 1);  /* substitution */
    assert_int_equal(sky_opts_distance("fsp", "fps"), 1);          /* neighbours swapped */
    assert_int_equal(sky_opts_distance("ab", "ba"), 1);
    assert_int_equal(sky_opts_distance("kitten", "sitting"), 3);
    assert_int_equal(sky_opts_distance("ca", "abc"), 3); /* OSA: no edit of a swapped pair */
    assert_int_equal(sky_opts_distance("latency-mod", "latency-mode"), 1);
    char longer[80];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(sky_opts_distance(longer, "a"), 1000);
    assert_int_equal(sky_opts_distance("a", longer), 1000);
    longer[63] = '\0';
    assert_int_equal(sky_opts_distance(longer, ""), 63); /* 63 bytes is still measured */
}

static const char *nearest(const char *name, const char *const *names, size_t n)
{
    SkySuggest s;
    sky_suggest_init(&s, name);
    for (size_t i = 0; i < n; i++)
        sky_suggest_offer(&s, names[i]);
    return sky_suggest_result(&s);
}

static void test_suggest(void **state)
{
    (void)state;
    static const char *const names[] = {"bitrate", "fps", "width", "height", "latency-mode",
                                        "audio", "audio-buffer-ms", "hdr", "codec"};
    const size_t n = sizeof(names) / sizeof(names[0]);
    assert_string_equal(nearest("bitrat", names, n), "bitrate");
    assert_string_equal(nearest("fsp", names, n), "fps");
    assert_string_equal(nearest("latency-mod", names, n), "latency-mode");
    assert_string_equal(nearest("audo", names, n), "audio");
    assert_string_equal(nearest("audio-bufer-ms", names, n), "audio-buffer-ms");
    assert_string_equal(nearest("Bitrate", names, n), "bitrate");
    /* Too far to be a typo: a third of the name's length (at least 1, at most 3). */
    assert_null(nearest("xyz", names, n));
    assert_null(nearest("frobnicate", names, n));
    assert_null(nearest("some-other-verbs-key", names, n));
    assert_null(nearest("bit", names, n));           /* 4 away */
    assert_string_equal(nearest("wdth", names, n), "width");
    assert_null(nearest("wdh", names, n));           /* 2 away from width, 3 letters */
    assert_string_equal(nearest("bitrat-x", names, n), "bitrate"); /* 2 away, 8 letters */
    assert_null(nearest("anything", names, 0));
    /* The first of equally near names wins. */
    static const char *const tie[] = {"abcd", "abce"};
    assert_string_equal(nearest("abcf", tie, 2), "abcd");
    /* An exact match is not a suggestion. */
    assert_null(nearest("fps", names, n));
}

/* ---- sections ---- */

static void test_config_sections(void **state)
{
    (void)state;
    static const char text[] = "a = 1\n"
                               "[host  My PC ]   # the desk\n"
                               "b = 2\n"
                               "\n"
                               "  [ empty ]\n"
                               "[host x]\n"
                               "c=[3]\n";
    Collect c = {0};
    char err[128];
    assert_int_equal(sky_config_parse_sections(text, strlen(text), collect_sections, &c, err,
                                               sizeof(err)),
                     0);
    assert_int_equal(c.n, 6);
    expect_sec(&c, 0, "(none)", "a", "1", 1);
    expect_sec(&c, 1, "host  My PC", "(header)", "", 2);
    expect_sec(&c, 2, "host  My PC", "b", "2", 3);
    expect_sec(&c, 3, "empty", "(header)", "", 5);
    expect_sec(&c, 4, "host x", "(header)", "", 6);
    expect_sec(&c, 5, "host x", "c", "[3]", 7);

    static const char *const bad[] = {"[\n", "[]\n", "[  ]\n", "[a]b\n", "[a[b]\n",
                                      "[a]]\n", "[a # b]\n", "[a\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char t[64];
        snprintf(t, sizeof(t), "x = 1\n%s", bad[i]);
        c = (Collect){0};
        assert_int_equal(sky_config_parse_sections(t, strlen(t), collect_sections, &c, err,
                                                   sizeof(err)),
                         SKY_ERR(EINVAL));
        assert_non_null(strstr(err, "line 2"));
        assert_int_equal(c.n, 1);
    }
    /* Without sections, a header is an ordinary bad line (as known-host files want). */
    Collect plain = {0};
    static const char hdr[] = "a=1\n[host x]\n";
    assert_int_equal(parse(hdr, strlen(hdr), &plain, err, sizeof(err)), SKY_ERR(EINVAL));
    assert_non_null(strstr(err, "line 2: expected 'key = value'"));
}

static void test_section_equal(void **state)
{
    (void)state;
    assert_true(sky_config_section_equal("host mypc", "host mypc"));
    assert_true(sky_config_section_equal("host MyPC", "HOST mypc"));
    assert_true(sky_config_section_equal("host   mypc ", " host\tmypc"));
    assert_true(sky_config_section_equal("host my  pc", "host my pc"));
    assert_false(sky_config_section_equal("host mypc", "host mypc2"));
    assert_false(sky_config_section_equal("host mypc", "hostmypc"));
    assert_false(sky_config_section_equal("host mypc", "host my pc"));
    assert_false(sky_config_section_equal("host a", ""));
    assert_true(sky_config_section_equal("", "  "));
}

/* ---- the editor ---- */

/* Edits text and checks the result byte for byte, and that it reads back. */
static void expect_edit(const char *text, const char *section, const char *key,
                        const char *value, const char *want)
{
    char *out = (char *)"unset";
    size_t len = 99;
    char err[128];
    int ret = sky_config_edit(text, strlen(text), section, key, value, &out, &len, err,
                              sizeof(err));
    if (ret != 0)
        fail_msg("editing %s: %s", key, err);
    if (strcmp(out, want) != 0)
        fail_msg("got:\n%s\nwanted:\n%s", out, want);
    assert_int_equal(len, strlen(want));
    Collect c = {0};
    assert_int_equal(sky_config_parse_sections(out, len, collect_sections, &c, err, sizeof(err)),
                     0);
    free(out);
}

static void expect_edit_fails(const char *text, const char *section, const char *key,
                              const char *value, const char *must_say)
{
    char *out = (char *)"unset";
    size_t len = 99;
    char err[128] = "";
    assert_int_equal(sky_config_edit(text, strlen(text), section, key, value, &out, &len, err,
                                     sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_null(out);
    assert_int_equal(len, 0);
    if (!strstr(err, must_say))
        fail_msg("'%s' does not say '%s'", err, must_say);
}

static void test_config_edit_replace(void **state)
{
    (void)state;
    /* The last line that sets the key wins when read, so it is the one replaced; indentation,
     * trailing comments and every other line stay. */
    expect_edit("# my settings\n"
                "  bitrate = 5000   # for the wifi\n"
                "fps=60\n",
                NULL, "bitrate", "8000",
                "# my settings\n"
                "  bitrate = 8000   # for the wifi\n"
                "fps=60\n");
    expect_edit("fps = 30\nfps = 60\n[host a]\nfps = 120\n", NULL, "fps", "90",
                "fps = 30\nfps = 90\n[host a]\nfps = 120\n");
    expect_edit("fps = 30\n[host a]\nfps = 120 # a\n[host b]\nfps=1\n", "host a", "fps", "24",
                "fps = 30\n[host a]\nfps = 24 # a\n[host b]\nfps=1\n");
    /* Headers of one section count as one; names compare as the reader does. */
    expect_edit("[host PC]\nfps = 1\n[host b]\n[HOST  pc]\nwidth = 2\n", "host pc", "fps", "3",
                "[host PC]\nfps = 3\n[host b]\n[HOST  pc]\nwidth = 2\n");
    /* CRLF lines keep their CR; a last line without a newline stays without. */
    expect_edit("a = 1\r\nfps = 2\r\nb = 3", NULL, "fps", "5", "a = 1\r\nfps = 5\r\nb = 3");
    expect_edit("fps = 2", NULL, "fps", "5", "fps = 5");
    expect_edit("fps = 2 #c", NULL, "fps", "", "fps =  #c");
}

static void test_config_edit_insert(void **state)
{
    (void)state;
    /* After the section's last entry. */
    expect_edit("a = 1\n\n# pc\n[host pc]\nfps = 60\n\n[host tv]\nfps = 30\n", "host pc",
                "width", "1920",
                "a = 1\n\n# pc\n[host pc]\nfps = 60\nwidth = 1920\n\n[host tv]\nfps = 30\n");
    expect_edit("a = 1\n# b\n\n[host pc]\n", NULL, "audio", "off",
                "a = 1\naudio = off\n# b\n\n[host pc]\n");
    /* A section without entries: after its header. */
    expect_edit("[host pc]\n# nothing yet\n[host tv]\n", "host pc", "fps", "30",
                "[host pc]\nfps = 30\n# nothing yet\n[host tv]\n");
    /* No global entry yet: above the first header and the comments on top of it. */
    expect_edit("# Skylight\n\n# my desk\n[host pc]\nfps = 1\n", NULL, "audio", "off",
                "# Skylight\n\naudio = off\n\n# my desk\n[host pc]\nfps = 1\n");
    expect_edit("[host pc]\nfps = 1\n", NULL, "audio", "off",
                "audio = off\n\n[host pc]\nfps = 1\n");
    expect_edit("\n[host pc]\n", NULL, "audio", "off", "\naudio = off\n\n[host pc]\n");
    /* A new section goes at the end, after a blank line. */
    expect_edit("a = 1\n", "host pc", "fps", "30", "a = 1\n\n[host pc]\nfps = 30\n");
    expect_edit("a = 1", "host pc", "fps", "30", "a = 1\n\n[host pc]\nfps = 30\n");
    expect_edit("a = 1\n\n", "host pc", "fps", "30", "a = 1\n\n[host pc]\nfps = 30\n");
    expect_edit("[host a]\nb = 1", "host a", "fps", "30", "[host a]\nb = 1\nfps = 30\n");
    expect_edit("[host a]", "host a", "fps", "30", "[host a]\nfps = 30\n");
    /* An empty file. */
    expect_edit("", NULL, "fps", "30", "fps = 30\n");
    expect_edit("", "host pc", "fps", "30", "[host pc]\nfps = 30\n");
    expect_edit("# only a comment", NULL, "fps", "30", "# only a comment\nfps = 30\n");
}

static void test_config_edit_remove(void **state)
{
    (void)state;
    expect_edit("fps = 1\n[host a]\nfps = 2\n  fps = 3 # x\nwidth = 4\n[host b]\nfps = 5\n",
                "host a", "fps", NULL, "fps = 1\n[host a]\nwidth = 4\n[host b]\nfps = 5\n");
    expect_edit("fps = 1\n[host a]\nfps = 2\n", NULL, "fps", NULL, "[host a]\nfps = 2\n");
    /* Nothing to remove: the text as it was. */
    expect_edit("a = 1\n# c", "host x", "fps", NULL, "a = 1\n# c");
    expect_edit("", NULL, "fps", NULL, "");
}

static void test_config_edit_refuses(void **state)
{
    (void)state;
    expect_edit_fails("a = 1\n", NULL, "", "1", "cannot be a key");
    expect_edit_fails("a = 1\n", NULL, "a b", "1", "cannot be a key");
    expect_edit_fails("a = 1\n", NULL, "a=b", "1", "cannot be a key");
    expect_edit_fails("a = 1\n", NULL, "#a", "1", "cannot be a key");
    expect_edit_fails("a = 1\n", NULL, "[a", "1", "cannot be a key");
    expect_edit_fails("a = 1\n", NULL, "a", "x # y", "cannot be written");
    expect_edit_fails("a = 1\n", NULL, "a", "x\ny = 2", "cannot be written");
    expect_edit_fails("a = 1\n", NULL, "a", " x", "cannot be written");
    expect_edit_fails("a = 1\n", NULL, "a", "x ", "cannot be written");
    expect_edit_fails("a = 1\n", "host a]", "a", "1", "section");
    expect_edit_fails("a = 1\n", "", "a", "1", "section");
    expect_edit_fails("a = 1\n", "host\nx", "a", "1", "section");
    /* A text that does not parse is not edited. */
    expect_edit_fails("a = 1\nnot a line\n", NULL, "a", "2", "line 2");
    expect_edit_fails("[host a\n", "host a", "a", "2", "line 1");
    /* Lines the reader would refuse. */
    char big[1100];
    memset(big, 'v', 1020);
    big[1020] = '\0';
    expect_edit_fails("a = 1\n", NULL, "a", big, "over 1023 bytes");
    char text[1100];
    snprintf(text, sizeof(text), "a = 1 #%.1010s\n", big);
    expect_edit_fails(text, NULL, "a", "12345678901", "over 1023 bytes");
    /* 1023 bytes is still a line. */
    big[1019] = '\0';
    char want[1100] = "a = ";
    strcat(want, big);
    strcat(want, "\n");
    expect_edit("", NULL, "a", big, want);
}

/* ---- the verbs' tables ---- */

static const SkyVerb *verb(const char *name)
{
    const SkyVerb *v = sky_verb_find(name);
    assert_non_null(v);
    assert_string_equal(v->name, name);
    return v;
}

static const SkyOpt *verb_opt(const SkyVerb *v, const char *name)
{
    const SkyOpt *found = sky_opts_find(sky_global_opts_table, name);
    for (const SkyOptGroup *g = v->groups; g->table; g++) {
        const SkyOpt *o = sky_opts_find(g->table, name);
        if (o) {
            assert_null(found);
            found = o;
        }
    }
    return found;
}

static void test_one_declaration(void **state)
{
    (void)state;
    char err[256] = "";
    if (sky_cli_check_tables(err, sizeof(err)) != 0)
        fail_msg("%s", err);
    /* The options the verbs share are the same declaration. */
    static const char *const shared[][4] = {
        {"audio", "play", "stream", NULL},   {"audio-buffer-ms", "play", "stream", NULL},
        {"headless", "play", "stream", NULL}, {"duration", "play", "stream", NULL},
        {"stats-json", "play", "stream", NULL}, {"frame-md5", "play", "stream", NULL},
        {"timeout", "stream", "list", "pair"}, {"timeout", "pair", "boxart", NULL},
        {"timeout", "info", "discover", NULL},  {"decoder", "play", "stream", NULL},
        {"log-level", "play", "hosts", "wake"}, {"json", "hosts", "list", "discover"},
    };
    for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
        const SkyOpt *first = verb_opt(verb(shared[i][1]), shared[i][0]);
        assert_non_null(first);
        for (size_t k = 2; k < 4 && shared[i][k]; k++)
            assert_ptr_equal(verb_opt(verb(shared[i][k]), shared[i][0]), first);
    }
    assert_int_equal(verb_opt(verb("play"), "audio")->type, SKY_OPT_CHOICE);
    assert_null(verb_opt(verb("play"), "latency-mode"));
    assert_non_null(verb_opt(verb("stream"), "latency-mode"));
    assert_null(verb_opt(verb("hosts"), "timeout")); /* it asks no host */
    assert_non_null(verb_opt(verb("discover"), "mdns-backend"));
    assert_null(verb_opt(verb("info"), "mdns-backend"));
    /* The launcher takes the window, input, host and discovery options of the other verbs. */
    assert_ptr_equal(verb_opt(verb("ui"), "mdns-backend"),
                     verb_opt(verb("discover"), "mdns-backend"));
    assert_ptr_equal(verb_opt(verb("ui"), "swap-ab"), verb_opt(verb("stream"), "swap-ab"));
    assert_ptr_equal(verb_opt(verb("ui"), "window-mode"), verb_opt(verb("play"), "window-mode"));
    assert_null(verb_opt(verb("ui"), "hdr")); /* stream settings: the config file's */
    assert_true(verb("stream")->host_sections);
    assert_false(verb("play")->host_sections);
    assert_null(sky_verb_find("frobnicate"));
    size_t n = 0;
    while (sky_verb_at(n))
        n++;
    assert_int_equal(n, 12);
}

typedef struct Fake {
    int a;
    int b;
    double d;
} Fake;

static void test_check_finds_twins(void **state)
{
    (void)state;
    static const SkyOpt t1[] = {
        {"audio", SKY_OPT_INT, offsetof(Fake, a), 0, 0, 9, NULL, "1", NULL, NULL},
        SKY_OPT_END,
    };
    static const SkyOpt t2[] = {
        {"audio", SKY_OPT_CHOICE, offsetof(Fake, b), 0, 0, 0, "x|y", "x", NULL, NULL},
        SKY_OPT_END,
    };
    static const SkyOpt bad_default[] = {
        {"ratio", SKY_OPT_DOUBLE, offsetof(Fake, d), 0, 0, 1, NULL, "2", NULL, NULL},
        SKY_OPT_END,
    };
    static const SkyOpt shadow[] = {
        {"log-level", SKY_OPT_INT, offsetof(Fake, a), 0, 0, 9, NULL, "1", NULL, NULL},
        SKY_OPT_END,
    };
    static const SkyOptGroup g1[] = {{"One", t1, 0}, SKY_OPT_GROUP_END};
    static const SkyOptGroup g2[] = {{"Two", t2, 0}, SKY_OPT_GROUP_END};
    static const SkyOptGroup both[] = {{"One", t1, 0}, {"One again", t1, 0}, SKY_OPT_GROUP_END};
    static const SkyOptGroup gbad[] = {{"Bad", bad_default, 0}, SKY_OPT_GROUP_END};
    static const SkyOptGroup gshadow[] = {{"Shadow", shadow, 0}, SKY_OPT_GROUP_END};
    static const SkyVerb v1 = {"one", g1, false, NULL, NULL};
    static const SkyVerb v1b = {"one-too", g1, false, NULL, NULL};
    static const SkyVerb v2 = {"two", g2, false, NULL, NULL};
    static const SkyVerb vboth = {"both", both, false, NULL, NULL};
    static const SkyVerb vbad = {"bad", gbad, false, NULL, NULL};
    static const SkyVerb vshadow = {"shadow", gshadow, false, NULL, NULL};
    char err[256];
    /* Sharing a declaration is fine; two declarations of one name are not. */
    assert_int_equal(sky_cli_check_verbs((const SkyVerb *[]){&v1, &v1b}, 2, err, sizeof(err)),
                     0);
    assert_int_equal(sky_cli_check_verbs((const SkyVerb *[]){&v1, &v2}, 2, err, sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_string_equal(err, "'audio' is declared twice (by 'one' and by 'two')");
    assert_int_equal(sky_cli_check_verbs((const SkyVerb *[]){&vboth}, 1, err, sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_string_equal(err, "'both' sees the option 'audio' twice");
    assert_int_equal(sky_cli_check_verbs((const SkyVerb *[]){&vshadow}, 1, err, sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_non_null(strstr(err, "log-level"));
    assert_int_equal(sky_cli_check_verbs((const SkyVerb *[]){&vbad}, 1, err, sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_non_null(strstr(err, "the default of 'ratio'"));
}

/* ---- the config file through the CLI ---- */

typedef struct CliCtx {
    int unused;
    TestOpts t;
} CliCtx;

static const SkyOptGroup cli_groups[] = {{"Test", table, offsetof(CliCtx, t)},
                                         SKY_OPT_GROUP_END};
static const SkyVerb host_verb = {"fakeverb", cli_groups, true, NULL, NULL};
static const SkyVerb plain_verb = {"fakeverb", cli_groups, false, NULL, NULL};

static char g_dir[64];

static void make_dir(void)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/test_opts_XXXXXX");
    assert_non_null(mkdtemp(g_dir));
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* What a run wrote to stderr (the logger's lines and usage errors). */
typedef struct Captured {
    char text[4096];
    int lines, warnings;
} Captured;

static void captured(Captured *c)
{
    snprintf(c->text, sizeof(c->text), "%s", tstderr_end());
    c->lines = c->warnings = 0;
    for (char *p = c->text; *p; p++)
        c->lines += *p == '\n';
    for (char *p = c->text; (p = strstr(p, "] warn: ")) != NULL; p++)
        c->warnings++;
}

static int cli_parse(const SkyVerb *v, CliCtx *ctx, const char *conf, const char *const *extra,
                     SkyCli **cli, Captured *cap)
{
    char *argv[16] = {(char *)"fakeverb", (char *)"--config", (char *)conf};
    int argc = 3;
    for (; extra && *extra; extra++)
        argv[argc++] = (char *)*extra;
    const char *pos[2];
    size_t npos;
    bool help;
    memset(ctx, 0xA5, sizeof(*ctx));
    tstderr_begin();
    int ret = sky_cli_parse(cli, v, ctx, argc, argv, pos, 2, &npos, &help);
    captured(cap);
    assert_false(help);
    return ret;
}

static const char cli_conf[] = "count = 12\n"
                               "latency-mode = balanced   # stream's: skipped\n"
                               "bitrat = 5000\n"
                               "[host pc]\n"
                               "count = 20\n"
                               "ratio = 0.5\n"
                               "latency-mode = smooth\n"
                               "[host other]\n"
                               "count = 30\n"
                               "[host PC]\n"
                               "mode = auto\n";

static void test_cli_config_and_hosts(void **state)
{
    (void)state;
    make_dir();
    char conf[128];
    snprintf(conf, sizeof(conf), "%s/a.conf", g_dir);
    write_text(conf, cli_conf);
    CliCtx ctx;
    SkyCli *cli = NULL;
    Captured cap;
    static const char *const args[] = {"--ratio", "0.75", NULL};
    assert_int_equal(cli_parse(&host_verb, &ctx, conf, args, &cli, &cap), 0);
    assert_non_null(cli);
    /* One warning, for the typo, with its line and the nearest option. */
    if (cap.warnings != 1 || cap.lines != 1 ||
        !strstr(cap.text, "a.conf:3: unknown option 'bitrat' (did you mean 'bitrate'?)"))
        fail_msg("stderr: %s", cap.text);
    assert_int_equal(ctx.t.count, 12);
    assert_true(ctx.t.ratio == 0.75);
    assert_int_equal(ctx.t.mode, 1);
    assert_true(ctx.t.flag);

    /* Another host: nothing applies. */
    const char *none[] = {"tv", NULL, ""};
    assert_int_equal(sky_cli_apply_host(cli, none, 3), 0);
    assert_int_equal(ctx.t.count, 12);
    /* This host (by any of its names): its sections in order, then the command line again. */
    const char *names[] = {"192.0.2.1", "pc"};
    assert_int_equal(sky_cli_apply_host(cli, names, 2), 3);
    assert_int_equal(ctx.t.count, 20);
    assert_true(ctx.t.ratio == 0.75); /* the command line wins */
    assert_int_equal(ctx.t.mode, 2);
    sky_cli_destroy(&cli);
    assert_null(cli);
    sky_cli_destroy(&cli);

    /* A verb without host sections reads the same file and skips them. */
    assert_int_equal(cli_parse(&plain_verb, &ctx, conf, NULL, &cli, &cap), 0);
    assert_int_equal(cap.warnings, 1);
    assert_int_equal(sky_cli_apply_host(cli, names, 2), 0);
    assert_int_equal(ctx.t.count, 12);
    assert_true(ctx.t.ratio == 0.25);
    sky_cli_destroy(&cli);
    unlink(conf);
    rmdir(g_dir);
}

static void test_cli_config_errors(void **state)
{
    (void)state;
    make_dir();
    char conf[128];
    snprintf(conf, sizeof(conf), "%s/b.conf", g_dir);
    CliCtx ctx;
    SkyCli *cli = (SkyCli *)&ctx;
    Captured cap;
    /* A bad value for this verb, in a host section too: the error comes last. */
    write_text(conf, "bitrat = 1\n[host pc]\ncount = many\n");
    assert_int_equal(cli_parse(&host_verb, &ctx, conf, NULL, &cli, &cap), SKY_ERR(EINVAL));
    assert_null(cli);
    assert_int_equal(cap.lines, 2);
    assert_non_null(strstr(cap.text, "b.conf:3: --count: 'many' is not a number\n"));
    assert_true(strstr(cap.text, "bitrat") < strstr(cap.text, "many"));
    /* A verb without host sections does not check their values; nor anyone other verbs'. */
    write_text(conf, "[host pc]\ncount = many\n\n[host x]\nfps = many\n");
    assert_int_equal(cli_parse(&plain_verb, &ctx, conf, NULL, &cli, &cap), 0);
    assert_int_equal(cap.lines, 0);
    sky_cli_destroy(&cli);
    assert_int_equal(cli_parse(&host_verb, &ctx, conf, NULL, &cli, &cap), SKY_ERR(EINVAL));
    /* Unknown sections warn and are skipped whole; a quiet log level silences warnings. */
    write_text(conf, "[hots pc]\ncount = many\nfrobnicate = 1\n");
    assert_int_equal(cli_parse(&host_verb, &ctx, conf, NULL, &cli, &cap), 0);
    assert_int_equal(cap.warnings, 1);
    assert_non_null(strstr(cap.text, "b.conf:1: unknown section '[hots pc]'"));
    sky_cli_destroy(&cli);
    write_text(conf, "log-level = error\nfrobnicate = 1\nlatency-mod = 1\n");
    assert_int_equal(cli_parse(&host_verb, &ctx, conf, NULL, &cli, &cap), 0);
    assert_int_equal(cap.lines, 0);
    sky_cli_destroy(&cli);
    static const char *const loud[] = {"--log-level", "warn", NULL};
    assert_int_equal(cli_parse(&host_verb, &ctx, conf, loud, &cli, &cap), 0);
    assert_int_equal(cap.warnings, 2);
    assert_non_null(strstr(cap.text, "b.conf:2: unknown option 'frobnicate'\n"));
    assert_non_null(strstr(cap.text, "(did you mean 'latency-mode'?)"));
    sky_cli_destroy(&cli);
    /* Command-line errors: suggestions, and other verbs' options named as such. */
    write_text(conf, "");
    static const struct {
        const char *arg;
        const char *says;
    } bad[] = {
        {"--cont=1", "skylight fakeverb: unknown option '--cont' (did you mean '--count'?)"},
        {"--no-flga", "unknown option '--no-flga' (did you mean '--no-flag'?)"},
        {"--latency-mode=smooth", "skylight fakeverb: --latency-mode is a 'stream' option"},
        {"--json", "--json is a 'hosts', 'info', 'list' and 'discover' option"},
        {"--latency-mod", "(did you mean '--latency-mode', a 'stream' option?)"},
        {"--frobnicate", "unknown option '--frobnicate' (see skylight fakeverb --help)"},
        {"--no-count", "unknown option '--no-count'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *args[] = {bad[i].arg, NULL};
        assert_int_equal(cli_parse(&host_verb, &ctx, conf, args, &cli, &cap), SKY_ERR(EINVAL));
        if (cap.lines != 1 || !strstr(cap.text, bad[i].says))
            fail_msg("%s: %s", bad[i].arg, cap.text);
    }
    unlink(conf);
    rmdir(g_dir);
}

static void test_cli_config_set(void **state)
{
    (void)state;
    make_dir();
    char path[128], err[256];
    snprintf(path, sizeof(path), "%s/sub/skylight.conf", g_dir);
    /* A new file, in a new directory. */
    assert_int_equal(sky_cli_config_set(path, "my pc", "fps", "30", err, sizeof(err)), 0);
    assert_string_equal(read_text(path), "[host my pc]\nfps = 30\n");
    assert_int_equal(sky_cli_config_set(path, NULL, "audio", "off", err, sizeof(err)), 0);
    assert_string_equal(read_text(path), "audio = off\n\n[host my pc]\nfps = 30\n");
    /* Comments and other lines stay; the mode too. */
    write_text(path, "# mine\naudio = off # quiet\n[host my pc]\nfps = 30\n");
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(sky_cli_config_set(path, "MY PC", "fps", "60", err, sizeof(err)), 0);
    assert_int_equal(sky_cli_config_set(path, NULL, "audio", "5.1", err, sizeof(err)), 0);
    assert_int_equal(sky_cli_config_set(path, "tv", "latency-mode", "smooth", err, sizeof(err)),
                     0);
    assert_string_equal(read_text(path), "# mine\naudio = 5.1 # quiet\n[host my pc]\nfps = 60\n"
                                         "\n[host tv]\nlatency-mode = smooth\n");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(sky_cli_config_set(path, "my pc", "fps", NULL, err, sizeof(err)), 0);
    assert_string_equal(read_text(path), "# mine\naudio = 5.1 # quiet\n[host my pc]\n"
                                         "\n[host tv]\nlatency-mode = smooth\n");
    /* Only options, with values that parse, and nothing the reader would misread. */
    const char *before = "# mine\naudio = 5.1 # quiet\n[host my pc]\n\n[host tv]\n"
                         "latency-mode = smooth\n";
    assert_int_equal(sky_cli_config_set(path, "tv", "fsp", "30", err, sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_non_null(strstr(err, "'fsp'"));
    assert_int_equal(sky_cli_config_set(path, "tv", "fps", "fast", err, sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_non_null(strstr(err, "--fps"));
    assert_int_equal(sky_cli_config_set(path, NULL, "config", "/x", err, sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_int_equal(sky_cli_config_set(path, "tv]", "fps", "30", err, sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_int_equal(sky_cli_config_set(path, "tv", "stats-json", "a#b", err, sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_string_equal(read_text(path), before);
    /* Several keys in one write, all or none. */
    const char *keys[] = {"width", "height"}, *good[] = {"1280", "800"}, *bad[] = {"1280", "x"};
    assert_int_equal(sky_cli_config_set_many(path, "tv", keys, bad, 2, err, sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_string_equal(read_text(path), before);
    assert_int_equal(sky_cli_config_set_many(path, "tv", keys, good, 2, err, sizeof(err)), 0);
    assert_string_equal(read_text(path), "# mine\naudio = 5.1 # quiet\n[host my pc]\n\n[host tv]\n"
                                         "latency-mode = smooth\nwidth = 1280\nheight = 800\n");
    write_text(path, before);
    /* A file that does not parse is left alone. */
    write_text(path, "broken line\n");
    assert_int_equal(sky_cli_config_set(path, NULL, "fps", "30", err, sizeof(err)),
                     SKY_ERR(EINVAL));
    assert_non_null(strstr(err, "line 1"));
    assert_string_equal(read_text(path), "broken line\n");
    unlink(path);

    /* The default path. */
    char want[256], got[256];
    setenv("XDG_CONFIG_HOME", g_dir, 1);
    snprintf(want, sizeof(want), "%s/skylight/skylight.conf", g_dir);
    assert_int_equal(sky_cli_config_path(got, sizeof(got)), 0);
    assert_string_equal(got, want);
    snprintf(path, sizeof(path), "%s/sub", g_dir);
    rmdir(path);
    rmdir(g_dir);
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
        cmocka_unit_test(test_choice_aliases),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_config_sections),
        cmocka_unit_test(test_section_equal),
        cmocka_unit_test(test_config_edit_replace),
        cmocka_unit_test(test_config_edit_insert),
        cmocka_unit_test(test_config_edit_remove),
        cmocka_unit_test(test_config_edit_refuses),
        cmocka_unit_test(test_one_declaration),
        cmocka_unit_test(test_check_finds_twins),
        cmocka_unit_test(test_cli_config_and_hosts),
        cmocka_unit_test(test_cli_config_errors),
        cmocka_unit_test(test_cli_config_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
