/* Discovery backend `avahi`: browsing _nvstream._tcp through avahi-daemon (discovery.h).
 *
 * Avahi's threaded poll runs the client on its own thread; its callbacks (on that thread) keep
 * one item per (interface, protocol, instance) that Avahi reports, resolve it to an address and
 * a port, and report each instance as one host with the addresses of all its items. Items are
 * capped at MAX_ITEMS (each has at most one resolver in flight); names and addresses are
 * checked as the own querier's are. */
#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/error.h>
#include <avahi-common/thread-watch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/host/discovery_backend.h"
#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "discovery"
#define MAX_ITEMS 64

typedef struct Item {
    bool used, resolved;
    char name[SKY_MDNS_LABEL_MAX];
    AvahiIfIndex iface;
    AvahiProtocol proto;
    SkyMdnsAddr addr;
    uint16_t port;
} Item;

typedef struct Avahi {
    /* Set by open; read-only afterwards. */
    SkyDiscovery *d;
    AvahiThreadedPoll *poll;
    AvahiClient *client;
    AvahiServiceBrowser *browser;
    /* Avahi's thread's own (open runs before the thread starts). */
    Item items[MAX_ITEMS];
} Avahi;

static Item *find_item(Avahi *av, const char *name, AvahiIfIndex iface, AvahiProtocol proto)
{
    for (size_t i = 0; i < MAX_ITEMS; i++) {
        Item *it = &av->items[i];
        if (it->used && it->iface == iface && it->proto == proto && strcmp(it->name, name) == 0)
            return it;
    }
    return NULL;
}

/* Reports the host named name as its resolved items make it, or gone when none is left. */
static void report(Avahi *av, const char *name)
{
    SkyMdnsHost h = {0};
    snprintf(h.name, sizeof(h.name), "%s", name);
    for (size_t i = 0; i < MAX_ITEMS && h.n_addrs < SKY_MDNS_MAX_ADDRS; i++) {
        const Item *it = &av->items[i];
        if (it->used && it->resolved && strcmp(it->name, name) == 0) {
            h.port = it->port;
            h.addrs[h.n_addrs++] = it->addr;
        }
    }
    if (h.n_addrs)
        sky_discovery_put(av->d, &h);
    else
        sky_discovery_gone(av->d, name);
}

static void resolve_cb(AvahiServiceResolver *r, AvahiIfIndex iface, AvahiProtocol proto,
                       AvahiResolverEvent event, const char *name, const char *type,
                       const char *domain, const char *host_name, const AvahiAddress *a,
                       uint16_t port, AvahiStringList *txt, AvahiLookupResultFlags flags,
                       void *opaque)
{
    (void)type, (void)domain, (void)host_name, (void)txt, (void)flags;
    Avahi *av = opaque;
    Item *it = find_item(av, name, iface, proto);
    if (it && event == AVAHI_RESOLVER_FOUND && a && port) {
        SkyMdnsAddr addr = {0};
        if (a->proto == AVAHI_PROTO_INET) {
            addr.family = 4;
            memcpy(addr.bytes, &a->data.ipv4.address, 4);
        } else {
            addr.family = 6;
            memcpy(addr.bytes, a->data.ipv6.address, 16);
            if (addr.bytes[0] == 0xfe && (addr.bytes[1] & 0xc0) == 0x80)
                addr.ifindex = (uint32_t)iface;
        }
        if (sky_mdns_addr_sane(&addr)) {
            it->addr = addr;
            it->port = port;
            it->resolved = true;
            report(av, name);
        }
    } else if (it && event == AVAHI_RESOLVER_FAILURE) {
        SKY_LOGV(TAG, "cannot resolve %s: %s", name,
                 avahi_strerror(avahi_client_errno(av->client)));
    }
    avahi_service_resolver_free(r);
}

static void browse_cb(AvahiServiceBrowser *b, AvahiIfIndex iface, AvahiProtocol proto,
                      AvahiBrowserEvent event, const char *name, const char *type,
                      const char *domain, AvahiLookupResultFlags flags, void *opaque)
{
    (void)b, (void)flags;
    Avahi *av = opaque;
    if (event == AVAHI_BROWSER_FAILURE) {
        SKY_LOGW(TAG, "avahi: browsing failed: %s",
                 avahi_strerror(avahi_client_errno(av->client)));
        return;
    }
    if ((event != AVAHI_BROWSER_NEW && event != AVAHI_BROWSER_REMOVE) || !name ||
        strlen(name) >= SKY_MDNS_LABEL_MAX || !sky_mdns_host_name_sane(name))
        return;
    Item *it = find_item(av, name, iface, proto);
    if (event == AVAHI_BROWSER_REMOVE) {
        if (it) {
            it->used = false;
            report(av, name);
        }
        return;
    }
    for (size_t i = 0; i < MAX_ITEMS && !it; i++)
        if (!av->items[i].used)
            it = &av->items[i];
    if (!it) {
        SKY_LOGV(TAG, "avahi: more than %d services; '%s' ignored", MAX_ITEMS, name);
        return;
    }
    *it = (Item){.used = true, .iface = iface, .proto = proto};
    snprintf(it->name, sizeof(it->name), "%s", name);
    if (!avahi_service_resolver_new(av->client, iface, proto, name, type, domain, proto, 0,
                                    resolve_cb, av))
        it->used = false;
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *opaque)
{
    (void)c;
    Avahi *av = opaque;
    if (state != AVAHI_CLIENT_FAILURE || !av->d)
        return;
    SKY_LOGW(TAG, "avahi: the connection to avahi-daemon failed: hosts are no longer followed");
    for (size_t i = 0; i < MAX_ITEMS; i++) {
        if (av->items[i].used) {
            av->items[i].used = false;
            sky_discovery_gone(av->d, av->items[i].name);
        }
    }
}

static void avahi_close(void **priv)
{
    Avahi *av = *priv;
    if (!av)
        return;
    if (av->poll)
        avahi_threaded_poll_stop(av->poll);
    if (av->browser)
        avahi_service_browser_free(av->browser);
    if (av->client)
        avahi_client_free(av->client);
    if (av->poll)
        avahi_threaded_poll_free(av->poll);
    free(av);
    *priv = NULL;
}

static int avahi_open(SkyDiscovery *d, void **priv, char *err, size_t errlen)
{
    Avahi *av = calloc(1, sizeof(*av));
    if (!av)
        return SKY_ERR(ENOMEM);
    int error = 0, ret = 0;
    av->poll = avahi_threaded_poll_new();
    if (!av->poll) {
        ret = SKY_ERR(ENOMEM);
        snprintf(err, errlen, "avahi: cannot make its poll loop");
        goto fail;
    }
    av->client = avahi_client_new(avahi_threaded_poll_get(av->poll), 0, client_cb, av, &error);
    if (!av->client) {
        ret = SKY_ERR(ENOTCONN);
        snprintf(err, errlen, "avahi-daemon does not answer (%s)", avahi_strerror(error));
        goto fail;
    }
    av->d = d; /* from here on the client's failures are reported */
    av->browser = avahi_service_browser_new(av->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                            "_nvstream._tcp", NULL, 0, browse_cb, av);
    if (!av->browser) {
        ret = SKY_ERR(EIO);
        snprintf(err, errlen, "avahi: cannot browse: %s",
                 avahi_strerror(avahi_client_errno(av->client)));
        goto fail;
    }
    if (avahi_threaded_poll_start(av->poll) < 0) {
        ret = SKY_ERR(EAGAIN);
        snprintf(err, errlen, "avahi: cannot start its thread");
        goto fail;
    }
    *priv = av;
    return 0;
fail:
    avahi_close((void **)&av);
    return ret;
}

const SkyDiscoveryDriver sky_discovery_avahi = {"avahi", avahi_open, avahi_close};
