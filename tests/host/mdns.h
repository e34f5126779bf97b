/* The test host's mDNS responder (--mdns): it answers queries for _nvstream._tcp.local as
 * Sunshine's published service does (Sunshine registers it through Avahi with its host name as
 * the instance name and its HTTP port): PTR, and SRV (the HTTP port, target NAME.local), an
 * empty TXT, A and AAAA for the addresses it serves on the interface the query came in on.
 * "Serves": with --bind at a wildcard (0.0.0.0, ::), every address of that family (both for
 * ::) of every multicast interface that is up; else the --bind address alone on its interface.
 * It announces itself once at start and says goodbye (TTL 0) at stop. Queries from a port
 * other than 5353 get a unicast reply with their id and question (RFC 6762 6.7), QU questions a
 * unicast reply, others a multicast one. Each answer is an `mdns-answer` event.
 *
 * Threads: its own, started after the HTTP side listens (it needs the port), stopped before. */
#ifndef SKY_TESTHOST_MDNS_H
#define SKY_TESTHOST_MDNS_H

#include "tests/host/host.h"

typedef struct SkyThMdns SkyThMdns;

int sky_th_mdns_start(SkyThMdns **out, const SkyThHost *h);
/* Says goodbye, stops the thread, frees; accepts NULL and NULLs *m. */
void sky_th_mdns_stop(SkyThMdns **m);

#endif
