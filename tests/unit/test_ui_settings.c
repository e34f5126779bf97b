/* Unit tests of client/ui/settings: every value the screen offers is one its option takes,
 * values read from the file globally and per host (resolutions as two keys), stepping through
 * the values in either scope, and writes that keep the rest of the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/cli.h"
#include "client/fsutil.h"
#include "client/ui/settings.h"
#include "common/core/opts.h"

static char g_dir[256], g_path[300];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/sky-settings-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_path, sizeof(g_path), "%s/skylight.conf", g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(g_path);
    rmdir(g_dir);
    return 0;
}

static void write_conf(const char *text)
{
    FILE *f = fopen(g_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static size_t index_of(const char *key)
{
    for (size_t i = 0; i < sky_setting_count; i++)
        if (strcmp(sky_setting_defs[i].keys[0], key) == 0)
            return i;
    fail_msg("no setting %s", key);
    return 0;
}

/* Each value offered parses for its option (the tables stay the one declaration). */
static void test_values_are_options(void **state)
{
    (void)state;
    for (size_t i = 0; i < sky_setting_count; i++) {
        const SkySettingDef *d = &sky_setting_defs[i];
        for (int k = 0; k < 2 && d->keys[k]; k++)
            assert_non_null(sky_cli_find_option(d->keys[k]));
        char list[256], err[256];
        snprintf(list, sizeof(list), "%s", d->values);
        size_t n_values = 0, n_labels = 1;
        for (char *v = strtok(list, "|"); v; v = strtok(NULL, "|"), n_values++) {
            if (d->keys[1]) {
                char w[16], h[16];
                assert_int_equal(sscanf(v, "%15[0-9]x%15[0-9]", w, h), 2);
                assert_int_equal(sky_opts_validate(sky_cli_find_option(d->keys[0]), w, err,
                                                   sizeof(err)), 0);
                assert_int_equal(sky_opts_validate(sky_cli_find_option(d->keys[1]), h, err,
                                                   sizeof(err)), 0);
            } else if (sky_opts_validate(sky_cli_find_option(d->keys[0]), v, err,
                                         sizeof(err)) < 0) {
                fail_msg("%s: %s", d->label, err);
            }
        }
        for (const char *p = d->labels; (p = strchr(p, '|')); p++)
            n_labels++;
        assert_int_equal(n_values, n_labels);
    }
}

static void test_read_scopes(void **state)
{
    (void)state;
    write_conf("fps = 120\nwidth = 1920\nheight = 1080\n# a comment\n"
               "[host Other]\nfps = 30\n"
               "[host  desk PC]\nhdr = yes\nheight = 800\nwidth = 1280\n");
    SkySettingValue v[32];
    char err[256], out[64];
    assert_int_equal(sky_settings_read(g_path, "Desk PC", v, err, sizeof(err)), 0);
    size_t fps = index_of("fps"), res = index_of("width"), hdr = index_of("hdr"),
           codec = index_of("codec");
    assert_string_equal(v[fps].global, "120");
    assert_string_equal(v[fps].host, ""); /* [host Other] is another host's */
    assert_string_equal(v[res].global, "1920x1080");
    assert_string_equal(v[res].host, "1280x800");
    assert_string_equal(v[hdr].host, "yes");
    sky_setting_effective(fps, &v[fps], true, out, sizeof(out));
    assert_string_equal(out, "120");
    sky_setting_effective(codec, &v[codec], false, out, sizeof(out));
    assert_string_equal(out, "auto"); /* the option's default */
    sky_setting_label(res, "1280x800", out, sizeof(out));
    assert_string_equal(out, "1280 x 800");
    sky_setting_label(fps, "75", out, sizeof(out)); /* typed into the file: shown as it is */
    assert_string_equal(out, "75");

    /* A missing file is empty; a broken one is an error. */
    unlink(g_path);
    assert_int_equal(sky_settings_read(g_path, NULL, v, err, sizeof(err)), 0);
    assert_string_equal(v[fps].global, "");
    write_conf("[host\nfps = 1\n");
    assert_true(sky_settings_read(g_path, NULL, v, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, g_path));
}

static void test_step(void **state)
{
    (void)state;
    SkySettingValue v = {{0}, {0}};
    char out[64];
    size_t hdr = index_of("hdr");
    sky_setting_step(hdr, &v, false, 1, out, sizeof(out)); /* default no -> yes */
    assert_string_equal(out, "yes");
    sky_setting_step(hdr, &v, false, -1, out, sizeof(out)); /* wraps */
    assert_string_equal(out, "yes");
    /* A host's scope starts at "the global value" (""), then the values. */
    sky_setting_step(hdr, &v, true, 1, out, sizeof(out));
    assert_string_equal(out, "no");
    snprintf(v.host, sizeof(v.host), "yes");
    sky_setting_step(hdr, &v, true, 1, out, sizeof(out));
    assert_string_equal(out, "");
    /* A value typed into the file steps from the list's ends. */
    size_t fps = index_of("fps");
    SkySettingValue odd = {"75", ""};
    sky_setting_step(fps, &odd, false, 1, out, sizeof(out));
    assert_string_equal(out, "0");
    sky_setting_step(fps, &odd, false, -1, out, sizeof(out));
    assert_string_equal(out, "144");
}

static void test_write(void **state)
{
    (void)state;
    write_conf("# mine\nbitrate = 20000\n");
    char err[256], *text = NULL;
    size_t len = 0;
    size_t res = index_of("width");
    assert_int_equal(sky_setting_write(g_path, "Desk PC", res, "2560x1440", err, sizeof(err)),
                     0);
    assert_int_equal(sky_setting_write(g_path, NULL, index_of("bitrate"), "", err, sizeof(err)),
                     0);
    assert_int_equal(sky_read_file(g_path, 65536, &text, &len), 0);
    assert_non_null(strstr(text, "# mine"));
    assert_null(strstr(text, "bitrate"));
    assert_non_null(strstr(text, "[host Desk PC]"));
    assert_non_null(strstr(text, "width = 2560"));
    assert_non_null(strstr(text, "height = 1440"));
    free(text);
    SkySettingValue v[32];
    assert_int_equal(sky_settings_read(g_path, "desk pc", v, err, sizeof(err)), 0);
    assert_string_equal(v[res].host, "2560x1440");
    /* Values the option refuses are not written. */
    assert_true(sky_setting_write(g_path, NULL, index_of("fps"), "9999", err, sizeof(err)) < 0);
    assert_true(sky_setting_write(g_path, NULL, res, "big", err, sizeof(err)) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_are_options),
        cmocka_unit_test_setup_teardown(test_read_scopes, setup, teardown),
        cmocka_unit_test(test_step),
        cmocka_unit_test_setup_teardown(test_write, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
