/* Fuzzes the mDNS packet parser and the browser cache it feeds (common/proto/mdns.c): every
 * input is parsed; parsed names must write back to wire form and read back the same; the
 * browser, fed the packet at a time taken from its first bytes, must keep its caps and list only
 * sane hosts. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/core/error.h"
#include "common/proto/mdns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SkyMdnsMsg g_msg, g_back;
static SkyMdnsBrowser g_browser;
static SkyMdnsHost g_hosts[SKY_MDNS_MAX_SERVICES];

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* A name the parser gave must survive the writer and the parser again. */
static void round_trip(const char *name)
{
    uint8_t pkt[12 + 256 + 4] = {0, 0, 0, 0, 0, 1};
    size_t pos = 12;
    if (!name[0])
        return;
    SKY_ASSERT(sky_mdns_write_name(pkt, sizeof(pkt) - 4, &pos, name));
    memset(pkt + pos, 0, 4);
    pkt[pos + 1] = SKY_MDNS_TYPE_A;
    pkt[pos + 3] = SKY_MDNS_CLASS_IN;
    SKY_ASSERT(sky_mdns_parse(pkt, pos + 4, &g_back) == 0 && g_back.n_questions == 1);
    SKY_ASSERT(strcmp(g_back.questions[0].name, name) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int64_t now_us = (int64_t)(data[0] | data[1] << 8) * 100000;
    if (now_us == 0) /* a fresh browser now and then, so both paths are fuzzed */
        sky_mdns_browser_init(&g_browser);
    int ret = sky_mdns_parse(data + 2, size - 2, &g_msg);
    SKY_ASSERT(ret == 0 || ret == SKY_ERR(EBADMSG));
    SKY_ASSERT(g_msg.n_questions <= SKY_MDNS_MAX_QUESTIONS);
    SKY_ASSERT(g_msg.n_records <= SKY_MDNS_MAX_RECORDS);
    for (size_t i = 0; i < g_msg.n_questions; i++) {
        SKY_ASSERT(printable(g_msg.questions[i].name));
        round_trip(g_msg.questions[i].name);
    }
    for (size_t i = 0; i < g_msg.n_records; i++) {
        const SkyMdnsRecord *r = &g_msg.records[i];
        SKY_ASSERT(printable(r->name) && printable(r->target) && r->ttl_s <= SKY_MDNS_MAX_TTL_S);
        round_trip(r->name);
        round_trip(r->target);
    }
    if (ret == 0) {
        sky_mdns_browser_add(&g_browser, &g_msg, data[0], now_us);
        sky_mdns_browser_expire(&g_browser, now_us);
        size_t n = sky_mdns_browser_hosts(&g_browser, g_hosts, SKY_MDNS_MAX_SERVICES);
        SKY_ASSERT(n <= SKY_MDNS_MAX_SERVICES);
        for (size_t i = 0; i < n; i++) {
            SKY_ASSERT(sky_mdns_host_name_sane(g_hosts[i].name) && g_hosts[i].port != 0);
            SKY_ASSERT(g_hosts[i].n_addrs >= 1 && g_hosts[i].n_addrs <= SKY_MDNS_MAX_ADDRS);
            for (size_t k = 0; k < g_hosts[i].n_addrs; k++)
                SKY_ASSERT(sky_mdns_addr_sane(&g_hosts[i].addrs[k]));
        }
    }
    return 0;
}
