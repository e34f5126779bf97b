/* Finding GameStream hosts on the local network by mDNS (`_nvstream._tcp`, as Sunshine
 * publishes itself). Two backends behind one table of hosts:
 *  - `avahi`: the Avahi client library, when avahi-daemon answers on D-Bus (desktops, SteamOS);
 *  - `mdns`: Skylight's own querier (client/host/discovery_mdns.c) over UDP multicast, when it
 *    does not: PTR queries to 224.0.0.251 and ff02::fb port 5353, answers parsed by
 *    common/proto/mdns.c, with caps on hosts kept and packets handled per second.
 * docs/architecture.md says why both.
 *
 * Threads: the backend runs on its own thread (Avahi's threaded poll, or the querier's); it
 * fills a fixed-size table of hosts under a lock and signals an eventfd. The caller (a UI's main
 * loop, `skylight discover`) polls sky_discovery_fd() and takes what changed with
 * sky_discovery_next(); nothing is called back. */
#ifndef SKY_CLIENT_HOST_DISCOVERY_H
#define SKY_CLIENT_HOST_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/opts.h"
#include "common/proto/mdns.h"

#define SKY_DISCOVERY_MAX_HOSTS 32      /* hosts reported at once; more are dropped (counted) */

typedef enum SkyDiscoveryBackend {
    SKY_DISCOVERY_AUTO,                 /* avahi when avahi-daemon answers, else mdns */
    SKY_DISCOVERY_AVAHI,
    SKY_DISCOVERY_MDNS,
} SkyDiscoveryBackend;

/* The options of discovery (--mdns-backend). */
typedef struct SkyDiscoveryOpts {
    int backend;                        /* SkyDiscoveryBackend */
} SkyDiscoveryOpts;

extern const SkyOpt sky_discovery_opts_table[];

typedef enum SkyDiscoveryChange {
    SKY_DISCOVERY_FOUND,
    SKY_DISCOVERY_UPDATED,              /* its port or addresses changed */
    SKY_DISCOVERY_GONE,                 /* it said goodbye, or its records expired */
} SkyDiscoveryChange;

typedef struct SkyDiscoveryEvent {
    SkyDiscoveryChange change;
    SkyMdnsHost host;                   /* GONE: the last known state */
} SkyDiscoveryEvent;

typedef struct SkyDiscovery SkyDiscovery;

/* Starts browsing with the backend opts asks for. AUTO falls back to the own querier when
 * avahi-daemon does not answer (logged at verbose level); AVAHI fails then with
 * SKY_ERR(ENOTCONN). Errors have a one-line reason in err. */
int sky_discovery_create(SkyDiscovery **out, const SkyDiscoveryOpts *opts, char *err,
                         size_t errlen);
/* Stops the backend's thread and frees everything; accepts NULL and NULLs *d. */
void sky_discovery_destroy(SkyDiscovery **d);

/* The backend in use: "avahi" or "mdns". */
const char *sky_discovery_backend_name(const SkyDiscovery *d);
/* Readable (POLLIN) when sky_discovery_next may have something. */
int sky_discovery_fd(const SkyDiscovery *d);
/* Takes one change (changes of one host are merged until taken): 1 with *ev filled, 0 when
 * nothing changed. Clears the fd's readiness once everything is taken. */
int sky_discovery_next(SkyDiscovery *d, SkyDiscoveryEvent *ev);
/* The hosts known now, at most cap. Returns how many. */
size_t sky_discovery_hosts(SkyDiscovery *d, SkyMdnsHost *out, size_t cap);
/* Hosts dropped because the table was full, and packets the own querier refused (malformed,
 * cut, or not from port 5353; those over its rate cap stay in the kernel, which drops what
 * overflows the socket buffer, and are not counted). */
void sky_discovery_counts(SkyDiscovery *d, uint64_t *hosts_dropped, uint64_t *packets_dropped);

/* An address as text: "198.51.100.1", "fe80::1%eth0" (the scope as an interface name, else its
 * index). */
void sky_discovery_addr_text(const SkyMdnsAddr *a, char *out, size_t cap);

#endif
