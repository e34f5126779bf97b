/* Known-host records and atomic files (client/host/hosts.c, client/fsutil.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/fsutil.h"
#include "client/host/hosts.h"
#include "common/core/error.h"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/sky-hosts-XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static const char PEM[] = "-----BEGIN CERTIFICATE-----\nnot checked here\n"
                          "-----END CERTIFICATE-----\n";

static void test_round_trip(void **state)
{
    (void)state;
    SkyKnownHost h = {.https_port = 47984, .paired = true};
    snprintf(h.uniqueid, sizeof(h.uniqueid), "ABC-123");
    /* Characters the config syntax gives a meaning to survive. */
    snprintf(h.name, sizeof(h.name), "Bob's PC #2 = 100%% fun");
    snprintf(h.address, sizeof(h.address), "[fe80::1%%eth0]:47990");
    snprintf(h.mac, sizeof(h.mac), "aa:bb:cc:dd:ee:ff");
    h.cert_pem = (char *)PEM;
    h.cert_len = strlen(PEM);
    /* A certificate that does not parse makes the host "not paired" on load. */
    assert_int_equal(sky_hosts_save(g_dir, &h), 0);
    SkyKnownHost *hosts;
    size_t n;
    assert_int_equal(sky_hosts_load(g_dir, &hosts, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(hosts[0].uniqueid, "ABC-123");
    assert_string_equal(hosts[0].name, "Bob's PC #2 = 100% fun");
    assert_string_equal(hosts[0].address, "[fe80::1%eth0]:47990");
    assert_string_equal(hosts[0].mac, "aa:bb:cc:dd:ee:ff");
    assert_int_equal(hosts[0].https_port, 47984);
    assert_false(hosts[0].paired);
    assert_null(hosts[0].cert_pem);
    assert_int_equal(sky_hosts_find(hosts, n, "bob's pc #2 = 100% FUN"), 0);
    assert_int_equal(sky_hosts_find(hosts, n, "ABC-123"), 0);
    assert_int_equal(sky_hosts_find(hosts, n, "[fe80::1%eth0]:47990"), 0);
    assert_int_equal(sky_hosts_find(hosts, n, "other"), -1);
    sky_hosts_free(hosts, n);

    /* Unpaired: the certificate file goes. */
    h.paired = false;
    assert_int_equal(sky_hosts_save(g_dir, &h), 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/hosts/ABC-123.pem", g_dir);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(sky_hosts_remove(g_dir, "ABC-123"), 0);
    assert_int_equal(sky_hosts_remove(g_dir, "ABC-123"), SKY_ERR(ENOENT));
    assert_int_equal(sky_hosts_load(g_dir, &hosts, &n), 0);
    assert_int_equal(n, 0);
    sky_hosts_free(hosts, n);
}

static void test_refuses_bad_ids(void **state)
{
    (void)state;
    SkyKnownHost h = {.https_port = 1};
    snprintf(h.address, sizeof(h.address), "x");
    static const char *const bad[] = {"", "..", ".", "a/b", "a b", "../x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(h.uniqueid, sizeof(h.uniqueid), "%s", bad[i]);
        assert_int_equal(sky_hosts_save(g_dir, &h), SKY_ERR(EINVAL));
        assert_int_equal(sky_hosts_remove(g_dir, bad[i]), SKY_ERR(EINVAL));
    }
    /* Paired without a certificate is a programmer error. */
    snprintf(h.uniqueid, sizeof(h.uniqueid), "ok");
    h.paired = true;
    assert_int_equal(sky_hosts_save(g_dir, &h), SKY_ERR(EINVAL));
}

static void test_malformed_files_skipped(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/hosts", g_dir);
    assert_int_equal(sky_mkdirs(path, 0700), 0);
    static const char *const files[][2] = {
        {"A.conf", "uniqueid = A\naddress = 10.0.0.1\nhttps_port = 70000\n"},
        {"B.conf", "uniqueid = OTHER\naddress = 10.0.0.1\n"}, /* id does not match the name */
        {"C.conf", "no equals sign\n"},
        {"D.conf", "uniqueid = D\n"},                         /* no address */
        {"E.conf", "uniqueid = E\naddress = 10.0.0.5\npaired = yes\n"}, /* its .pem is missing */
        {"F.txt", "uniqueid = F\naddress = x\n"},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/hosts/%s", g_dir, files[i][0]);
        assert_int_equal(sky_write_file_atomic(path, files[i][1], strlen(files[i][1]), 0644), 0);
    }
    SkyKnownHost *hosts;
    size_t n;
    assert_int_equal(sky_hosts_load(g_dir, &hosts, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(hosts[0].uniqueid, "E");
    assert_false(hosts[0].paired);
    sky_hosts_free(hosts, n);
}

static void test_atomic_files(void **state)
{
    (void)state;
    char path[600], dir[512];
    snprintf(dir, sizeof(dir), "%s/a/b/c", g_dir);
    assert_int_equal(sky_mkdirs(dir, 0700), 0);
    assert_int_equal(sky_mkdirs(dir, 0700), 0);
    snprintf(path, sizeof(path), "%s/f", dir);
    assert_int_equal(sky_write_file_atomic(path, "one", 3, 0600), 0);
    assert_int_equal(sky_write_file_atomic(path, "second", 6, 0600), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *data;
    size_t len;
    assert_int_equal(sky_read_file(path, 100, &data, &len), 0);
    assert_int_equal(len, 6);
    assert_string_equal(data, "second");
    free(data);
    assert_int_equal(sky_read_file(path, 5, &data, &len), SKY_ERR(E2BIG));
    assert_null(data);
    snprintf(path, sizeof(path), "%s/missing", dir);
    assert_int_equal(sky_read_file(path, 5, &data, &len), SKY_ERR(ENOENT));
    /* No temporary files are left behind. */
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    /* A path whose parent is a file cannot be a directory. */
    snprintf(path, sizeof(path), "%s/f/x", dir);
    assert_int_equal(sky_mkdirs(path, 0700), SKY_ERR(ENOTDIR));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_bad_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_files_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
