/* The host API parsers on the replies recorded from a real Sunshine host, on hostile variants,
 * and the request builders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/core/error.h"
#include "common/proto/hostapi.h"

static char *reply(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/captures/replies/%s", SKY_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(65536);
    *len = fread(buf, 1, 65535, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void test_serverinfo_capture(void **state)
{
    (void)state;
    size_t len;
    char *body = reply("serverinfo-https.xml", &len);
    SkyServerInfo si;
    char err[200];
    assert_int_equal(sky_hostapi_serverinfo(body, len, &si, err, sizeof(err)), 0);
    assert_string_equal(si.hostname, "sunshine-loopback-test");
    assert_string_equal(si.uniqueid, "B243C8E5-C526-6C2D-668A-5B3FAA706EF4");
    assert_string_equal(si.appversion, "7.1.431.-1");
    assert_int_equal(si.app_major, 7);
    assert_true(si.sunshine);
    assert_string_equal(si.gfe_version, "3.23.0.74");
    assert_int_equal(si.https_port, 47984);
    assert_int_equal(si.http_port, 47989);
    assert_int_equal(si.codec_support, 257);
    assert_true(si.paired);
    assert_false(si.busy);
    assert_int_equal(si.current_game, 0);
    assert_string_equal(si.mac, ""); /* the 00:00:... placeholder */
    assert_string_equal(si.local_ip, "127.0.0.1");
    assert_int_equal(si.max_luma_pixels_hevc, 1869449984u);
    assert_int_equal(si.n_modes, 55);
    SkyDisplayMode m = sky_serverinfo_max_mode(&si);
    assert_int_equal(m.width, 3840);
    assert_int_equal(m.height, 2160);
    assert_int_equal(m.refresh_hz, 120);
    char codecs[128];
    sky_codec_support_text(si.codec_support, codecs, sizeof(codecs));
    assert_string_equal(codecs, "H.264, HEVC");
    free(body);

    body = reply("serverinfo-http.xml", &len);
    assert_int_equal(sky_hostapi_serverinfo(body, len, &si, err, sizeof(err)), 0);
    assert_false(si.paired);
    free(body);
}

static void test_unauthorized(void **state)
{
    (void)state;
    size_t len;
    char *body = reply("serverinfo-unpaired-https.xml", &len);
    SkyServerInfo si;
    char err[200];
    int status;
    SkyXml *x = NULL;
    assert_int_equal(sky_hostapi_reply(body, len, &x, &status, err, sizeof(err)), SKY_ERR(EACCES));
    assert_null(x);
    assert_int_equal(status, 401);
    assert_non_null(strstr(err, "not authorized"));
    assert_int_equal(sky_hostapi_serverinfo(body, len, &si, err, sizeof(err)), SKY_ERR(EACCES));
    free(body);
}

static int serverinfo_of(const char *xml, SkyServerInfo *si, char *err, size_t errlen)
{
    return sky_hostapi_serverinfo(xml, strlen(xml), si, err, errlen);
}

#define MINIMAL_SI(extra)                                                                    \
    "<root status_code=\"200\"><uniqueid>ABC-1</uniqueid><appversion>7.1.0.0</appversion>" \
    "<state>SUNSHINE_SERVER_BUSY</state><currentgame>42</currentgame>"                      \
    "<PairStatus>1</PairStatus>" extra "</root>"

static void test_serverinfo_variants(void **state)
{
    (void)state;
    SkyServerInfo si;
    char err[200];
    assert_int_equal(serverinfo_of(MINIMAL_SI(""), &si, err, sizeof(err)), 0);
    assert_false(si.sunshine); /* 7.1.0.0: GFE's form */
    assert_true(si.busy);
    assert_int_equal(si.current_game, 42);
    assert_int_equal(si.https_port, 47984); /* default */
    assert_int_equal(si.codec_support, SKY_SCM_H264);
    assert_int_equal(serverinfo_of(MINIMAL_SI("<mac>AA:bb:cc:dd:ee:01</mac><HttpsPort>1234</HttpsPort>"
                                              "<ServerCodecModeSupport>196609</ServerCodecModeSupport>"),
                                   &si, err, sizeof(err)),
                     0);
    assert_string_equal(si.mac, "AA:bb:cc:dd:ee:01");
    assert_int_equal(si.https_port, 1234);
    char codecs[128];
    sky_codec_support_text(si.codec_support, codecs, sizeof(codecs));
    assert_string_equal(codecs, "H.264, AV1, AV1 10-bit");
    /* Control characters in names cannot reach the terminal (XML itself refuses the others). */
    assert_int_equal(serverinfo_of(MINIMAL_SI("<hostname>a\tb\rc&#10;d</hostname>"), &si, err,
                                   sizeof(err)),
                     0);
    assert_string_equal(si.hostname, "a?b?c?d");
    /* C1 controls too (U+009B is CSI, as ESC [ in an 8-bit terminal); other UTF-8 stays. */
    assert_int_equal(serverinfo_of(MINIMAL_SI("<hostname>a\xc2\x9b"
                                              "31mb\xc2\xa0\xc3\xa9</hostname>"),
                                   &si, err, sizeof(err)),
                     0);
    assert_string_equal(si.hostname, "a?31mb\xc2\xa0\xc3\xa9");
    assert_true(serverinfo_of(MINIMAL_SI("<hostname>a\x1b[31mb</hostname>"), &si, err,
                              sizeof(err)) < 0);
    /* A malformed MAC is ignored, not trusted. */
    assert_int_equal(serverinfo_of(MINIMAL_SI("<mac>zz:zz</mac>"), &si, err, sizeof(err)), 0);
    assert_string_equal(si.mac, "");

    static const char *const bad[] = {
        "<root status_code=\"200\"><appversion>7</appversion></root>",
        MINIMAL_SI("<HttpsPort>70000</HttpsPort>"),
        "<root status_code=\"200\"><uniqueid>../../etc</uniqueid><appversion>7</appversion>"
        "<state>x</state><currentgame>0</currentgame><PairStatus>0</PairStatus></root>",
        "<root status_code=\"200\"><uniqueid>A</uniqueid><appversion>x7</appversion>"
        "<state>x</state><currentgame>0</currentgame><PairStatus>0</PairStatus></root>",
        "<root status_code=\"200\"><uniqueid>A</uniqueid><appversion>7</appversion>"
        "<state>x</state><currentgame>-1</currentgame><PairStatus>0</PairStatus></root>",
        "<notroot status_code=\"200\"/>",
        "<root/>",
        "<root status_code=\"abc\"/>",
        "<root status_code=\"200\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        int ret = serverinfo_of(bad[i], &si, err, sizeof(err));
        if (ret >= 0)
            fail_msg("accepted bad serverinfo %zu", i);
        assert_true(err[0] != '\0');
    }
    /* An over-long hostname is an error, not a silent cut. */
    char xml[1024];
    char name[300];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    snprintf(xml, sizeof(xml), MINIMAL_SI("<hostname>%s</hostname>"), name);
    assert_int_equal(serverinfo_of(xml, &si, err, sizeof(err)), SKY_ERR(EBADMSG));
    assert_non_null(strstr(err, "<hostname> is longer than"));
    /* Other status codes carry the host's message. */
    assert_int_equal(serverinfo_of("<root status_code=\"503\" status_message=\"busy\"/>", &si, err,
                                   sizeof(err)),
                     SKY_ERR(EPROTO));
    assert_non_null(strstr(err, "503"));
    assert_non_null(strstr(err, "busy"));
}

static void test_applist(void **state)
{
    (void)state;
    size_t len;
    char *body = reply("applist.xml", &len);
    SkyAppList l;
    char err[200];
    assert_int_equal(sky_hostapi_applist(body, len, &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, 3);
    assert_string_equal(l.apps[0].title, "Desktop");
    assert_int_equal(l.apps[0].id, 881448767);
    assert_false(l.apps[0].hdr);
    assert_string_equal(l.apps[2].title, "Steam Big Picture");
    assert_ptr_equal(sky_applist_find(&l, "881448767"), &l.apps[0]);
    assert_ptr_equal(sky_applist_find(&l, "Low Res Desktop"), &l.apps[1]);
    assert_ptr_equal(sky_applist_find(&l, "steam big picture"), &l.apps[2]);
    assert_null(sky_applist_find(&l, "Nope"));
    sky_applist_free(&l);
    assert_null(l.apps);
    free(body);

    const char *empty = "<root status_code=\"200\"></root>";
    assert_int_equal(sky_hostapi_applist(empty, strlen(empty), &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, 0);
    sky_applist_free(&l);
    const char *no_id = "<root status_code=\"200\"><App><AppTitle>x</AppTitle></App></root>";
    assert_int_equal(sky_hostapi_applist(no_id, strlen(no_id), &l, err, sizeof(err)),
                     SKY_ERR(EBADMSG));
    assert_null(l.apps);
    const char *bad_id =
        "<root status_code=\"200\"><App><AppTitle>x</AppTitle><ID>4294967296</ID></App></root>";
    assert_int_equal(sky_hostapi_applist(bad_id, strlen(bad_id), &l, err, sizeof(err)),
                     SKY_ERR(EBADMSG));
    /* Too many apps. */
    size_t cap = 64 * (SKY_APPLIST_MAX + 2);
    char *many = malloc(cap);
    size_t pos = (size_t)snprintf(many, cap, "<root status_code=\"200\">");
    for (int i = 0; i <= SKY_APPLIST_MAX; i++)
        pos += (size_t)snprintf(many + pos, cap - pos, "<App><AppTitle>a</AppTitle><ID>%d</ID></App>", i);
    snprintf(many + pos, cap - pos, "</root>");
    assert_int_equal(sky_hostapi_applist(many, strlen(many), &l, err, sizeof(err)), SKY_ERR(E2BIG));
    free(many);
}

static void test_launch(void **state)
{
    (void)state;
    size_t len;
    char *body = reply("launch.xml", &len);
    SkySessionUrl u;
    char err[200];
    assert_int_equal(sky_hostapi_launch(body, len, "gamesession", &u, err, sizeof(err)), 0);
    assert_true(u.encrypted);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 48010);
    /* A /launch reply is not a /resume reply. */
    assert_int_equal(sky_hostapi_launch(body, len, "resume", &u, err, sizeof(err)), SKY_ERR(EPROTO));
    free(body);
    const char *zero = "<root status_code=\"200\"><gamesession>0</gamesession></root>";
    assert_int_equal(sky_hostapi_launch(zero, strlen(zero), "gamesession", &u, err, sizeof(err)),
                     SKY_ERR(EPROTO));
    const char *busy = "<root status_code=\"400\" status_message=\"An app is already running on "
                       "this host\"><resume>0</resume></root>";
    assert_int_equal(sky_hostapi_launch(busy, strlen(busy), "gamesession", &u, err, sizeof(err)),
                     SKY_ERR(EPROTO));
    assert_non_null(strstr(err, "already running"));
    const char *v6 = "<root status_code=\"200\"><resume>1</resume>"
                     "<sessionUrl0>rtsp://[fe80::1]:48010</sessionUrl0></root>";
    assert_int_equal(sky_hostapi_launch(v6, strlen(v6), "resume", &u, err, sizeof(err)), 0);
    assert_false(u.encrypted);
    assert_string_equal(u.host, "fe80::1");
    const char *badurl = "<root status_code=\"200\"><gamesession>1</gamesession>"
                         "<sessionUrl0>http://x:1</sessionUrl0></root>";
    assert_int_equal(sky_hostapi_launch(badurl, strlen(badurl), "gamesession", &u, err,
                                        sizeof(err)),
                     SKY_ERR(EBADMSG));
}

static void test_pair_fields(void **state)
{
    (void)state;
    size_t len;
    char *body = reply("pair-clientchallenge.xml", &len);
    SkyXml *x = NULL;
    char err[200];
    assert_int_equal(sky_hostapi_reply(body, len, &x, NULL, err, sizeof(err)), 0);
    uint8_t buf[64];
    size_t n;
    assert_int_equal(sky_hostapi_hex(sky_xml_root(x), "challengeresponse", buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 48);
    assert_int_equal(buf[0], 0x9a);
    int64_t paired;
    assert_int_equal(sky_hostapi_int(sky_xml_root(x), "paired", 0, 1, &paired), 0);
    assert_int_equal(paired, 1);
    assert_int_equal(sky_hostapi_hex(sky_xml_root(x), "challengeresponse", buf, 16, &n),
                     SKY_ERR(E2BIG));
    assert_int_equal(sky_hostapi_hex(sky_xml_root(x), "plaincert", buf, 16, &n), SKY_ERR(ENOENT));
    sky_xml_destroy(&x);
    free(body);
}

static void test_addr_is_local(void **state)
{
    (void)state;
    static const char *const local[] = {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.9",
                                        "192.168.1.20", "169.254.3.4", "::1", "fe80::1%eth0",
                                        "fd12:3456::1", "::ffff:192.168.0.7"};
    static const char *const remote[] = {"8.8.8.8", "172.32.0.1", "172.15.0.1", "100.64.0.5",
                                         "192.169.0.1", "2001:db8::1", "::ffff:8.8.8.8",
                                         "gaming-pc", "", "1.2.3"};
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        if (!sky_host_addr_is_local(local[i]))
            fail_msg("%s should be local", local[i]);
    for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++)
        if (sky_host_addr_is_local(remote[i]))
            fail_msg("%s should be remote", remote[i]);
}

static void test_host_addr(void **state)
{
    (void)state;
    SkyHostAddr a;
    assert_int_equal(sky_host_addr_parse("192.168.1.5", &a), 0);
    assert_string_equal(a.host, "192.168.1.5");
    assert_int_equal(a.port, 0);
    assert_false(a.ipv6);
    assert_int_equal(sky_host_addr_parse("gaming-pc:47990", &a), 0);
    assert_string_equal(a.host, "gaming-pc");
    assert_int_equal(a.port, 47990);
    assert_int_equal(sky_host_addr_parse("::1", &a), 0);
    assert_string_equal(a.host, "::1");
    assert_true(a.ipv6);
    assert_int_equal(a.port, 0);
    assert_int_equal(sky_host_addr_parse("[fe80::1%eth0]:1234", &a), 0);
    assert_string_equal(a.host, "fe80::1%eth0");
    assert_int_equal(a.port, 1234);
    assert_int_equal(sky_host_addr_parse("[::1]", &a), 0);
    assert_int_equal(a.port, 0);
    static const char *const bad[] = {"", "host:", "host:0", "host:65536", "host:-1", "[::1",
                                      "[]", "[::1]x", "[host]", "a b", "a/b", "a?b", ":80",
                                      "[::1]:x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sky_host_addr_parse(bad[i], &a) == 0)
            fail_msg("accepted '%s'", bad[i]);
    char s[64];
    sky_host_addr_format("::1", true, 80, s, sizeof(s));
    assert_string_equal(s, "[::1]:80");
}

static void test_urls(void **state)
{
    (void)state;
    char url[512];
    assert_int_equal(sky_hostapi_url(url, sizeof(url), false, "10.0.0.2", false, 47989,
                                     "serverinfo", "0123", "u-1", NULL),
                     0);
    assert_string_equal(url, "http://10.0.0.2:47989/serverinfo?uniqueid=0123&uuid=u-1");
    assert_int_equal(sky_hostapi_url(url, sizeof(url), true, "fe80::1%eth0", true, 47984, "applist",
                                     "0123", "u", "a=b"),
                     0);
    assert_string_equal(url, "https://[fe80::1%25eth0]:47984/applist?uniqueid=0123&uuid=u&a=b");
    assert_int_equal(sky_hostapi_url(url, 20, true, "h", false, 1, "p", "i", "u", NULL),
                     SKY_ERR(E2BIG));

    SkyLaunchParams p = {
        .appid = 881448767, .width = 1280, .height = 720, .fps = 60, .sops = true,
        .audio_channels = 2, .rikeyid = 509169654,
    };
    static const uint8_t key[16] = {0xb1, 0x5e, 0x61, 0xc6, 0x4f, 0x69, 0x58, 0xd3,
                                    0x8a, 0x25, 0x3a, 0xd5, 0x2e, 0x27, 0x02, 0x37};
    memcpy(p.rikey, key, 16);
    char q[512];
    assert_int_equal(sky_hostapi_launch_query(&p, q, sizeof(q)), 0);
    /* The values of the recorded session. */
    assert_string_equal(q, "appid=881448767&mode=1280x720x60&additionalStates=1&sops=1"
                           "&rikey=b15e61c64f6958d38a253ad52e270237&rikeyid=509169654"
                           "&localAudioPlayMode=0&surroundAudioInfo=196610"
                           "&remoteControllersBitmap=0&gcmap=0&corever=1");
    p.rikeyid = 0x8616f462; /* negative as a signed 32-bit number, as sent */
    p.audio_channels = 8;
    p.hdr = true;
    assert_int_equal(sky_hostapi_launch_query(&p, q, sizeof(q)), 0);
    assert_non_null(strstr(q, "&rikeyid=-2045315998&"));
    assert_non_null(strstr(q, "&surroundAudioInfo=104792072&"));
    assert_non_null(strstr(q, "&hdrMode=1&"));
    assert_int_equal(sky_surround_audio_info(6), 0x3F0006);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serverinfo_capture),
        cmocka_unit_test(test_unauthorized),
        cmocka_unit_test(test_serverinfo_variants),
        cmocka_unit_test(test_applist),
        cmocka_unit_test(test_launch),
        cmocka_unit_test(test_pair_fields),
        cmocka_unit_test(test_host_addr),
        cmocka_unit_test(test_addr_is_local),
        cmocka_unit_test(test_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
