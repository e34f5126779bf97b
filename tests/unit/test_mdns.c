/* Unit tests for common/proto/mdns: the query, answers as Avahi sends them (compressed), hostile
 * names and layouts, the caps, and the browser's hosts, goodbyes and expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/core/error.h"
#include "common/proto/mdns.h"

typedef struct Pkt {
    uint8_t b[SKY_MDNS_PACKET_MAX];
    size_t n;
} Pkt;

static void raw(Pkt *p, const void *d, size_t n)
{
    assert_true(p->n + n <= sizeof(p->b));
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void u16(Pkt *p, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    raw(p, b, 2);
}

static void header(Pkt *p, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
    p->n = 0;
    u16(p, 0);
    u16(p, flags);
    u16(p, qd);
    u16(p, an);
    u16(p, ns);
    u16(p, ar);
}

/* A record whose name is given in wire form (compression and all). */
static void rr(Pkt *p, const char *wire_name, size_t name_len, uint16_t type, uint32_t ttl,
               const void *rdata, size_t rdlen)
{
    raw(p, wire_name, name_len);
    u16(p, type);
    u16(p, SKY_MDNS_CLASS_IN | 0x8000);
    u16(p, (uint16_t)(ttl >> 16));
    u16(p, (uint16_t)ttl);
    u16(p, (uint16_t)rdlen);
    raw(p, rdata, rdlen);
}
#define RR(p, name, type, ttl, rdata, rdlen) rr(p, name, sizeof(name) - 1, type, ttl, rdata, rdlen)

#define SERVICE_WIRE "\x09_nvstream\x04_tcp\x05local\x00"

/* Writes an uncompressed answer for instance (a label) on port with one A record. */
static void answer(Pkt *p, const char *instance, uint16_t port, const uint8_t a[4], uint32_t ttl)
{
    uint8_t inst[128], srv[128], target[] = "\x04host\x05local";
    size_t il = 0;
    inst[il++] = (uint8_t)strlen(instance);
    memcpy(inst + il, instance, strlen(instance));
    il += strlen(instance);
    memcpy(inst + il, SERVICE_WIRE, sizeof(SERVICE_WIRE) - 1);
    il += sizeof(SERVICE_WIRE) - 1;
    /* each instance gets its own target host name: hostN.local with N its first letter */
    target[4] = (uint8_t)instance[0];
    srv[0] = 0, srv[1] = 0, srv[2] = 0, srv[3] = 0, srv[4] = (uint8_t)(port >> 8);
    srv[5] = (uint8_t)port;
    memcpy(srv + 6, target, sizeof(target));
    header(p, SKY_MDNS_FLAG_RESPONSE, 0, 3, 0, 0);
    RR(p, SERVICE_WIRE, SKY_MDNS_TYPE_PTR, ttl, inst, il);
    rr(p, (const char *)inst, il, SKY_MDNS_TYPE_SRV, ttl, srv, 6 + sizeof(target));
    rr(p, (const char *)target, sizeof(target), SKY_MDNS_TYPE_A, ttl, a, 4);
}

static SkyMdnsMsg g_msg;

static void test_query(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t len;
    assert_int_equal(sky_mdns_build_query(b, 10, &len), SKY_ERR(ENOSPC));
    assert_int_equal(sky_mdns_build_query(b, sizeof(b), &len), 0);
    assert_int_equal(len, 12 + sizeof(SERVICE_WIRE) - 1 + 4);
    assert_int_equal(sky_mdns_parse(b, len, &g_msg), 0);
    assert_false(g_msg.flags & 0x8000);
    assert_int_equal(g_msg.n_questions, 1);
    assert_string_equal(g_msg.questions[0].name, "_nvstream._tcp.local");
    assert_int_equal(g_msg.questions[0].type, SKY_MDNS_TYPE_PTR);
    assert_false(g_msg.questions[0].unicast);
}

/* As Avahi answers for Sunshine: compressed names, an instance with a space and a dot in it,
 * IPv4 and link-local IPv6. */
static void test_compressed_answer(void **state)
{
    (void)state;
    Pkt p;
    header(&p, SKY_MDNS_FLAG_RESPONSE, 0, 1, 0, 4);
    RR(&p, SERVICE_WIRE, SKY_MDNS_TYPE_PTR, 4500, "\x08My PC.v2\xc0\x0c", 11); /* at 12 */
    size_t inst_at = p.n - 11;
    uint8_t inst_ptr[2] = {0xc0, (uint8_t)inst_at};
    uint8_t srv[] = {0, 0, 0, 0, 0xbb, 0x15, 5, 'm', 'y', '-', 'p', 'c', 0xc0, 12 + 15};
    rr(&p, (const char *)inst_ptr, 2, SKY_MDNS_TYPE_SRV, 120, srv, sizeof(srv));
    size_t target_at = p.n - 8;
    rr(&p, (const char *)inst_ptr, 2, SKY_MDNS_TYPE_TXT, 4500, "\x00", 1);
    uint8_t target_ptr[2] = {0xc0, (uint8_t)target_at};
    rr(&p, (const char *)target_ptr, 2, SKY_MDNS_TYPE_A, 120, "\xc6\x33\x64\x01", 4);
    uint8_t ll[16] = {0xfe, 0x80, [15] = 1};
    rr(&p, (const char *)target_ptr, 2, SKY_MDNS_TYPE_AAAA, 120, ll, 16);
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
    assert_int_equal(g_msg.n_records, 5);
    assert_int_equal(g_msg.skipped, 0);
    assert_string_equal(g_msg.records[0].target, "My PC\\.v2._nvstream._tcp.local");
    assert_string_equal(g_msg.records[1].name, "My PC\\.v2._nvstream._tcp.local");
    assert_string_equal(g_msg.records[1].target, "my-pc.local");
    assert_int_equal(g_msg.records[1].port, 47893);
    assert_true(g_msg.records[1].cache_flush);
    assert_string_equal(g_msg.records[3].name, "my-pc.local");

    SkyMdnsBrowser b;
    SkyMdnsHost h[4];
    sky_mdns_browser_init(&b);
    sky_mdns_browser_add(&b, &g_msg, 3, 1000);
    assert_int_equal(sky_mdns_browser_hosts(&b, h, 4), 1);
    assert_string_equal(h[0].name, "My PC.v2");
    assert_int_equal(h[0].port, 47893);
    assert_int_equal(h[0].n_addrs, 2);
    assert_int_equal(h[0].addrs[0].family, 4);
    assert_int_equal(h[0].addrs[0].ifindex, 0);
    assert_memory_equal(h[0].addrs[0].bytes, "\xc6\x33\x64\x01", 4);
    assert_int_equal(h[0].addrs[1].family, 6);
    assert_int_equal(h[0].addrs[1].ifindex, 3);
    /* The addresses expire after 120 s, then the SRV; the service lives while its PTR does. */
    assert_int_equal(sky_mdns_browser_expire(&b, 2000), 1000 + 120 * 1000000LL);
    sky_mdns_browser_expire(&b, 1000 + 120 * 1000000LL);
    assert_int_equal(sky_mdns_browser_hosts(&b, h, 4), 0);
    sky_mdns_browser_add(&b, &g_msg, 3, 200 * 1000000LL);
    assert_int_equal(sky_mdns_browser_hosts(&b, h, 4), 1);
    /* Queries are not answers. */
    g_msg.flags = 0;
    sky_mdns_browser_init(&b);
    sky_mdns_browser_add(&b, &g_msg, 3, 1000);
    assert_int_equal(sky_mdns_browser_hosts(&b, h, 4), 0);
}

static void test_hostile_names(void **state)
{
    (void)state;
    Pkt p;
    const uint8_t a[4] = {198, 51, 100, 7};
    /* A pointer to itself, a forward pointer, a loop of two, a control byte, an unknown label
     * type inside a pointed-to name: each record is skipped, the packet still parses. */
    header(&p, SKY_MDNS_FLAG_RESPONSE, 0, 5, 0, 0);
    uint8_t self[2] = {0xc0, 12};
    rr(&p, (const char *)self, 2, SKY_MDNS_TYPE_A, 120, a, 4);
    uint8_t fwd[2] = {0xc0, 200};
    rr(&p, (const char *)fwd, 2, SKY_MDNS_TYPE_A, 120, a, 4);
    size_t at = p.n;
    uint8_t loop[4] = {1, 'x', 0xc0, (uint8_t)at}; /* "x" then back to itself */
    rr(&p, (const char *)loop, 4, SKY_MDNS_TYPE_A, 120, a, 4);
    RR(&p, "\x03" "a\x01" "b\x00", SKY_MDNS_TYPE_A, 120, a, 4);
    RR(&p, "\x02" "ok\x00", SKY_MDNS_TYPE_A, 120, a, 4);
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
    assert_int_equal(g_msg.n_records, 1);
    assert_string_equal(g_msg.records[0].name, "ok");
    assert_int_equal(g_msg.skipped, 4);

    /* A name over 255 bytes: skipped. */
    header(&p, SKY_MDNS_FLAG_RESPONSE, 0, 1, 0, 0);
    uint8_t lng[5 * 64 + 1];
    for (int i = 0; i < 5; i++) {
        lng[i * 64] = 63;
        memset(lng + i * 64 + 1, 'a', 63);
    }
    lng[5 * 64] = 0;
    rr(&p, (const char *)lng, sizeof(lng), SKY_MDNS_TYPE_A, 120, a, 4);
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
    assert_int_equal(g_msg.n_records, 0);

    /* Layouts that run past the packet. */
    answer(&p, "Host", 47989, a, 120);
    for (size_t cut = 0; cut < p.n; cut++)
        assert_int_equal(sky_mdns_parse(p.b, cut, &g_msg), SKY_ERR(EBADMSG));
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
    p.b[7] = 9; /* more answers than there are */
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), SKY_ERR(EBADMSG));
    p.b[7] = 3;
    p.b[p.n - 5] = 5; /* the A record's length: past the end */
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), SKY_ERR(EBADMSG));

    /* Records over the cap are counted, not kept. */
    header(&p, SKY_MDNS_FLAG_RESPONSE, 0, 100, 0, 0);
    for (int i = 0; i < 100; i++)
        RR(&p, "\x02" "ok\x00", SKY_MDNS_TYPE_A, 120, a, 4);
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
    assert_int_equal(g_msg.n_records, SKY_MDNS_MAX_RECORDS);
    assert_int_equal(g_msg.skipped, 100 - SKY_MDNS_MAX_RECORDS);
}

static void test_browser_caps(void **state)
{
    (void)state;
    static SkyMdnsBrowser b;
    static Pkt p;
    SkyMdnsHost h[SKY_MDNS_MAX_SERVICES + 1];
    const uint8_t good[4] = {198, 51, 100, 9}, loop[4] = {127, 0, 0, 1}, mc[4] = {224, 0, 0, 1};
    sky_mdns_browser_init(&b);
    /* Insane hosts are never listed: port 0, loopback or multicast addresses. */
    answer(&p, "Zero", 0, good, 120);
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
    sky_mdns_browser_add(&b, &g_msg, 1, 0);
    answer(&p, "Loop", 47989, loop, 120);
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
    sky_mdns_browser_add(&b, &g_msg, 1, 0);
    answer(&p, "Multi", 47989, mc, 120);
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
    sky_mdns_browser_add(&b, &g_msg, 1, 0);
    assert_int_equal(sky_mdns_browser_hosts(&b, h, SKY_MDNS_MAX_SERVICES), 0);

    /* A flood of PTRs alone (incomplete services) never keeps a complete host out. */
    sky_mdns_browser_init(&b);
    for (int i = 0; i < 200; i++) {
        char inst[16];
        uint8_t rd[64];
        int n = snprintf(inst, sizeof(inst), "f%d", i);
        rd[0] = (uint8_t)n;
        memcpy(rd + 1, inst, (size_t)n);
        memcpy(rd + 1 + n, SERVICE_WIRE, sizeof(SERVICE_WIRE) - 1);
        header(&p, SKY_MDNS_FLAG_RESPONSE, 0, 1, 0, 0);
        RR(&p, SERVICE_WIRE, SKY_MDNS_TYPE_PTR, 4500, rd, 1 + (size_t)n + sizeof(SERVICE_WIRE) - 1);
        assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
        sky_mdns_browser_add(&b, &g_msg, 1, i);
    }
    answer(&p, "Real", 47989, good, 120);
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
    sky_mdns_browser_add(&b, &g_msg, 1, 1000);
    assert_int_equal(sky_mdns_browser_hosts(&b, h, SKY_MDNS_MAX_SERVICES), 1);
    assert_string_equal(h[0].name, "Real");

    /* Complete hosts fill the table and no more: the next one is refused and counted. */
    for (int i = 0; i < SKY_MDNS_MAX_SERVICES + 5; i++) {
        char inst[16];
        snprintf(inst, sizeof(inst), "%c%d", 'A' + i % 26, i);
        answer(&p, inst, 47989, good, 120);
        assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
        sky_mdns_browser_add(&b, &g_msg, 1, 2000);
    }
    assert_int_equal(sky_mdns_browser_hosts(&b, h, SKY_MDNS_MAX_SERVICES + 1),
                     SKY_MDNS_MAX_SERVICES);
    assert_true(b.services_dropped >= 5);

    /* A goodbye (TTL 0) removes the host at once. */
    sky_mdns_browser_init(&b);
    answer(&p, "Bye", 47989, good, 120);
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
    sky_mdns_browser_add(&b, &g_msg, 1, 0);
    assert_int_equal(sky_mdns_browser_hosts(&b, h, 4), 1);
    answer(&p, "Bye", 47989, good, 0);
    assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
    sky_mdns_browser_add(&b, &g_msg, 1, 10);
    assert_int_equal(sky_mdns_browser_hosts(&b, h, 4), 0);
}

/* The same address answered again is one address, whatever the bytes between the fields hold. */
static void test_repeated_answer(void **state)
{
    (void)state;
    static SkyMdnsBrowser b;
    static Pkt p;
    SkyMdnsHost h[2];
    const uint8_t good[4] = {198, 51, 100, 9};
    SkyMdnsAddr x, y;
    memset(&x, 0xaa, sizeof(x));
    memset(&y, 0x55, sizeof(y));
    x.family = y.family = 4;
    x.ifindex = y.ifindex = 0;
    memcpy(x.bytes, good, 4);
    memcpy(y.bytes, good, 4);
    assert_true(sky_mdns_addr_equal(&x, &y));
    y.ifindex = 2;
    assert_false(sky_mdns_addr_equal(&x, &y));

    sky_mdns_browser_init(&b);
    for (int i = 0; i < 3; i++) {
        answer(&p, "Again", 47989, good, 120);
        assert_int_equal(sky_mdns_parse(p.b, p.n, &g_msg), 0);
        sky_mdns_browser_add(&b, &g_msg, 1, (int64_t)i * 2000000);
    }
    assert_int_equal(sky_mdns_browser_hosts(&b, h, 2), 1);
    assert_int_equal(h[0].n_addrs, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_compressed_answer),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_browser_caps),
        cmocka_unit_test(test_repeated_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
