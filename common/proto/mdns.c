/* mDNS packets and the browser cache (mdns.h). */
#include "common/proto/mdns.h"

#include <stdio.h>
#include <string.h>

#include "common/core/bytes.h"
#include "common/core/error.h"

#define MAX_JUMPS 16            /* compression pointers followed per name */
#define GOODBYE_GRACE_US 1000000 /* RFC 6762 10.2: a cache-flush keeps records of the last 1 s */

/* ---- names ---- */

enum { NAME_BAD_LAYOUT = -1, NAME_INVALID = 0, NAME_OK = 1 };

static bool append(char *out, size_t cap, size_t *o, char c)
{
    if (*o + 1 >= cap)
        return false;
    out[(*o)++] = c;
    out[*o] = '\0';
    return true;
}

/* Reads the name at rd's position in the packet pkt (len bytes; rd reads the same bytes) and
 * moves rd past it. Compression pointers must point before the previous one's target (the first
 * before itself), which bounds every walk. NAME_INVALID: the name's end is known but the name is
 * not usable (a bad pointer, a control byte, too long). */
static int read_name(const uint8_t *pkt, size_t len, SkyReader *rd, char *out, size_t cap)
{
    size_t pos = rd->pos, limit = rd->pos, wire = 1, o = 0, end = 0, jumps = 0;
    bool jumped = false, valid = true;
    out[0] = '\0';
    for (;;) {
        if (pos >= len)
            return jumped ? NAME_INVALID : NAME_BAD_LAYOUT;
        uint8_t l = pkt[pos];
        if ((l & 0xC0) == 0xC0) {
            if (pos + 1 >= len)
                return jumped ? NAME_INVALID : NAME_BAD_LAYOUT;
            size_t target = (size_t)(l & 0x3F) << 8 | pkt[pos + 1];
            if (!jumped) {
                end = pos + 2;
                jumped = true;
            }
            if (target >= limit || ++jumps > MAX_JUMPS) {
                valid = false;
                break;
            }
            limit = pos = target;
            continue;
        }
        if (l & 0xC0) { /* the extended label types: unknown, so the end is unknown */
            if (!jumped)
                return NAME_BAD_LAYOUT;
            valid = false;
            break;
        }
        if (l == 0) {
            if (!jumped)
                end = pos + 1;
            break;
        }
        if (pos + 1 + l > len)
            return jumped ? NAME_INVALID : NAME_BAD_LAYOUT;
        wire += (size_t)l + 1;
        if (wire > 255)
            valid = false;
        if (valid && o > 0)
            valid = append(out, cap, &o, '.');
        for (size_t i = 0; valid && i < l; i++) {
            char c = (char)pkt[pos + 1 + i];
            if ((uint8_t)c < 0x20 || (uint8_t)c == 0x7f)
                valid = false;
            else if (c == '.' || c == '\\')
                valid = append(out, cap, &o, '\\') && append(out, cap, &o, c);
            else
                valid = append(out, cap, &o, c);
        }
        pos += 1 + (size_t)l;
    }
    rd->pos = end;
    if (!valid)
        out[0] = '\0';
    return valid ? NAME_OK : NAME_INVALID;
}

bool sky_mdns_write_name(uint8_t *buf, size_t cap, size_t *pos, const char *name)
{
    size_t p = *pos;
    const char *s = name;
    while (*s) {
        uint8_t label[63];
        size_t n = 0;
        for (; *s && *s != '.'; s++) {
            if (*s == '\\' && s[1])
                s++;
            if (n == sizeof(label))
                return false;
            label[n++] = (uint8_t)*s;
        }
        if (n == 0 || p + 1 + n > cap)
            return false;
        buf[p++] = (uint8_t)n;
        memcpy(buf + p, label, n);
        p += n;
        if (*s == '.')
            s++;
    }
    if (p + 1 > cap || p - *pos + 1 > 255)
        return false;
    buf[p++] = 0;
    *pos = p;
    return true;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool sky_mdns_name_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (lower(*a) != lower(*b))
            return false;
    return *a == *b;
}

/* The instance label of "INSTANCE._nvstream._tcp.local", unescaped, or false. */
static bool instance_of(const char *name, char *out, size_t cap)
{
    size_t n = strlen(name), sl = strlen("." SKY_MDNS_SERVICE);
    if (n <= sl || !sky_mdns_name_equal(name + n - sl, "." SKY_MDNS_SERVICE))
        return false;
    size_t o = 0;
    for (size_t i = 0; i < n - sl; i++) {
        char c = name[i];
        if (c == '.')
            return false; /* an unescaped dot: more than one label */
        if (c == '\\')
            c = name[++i];
        if (o + 1 >= cap)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return o > 0;
}

/* ---- packets ---- */

int sky_mdns_build_query(uint8_t *buf, size_t cap, size_t *len)
{
    size_t pos = 12;
    if (cap < 12)
        return SKY_ERR(ENOSPC);
    memset(buf, 0, 12);
    buf[5] = 1; /* one question */
    if (!sky_mdns_write_name(buf, cap, &pos, SKY_MDNS_SERVICE) || pos + 4 > cap)
        return SKY_ERR(ENOSPC);
    SkyWriter wr = sky_wr_init(buf + pos, 4);
    sky_wr_u16be(&wr, SKY_MDNS_TYPE_PTR);
    sky_wr_u16be(&wr, SKY_MDNS_CLASS_IN);
    *len = pos + 4;
    return 0;
}

static int parse_rdata(const uint8_t *data, size_t start, uint16_t rdlen,
                       SkyMdnsRecord *r)
{
    SkyReader rd = sky_rd_init(data, start + rdlen); /* names may point before the record */
    rd.pos = start;
    switch (r->type) {
    case SKY_MDNS_TYPE_A:
        return rdlen == 4 && sky_rd_bytes(&rd, r->addr, 4);
    case SKY_MDNS_TYPE_AAAA:
        return rdlen == 16 && sky_rd_bytes(&rd, r->addr, 16);
    case SKY_MDNS_TYPE_PTR:
        return read_name(data, start + rdlen, &rd, r->target, sizeof(r->target)) == NAME_OK &&
               rd.pos == start + rdlen;
    case SKY_MDNS_TYPE_SRV: {
        uint16_t prio, weight;
        if (!sky_rd_u16be(&rd, &prio) || !sky_rd_u16be(&rd, &weight) ||
            !sky_rd_u16be(&rd, &r->port))
            return false;
        return read_name(data, start + rdlen, &rd, r->target, sizeof(r->target)) == NAME_OK &&
               rd.pos == start + rdlen;
    }
    default:
        return true;
    }
}

int sky_mdns_parse(const uint8_t *data, size_t len, SkyMdnsMsg *out)
{
    SkyReader rd = sky_rd_init(data, len);
    uint16_t counts[4];
    out->n_questions = out->n_records = out->skipped = 0;
    if (!sky_rd_u16be(&rd, &out->id) || !sky_rd_u16be(&rd, &out->flags))
        return SKY_ERR(EBADMSG);
    for (int i = 0; i < 4; i++)
        if (!sky_rd_u16be(&rd, &counts[i]))
            return SKY_ERR(EBADMSG);
    char name[SKY_MDNS_NAME_MAX];
    for (unsigned i = 0; i < counts[0]; i++) {
        uint16_t type, qclass;
        int n = read_name(data, len, &rd, name, sizeof(name));
        if (n == NAME_BAD_LAYOUT || !sky_rd_u16be(&rd, &type) || !sky_rd_u16be(&rd, &qclass))
            return SKY_ERR(EBADMSG);
        if (n != NAME_OK || (qclass & 0x7fff) != SKY_MDNS_CLASS_IN ||
            out->n_questions == SKY_MDNS_MAX_QUESTIONS) {
            out->skipped++;
            continue;
        }
        SkyMdnsQuestion *q = &out->questions[out->n_questions++];
        memcpy(q->name, name, sizeof(name));
        q->type = type;
        q->unicast = qclass & 0x8000;
    }
    unsigned n_rr = (unsigned)counts[1] + counts[2] + counts[3];
    for (unsigned i = 0; i < n_rr; i++) {
        uint16_t type, rclass, rdlen;
        uint32_t ttl;
        int n = read_name(data, len, &rd, name, sizeof(name));
        if (n == NAME_BAD_LAYOUT || !sky_rd_u16be(&rd, &type) || !sky_rd_u16be(&rd, &rclass) ||
            !sky_rd_u32be(&rd, &ttl) || !sky_rd_u16be(&rd, &rdlen) || sky_rd_left(&rd) < rdlen)
            return SKY_ERR(EBADMSG);
        size_t start = rd.pos;
        sky_rd_skip(&rd, rdlen);
        bool authority = i >= counts[1] && i < (unsigned)counts[1] + counts[2];
        if (authority || n != NAME_OK || (rclass & 0x7fff) != SKY_MDNS_CLASS_IN ||
            out->n_records == SKY_MDNS_MAX_RECORDS) {
            out->skipped++;
            continue;
        }
        SkyMdnsRecord *r = &out->records[out->n_records];
        memcpy(r->name, name, sizeof(name));
        r->type = type;
        r->cache_flush = rclass & 0x8000;
        r->ttl_s = ttl > SKY_MDNS_MAX_TTL_S ? SKY_MDNS_MAX_TTL_S : ttl;
        r->target[0] = '\0';
        r->port = 0;
        memset(r->addr, 0, sizeof(r->addr));
        if (parse_rdata(data, start, rdlen, r))
            out->n_records++;
        else
            out->skipped++;
    }
    return 0;
}

/* ---- sanity ---- */

bool sky_mdns_addr_sane(const SkyMdnsAddr *a)
{
    const uint8_t *b = a->bytes;
    if (a->family == 4)
        return b[0] != 0 && b[0] != 127 && b[0] < 224;
    if (a->family != 6 || b[0] == 0xff)
        return false;
    static const uint8_t zero[15];
    if (memcmp(b, zero, 15) == 0)
        return b[15] > 1; /* :: and ::1 */
    return true;
}

bool sky_mdns_addr_equal(const SkyMdnsAddr *a, const SkyMdnsAddr *b)
{
    return a->family == b->family && a->ifindex == b->ifindex &&
           memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16) == 0;
}

bool sky_mdns_host_name_sane(const char *name)
{
    if (!name[0])
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* ---- the browser ---- */

void sky_mdns_browser_init(SkyMdnsBrowser *b)
{
    memset(b, 0, sizeof(*b));
}

static int64_t expiry(int64_t now_us, uint32_t ttl_s)
{
    return now_us + (int64_t)ttl_s * 1000000;
}

static bool service_complete(const SkyMdnsService *s)
{
    return s->srv_expires_us && s->n_addrs > 0;
}

static SkyMdnsService *find_service(SkyMdnsBrowser *b, const char *name)
{
    for (size_t i = 0; i < SKY_MDNS_MAX_SERVICES; i++)
        if (b->services[i].used && sky_mdns_name_equal(b->services[i].instance, name))
            return &b->services[i];
    return NULL;
}

/* The service named name, made if needed (a free slot, else the oldest incomplete one). */
static SkyMdnsService *get_service(SkyMdnsBrowser *b, const char *name, int64_t now_us)
{
    char label[SKY_MDNS_LABEL_MAX];
    SkyMdnsService *s = find_service(b, name), *victim = NULL;
    if (s || !instance_of(name, label, sizeof(label)))
        return s;
    for (size_t i = 0; i < SKY_MDNS_MAX_SERVICES; i++) {
        SkyMdnsService *c = &b->services[i];
        if (!c->used) {
            victim = c;
            break;
        }
        if (!service_complete(c) && (!victim || c->last_seen_us < victim->last_seen_us))
            victim = c;
    }
    if (!victim) {
        b->services_dropped++;
        return NULL;
    }
    memset(victim, 0, sizeof(*victim));
    victim->used = true;
    snprintf(victim->instance, sizeof(victim->instance), "%s", name);
    victim->last_seen_us = now_us;
    return victim;
}

static void add_addr(SkyMdnsService *s, const SkyMdnsRecord *r, uint32_t ifindex, int64_t now_us)
{
    SkyMdnsAddr a = {r->type == SKY_MDNS_TYPE_A ? 4 : 6, {0}, ifindex};
    memcpy(a.bytes, r->addr, a.family == 4 ? 4 : 16);
    if (a.family == 4 || !(a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80))
        a.ifindex = 0; /* only link-local IPv6 needs a scope */
    if (r->cache_flush) { /* the sender's records of this type are all there is */
        size_t k = 0;
        for (size_t i = 0; i < s->n_addrs; i++)
            if (s->addrs[i].addr.family != a.family ||
                s->addrs[i].seen_us > now_us - GOODBYE_GRACE_US)
                s->addrs[k++] = s->addrs[i];
        s->n_addrs = k;
    }
    size_t slot = s->n_addrs;
    for (size_t i = 0; i < s->n_addrs; i++)
        if (sky_mdns_addr_equal(&s->addrs[i].addr, &a))
            slot = i;
    if (r->ttl_s == 0) { /* goodbye */
        if (slot < s->n_addrs)
            s->addrs[slot] = s->addrs[--s->n_addrs];
        return;
    }
    if (slot == SKY_MDNS_MAX_ADDRS) { /* full: replace the one that expires first */
        slot = 0;
        for (size_t i = 1; i < s->n_addrs; i++)
            if (s->addrs[i].expires_us < s->addrs[slot].expires_us)
                slot = i;
    } else if (slot == s->n_addrs) {
        s->n_addrs++;
    }
    s->addrs[slot] = (SkyMdnsBrowserAddr){a, now_us, expiry(now_us, r->ttl_s)};
}

void sky_mdns_browser_add(SkyMdnsBrowser *b, const SkyMdnsMsg *m, uint32_t ifindex,
                          int64_t now_us)
{
    if (!(m->flags & 0x8000))
        return;
    /* PTRs first, then SRVs, then addresses: a packet may carry them in any order. */
    for (size_t i = 0; i < m->n_records; i++) {
        const SkyMdnsRecord *r = &m->records[i];
        if (r->type != SKY_MDNS_TYPE_PTR || !sky_mdns_name_equal(r->name, SKY_MDNS_SERVICE))
            continue;
        SkyMdnsService *s = r->ttl_s ? get_service(b, r->target, now_us)
                                     : find_service(b, r->target);
        if (s && r->ttl_s == 0) {
            s->used = false; /* goodbye: the service is gone */
        } else if (s) {
            s->ptr_expires_us = expiry(now_us, r->ttl_s);
            s->last_seen_us = now_us;
        }
    }
    for (size_t i = 0; i < m->n_records; i++) {
        const SkyMdnsRecord *r = &m->records[i];
        if (r->type != SKY_MDNS_TYPE_SRV)
            continue;
        SkyMdnsService *s = r->ttl_s ? get_service(b, r->name, now_us) : find_service(b, r->name);
        if (!s)
            continue;
        if (r->ttl_s == 0) {
            s->srv_expires_us = 0;
            continue;
        }
        if (!sky_mdns_name_equal(s->target, r->target))
            s->n_addrs = 0; /* the host moved to another name */
        snprintf(s->target, sizeof(s->target), "%s", r->target);
        s->port = r->port;
        s->srv_expires_us = expiry(now_us, r->ttl_s);
        s->last_seen_us = now_us;
    }
    for (size_t i = 0; i < m->n_records; i++) {
        const SkyMdnsRecord *r = &m->records[i];
        if (r->type != SKY_MDNS_TYPE_A && r->type != SKY_MDNS_TYPE_AAAA)
            continue;
        for (size_t k = 0; k < SKY_MDNS_MAX_SERVICES; k++) {
            SkyMdnsService *s = &b->services[k];
            if (s->used && s->srv_expires_us && sky_mdns_name_equal(s->target, r->name))
                add_addr(s, r, ifindex, now_us);
        }
    }
}

int64_t sky_mdns_browser_expire(SkyMdnsBrowser *b, int64_t now_us)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < SKY_MDNS_MAX_SERVICES; i++) {
        SkyMdnsService *s = &b->services[i];
        if (!s->used)
            continue;
        if (s->srv_expires_us && s->srv_expires_us <= now_us) {
            s->srv_expires_us = 0;
            s->n_addrs = 0;
        }
        /* A service lives while its PTR does; one seen by SRV alone, while its SRV does. */
        int64_t until = s->ptr_expires_us ? s->ptr_expires_us : s->srv_expires_us;
        if (until <= now_us) {
            s->used = false;
            continue;
        }
        next = until < next ? until : next;
        if (s->srv_expires_us)
            next = s->srv_expires_us < next ? s->srv_expires_us : next;
        size_t k = 0;
        for (size_t j = 0; j < s->n_addrs; j++) {
            if (s->addrs[j].expires_us <= now_us)
                continue;
            next = s->addrs[j].expires_us < next ? s->addrs[j].expires_us : next;
            s->addrs[k++] = s->addrs[j];
        }
        s->n_addrs = k;
    }
    return next;
}

size_t sky_mdns_browser_hosts(const SkyMdnsBrowser *b, SkyMdnsHost *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < SKY_MDNS_MAX_SERVICES && n < cap; i++) {
        const SkyMdnsService *s = &b->services[i];
        SkyMdnsHost *h = &out[n];
        if (!s->used || !service_complete(s) || s->port == 0 ||
            !instance_of(s->instance, h->name, sizeof(h->name)) ||
            !sky_mdns_host_name_sane(h->name))
            continue;
        h->port = s->port;
        h->n_addrs = 0;
        for (size_t j = 0; j < s->n_addrs; j++)
            if (sky_mdns_addr_sane(&s->addrs[j].addr))
                h->addrs[h->n_addrs++] = s->addrs[j].addr;
        if (h->n_addrs)
            n++;
    }
    return n;
}
