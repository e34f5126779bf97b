/* What discovery's backends (discovery_avahi.c, discovery_mdns.c) share with discovery.c: the
 * driver table and the host table they fill. Private to client/host/. */
#ifndef SKY_CLIENT_HOST_DISCOVERY_BACKEND_H
#define SKY_CLIENT_HOST_DISCOVERY_BACKEND_H

#include <stdint.h>

#include "client/host/discovery.h"

typedef struct SkyDiscoveryDriver {
    const char *name;
    /* Starts browsing on the driver's own thread, which reports through the table functions
     * below. Returns 0 with *priv set, or a negative error with a one-line reason in err. */
    int (*open)(SkyDiscovery *d, void **priv, char *err, size_t errlen);
    /* Stops and joins the thread, frees *priv. */
    void (*close)(void **priv);
} SkyDiscoveryDriver;

extern const SkyDiscoveryDriver sky_discovery_avahi;
extern const SkyDiscoveryDriver sky_discovery_mdns;

/* From the backend's thread: the host is there as h says (found or updated). */
void sky_discovery_put(SkyDiscovery *d, const SkyMdnsHost *h);
/* From the backend's thread: the host named name is gone. */
void sky_discovery_gone(SkyDiscovery *d, const char *name);
/* From the own querier's thread: these are all the hosts there are (others are gone). */
void sky_discovery_sync(SkyDiscovery *d, const SkyMdnsHost *hosts, size_t n);
/* Packets refused (malformed, cut, not from port 5353). */
void sky_discovery_count_dropped(SkyDiscovery *d, uint64_t packets);

#endif
