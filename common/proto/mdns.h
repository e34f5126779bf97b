/* Multicast DNS as GameStream hosts use it (RFC 6762, DNS-SD RFC 6763): Sunshine publishes
 * `_nvstream._tcp` with its host name as the instance name and its HTTP port (47989) in the
 * SRV record. Pure: no I/O, no clock (times are passed in).
 *
 *  - sky_mdns_build_query: the PTR question for _nvstream._tcp.local;
 *  - sky_mdns_parse: one packet (query or answer) into questions and records, through the
 *    bounded reader; names with compression checked for bounds and loops (a pointer must point
 *    before the name that uses it), capped at SKY_MDNS_MAX_RECORDS records per packet;
 *  - SkyMdnsBrowser: a fixed-size cache of the answers that builds hosts (instance, port,
 *    addresses) from PTR, SRV, A and AAAA records, with their TTLs; nothing grows with what a
 *    peer sends: services, addresses per host and TTLs are capped, and only sane hosts
 *    (printable name, port, unicast addresses) are listed. */
#ifndef SKY_COMMON_PROTO_MDNS_H
#define SKY_COMMON_PROTO_MDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SKY_MDNS_PORT 5353
#define SKY_MDNS_SERVICE "_nvstream._tcp.local"
#define SKY_MDNS_PACKET_MAX 9000        /* RFC 6762 17: the largest mDNS packet */
#define SKY_MDNS_NAME_MAX 256           /* dotted text with its NUL ('.' and '\' escaped) */
#define SKY_MDNS_LABEL_MAX 64           /* one label with its NUL: the instance name */
#define SKY_MDNS_MAX_QUESTIONS 8        /* per packet; more are skipped */
#define SKY_MDNS_MAX_RECORDS 64         /* per packet; more are skipped */
#define SKY_MDNS_MAX_SERVICES 32        /* hosts a browser keeps */
#define SKY_MDNS_MAX_ADDRS 8            /* addresses kept per host */
#define SKY_MDNS_MAX_TTL_S 4500         /* longer TTLs are cut to this */

enum {
    SKY_MDNS_TYPE_A = 1,
    SKY_MDNS_TYPE_PTR = 12,
    SKY_MDNS_TYPE_TXT = 16,
    SKY_MDNS_TYPE_AAAA = 28,
    SKY_MDNS_TYPE_SRV = 33,
    SKY_MDNS_TYPE_ANY = 255,
};
#define SKY_MDNS_CLASS_IN 1
#define SKY_MDNS_FLAG_RESPONSE 0x8400   /* QR and AA, as mDNS responders set them */

typedef struct SkyMdnsQuestion {
    char name[SKY_MDNS_NAME_MAX];
    uint16_t type;
    bool unicast;                       /* the QU bit */
} SkyMdnsQuestion;

typedef struct SkyMdnsRecord {
    char name[SKY_MDNS_NAME_MAX];
    uint16_t type;
    bool cache_flush;
    uint32_t ttl_s;
    /* PTR: target; SRV: port and target; A: addr[0..3]; AAAA: addr; others: nothing. */
    char target[SKY_MDNS_NAME_MAX];
    uint16_t port;
    uint8_t addr[16];
} SkyMdnsRecord;

typedef struct SkyMdnsMsg {
    uint16_t id, flags;
    size_t n_questions;
    SkyMdnsQuestion questions[SKY_MDNS_MAX_QUESTIONS];
    size_t n_records;                   /* answers and additional records (not authority) */
    SkyMdnsRecord records[SKY_MDNS_MAX_RECORDS];
    size_t skipped;                     /* questions or records over the caps, or of a class
                                         * or with a name or data we do not take */
} SkyMdnsMsg;

/* Writes the query for _nvstream._tcp.local PTR (id 0, QM) into buf. Returns 0 with *len set,
 * or SKY_ERR(ENOSPC). */
int sky_mdns_build_query(uint8_t *buf, size_t cap, size_t *len);

/* Parses one packet. Records whose name or data do not parse (and those over the cap) are
 * skipped and counted; a header, question or record layout that runs past the packet is
 * SKY_ERR(EBADMSG) (out then holds what came before). Names are dotted text without the final
 * dot; a label's '.' and '\' are written "\." and "\\"; a label with a byte below 0x20 or 0x7f
 * makes the name invalid. Types other than A, AAAA, PTR, SRV keep only their header. */
int sky_mdns_parse(const uint8_t *data, size_t len, SkyMdnsMsg *out);

/* Case-insensitive (ASCII) comparison of two dotted names. */
bool sky_mdns_name_equal(const char *a, const char *b);

/* Writes a dotted name (with escapes as above) in wire form, uncompressed. */
bool sky_mdns_write_name(uint8_t *buf, size_t cap, size_t *pos, const char *name);

typedef struct SkyMdnsAddr {
    uint8_t family;                     /* 4 or 6 */
    uint8_t bytes[16];                  /* 4 used for IPv4 */
    uint32_t ifindex;                   /* the interface the answer came in on (the scope of a
                                         * link-local address) */
} SkyMdnsAddr;

/* A host as discovery reports it. */
typedef struct SkyMdnsHost {
    char name[SKY_MDNS_LABEL_MAX];      /* the instance name: printable, UTF-8 as sent */
    uint16_t port;                      /* the HTTP port */
    size_t n_addrs;
    SkyMdnsAddr addrs[SKY_MDNS_MAX_ADDRS];
} SkyMdnsHost;

/* Whether a is an address a host on the link may have: not unspecified, loopback, multicast or
 * broadcast. */
bool sky_mdns_addr_sane(const SkyMdnsAddr *a);
/* Whether a and b are the same address on the same scope (fields compared, never the padding). */
bool sky_mdns_addr_equal(const SkyMdnsAddr *a, const SkyMdnsAddr *b);
/* Whether a host name (an instance label) is printable and non-empty. */
bool sky_mdns_host_name_sane(const char *name);

typedef struct SkyMdnsBrowserAddr {
    SkyMdnsAddr addr;
    int64_t seen_us, expires_us;
} SkyMdnsBrowserAddr;

typedef struct SkyMdnsService {
    bool used;
    char instance[SKY_MDNS_NAME_MAX];   /* full service name: INSTANCE._nvstream._tcp.local */
    int64_t ptr_expires_us;             /* 0: no PTR yet (SRV first) */
    int64_t srv_expires_us;             /* 0: no SRV yet */
    uint16_t port;
    char target[SKY_MDNS_NAME_MAX];
    size_t n_addrs;
    SkyMdnsBrowserAddr addrs[SKY_MDNS_MAX_ADDRS];  /* of target */
    int64_t last_seen_us;
} SkyMdnsService;

/* Fixed size: what the peers send never makes it grow. Owned by one thread. */
typedef struct SkyMdnsBrowser {
    SkyMdnsService services[SKY_MDNS_MAX_SERVICES];
    uint64_t services_dropped;          /* new services refused because all slots were hosts */
} SkyMdnsBrowser;

void sky_mdns_browser_init(SkyMdnsBrowser *b);
/* Takes a parsed answer that came in on interface ifindex (responses only; queries are
 * ignored). A service without SRV or address yet is evicted first, oldest first, when a new
 * one needs its slot. A TTL of 0 (goodbye) removes the record. */
void sky_mdns_browser_add(SkyMdnsBrowser *b, const SkyMdnsMsg *m, uint32_t ifindex,
                          int64_t now_us);
/* Drops what expired. Returns the time of the next expiry (INT64_MAX: none). */
int64_t sky_mdns_browser_expire(SkyMdnsBrowser *b, int64_t now_us);
/* The complete, sane hosts (name, port, sane addresses), at most cap. Returns how many. */
size_t sky_mdns_browser_hosts(const SkyMdnsBrowser *b, SkyMdnsHost *out, size_t cap);

#endif
