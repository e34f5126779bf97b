/* Host discovery: the backend choice and the host table (discovery.h). */
#include "client/host/discovery.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "client/host/discovery_backend.h"
#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "discovery"

const SkyOpt sky_discovery_opts_table[] = {
    {"mdns-backend", SKY_OPT_CHOICE, offsetof(SkyDiscoveryOpts, backend), 0, 0, 0,
     "auto|avahi|mdns", "auto", NULL,
     "how hosts on the local network are found: avahi (avahi-daemon), mdns (skylight's own "
     "querier) or auto (avahi when avahi-daemon answers, else mdns)"},
    SKY_OPT_END,
};

typedef struct Entry {
    SkyMdnsHost host;
    bool live;                  /* there now (else gone, kept until reported) */
    bool reported;              /* the caller has been told it was found */
    bool dirty;                 /* changed since the caller last took it */
} Entry;

struct SkyDiscovery {
    /* Set at start; read-only afterwards. */
    const SkyDiscoveryDriver *driver;
    void *priv;
    int wake_fd;                /* eventfd: written by the backend's thread, read by the caller */

    pthread_mutex_t lock;       /* a leaf */
    /* Guarded by lock. */
    Entry entries[SKY_DISCOVERY_MAX_HOSTS];
    uint64_t hosts_dropped, packets_dropped;
};

static void wake(SkyDiscovery *d)
{
    uint64_t one = 1;
    ssize_t r = write(d->wake_fd, &one, sizeof(one));
    (void)r; /* only fails when the counter is full, and then it is readable anyway */
}

static Entry *find(SkyDiscovery *d, const char *name)
{
    for (size_t i = 0; i < SKY_DISCOVERY_MAX_HOSTS; i++) {
        Entry *e = &d->entries[i];
        if ((e->live || e->dirty) && sky_mdns_name_equal(e->host.name, name))
            return e;
    }
    return NULL;
}

static bool same_host(const SkyMdnsHost *a, const SkyMdnsHost *b)
{
    if (a->port != b->port || a->n_addrs != b->n_addrs)
        return false;
    for (size_t i = 0; i < a->n_addrs; i++) {
        bool found = false;
        for (size_t j = 0; j < b->n_addrs && !found; j++)
            found = sky_mdns_addr_equal(&a->addrs[i], &b->addrs[j]);
        if (!found)
            return false;
    }
    return true;
}

/* Under lock. Returns whether anything changed. */
static bool put_locked(SkyDiscovery *d, const SkyMdnsHost *h)
{
    Entry *e = find(d, h->name);
    if (e && e->live && same_host(&e->host, h))
        return false;
    if (!e) {
        for (size_t i = 0; i < SKY_DISCOVERY_MAX_HOSTS && !e; i++)
            if (!d->entries[i].live && !d->entries[i].dirty)
                e = &d->entries[i];
        if (!e) {
            d->hosts_dropped++;
            return false;
        }
        e->reported = false;
    }
    e->host = *h;
    e->live = e->dirty = true;
    return true;
}

/* Under lock. */
static bool gone_locked(Entry *e)
{
    if (!e || !e->live)
        return false;
    e->live = false;
    e->dirty = e->reported; /* never reported: nothing to say */
    return e->dirty;
}

void sky_discovery_put(SkyDiscovery *d, const SkyMdnsHost *h)
{
    pthread_mutex_lock(&d->lock);
    bool changed = put_locked(d, h);
    pthread_mutex_unlock(&d->lock);
    if (changed)
        wake(d);
}

void sky_discovery_gone(SkyDiscovery *d, const char *name)
{
    pthread_mutex_lock(&d->lock);
    bool changed = gone_locked(find(d, name));
    pthread_mutex_unlock(&d->lock);
    if (changed)
        wake(d);
}

void sky_discovery_sync(SkyDiscovery *d, const SkyMdnsHost *hosts, size_t n)
{
    bool changed = false;
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < SKY_DISCOVERY_MAX_HOSTS; i++) {
        Entry *e = &d->entries[i];
        bool there = false;
        for (size_t j = 0; j < n && e->live && !there; j++)
            there = sky_mdns_name_equal(e->host.name, hosts[j].name);
        if (e->live && !there)
            changed |= gone_locked(e);
    }
    for (size_t j = 0; j < n; j++)
        changed |= put_locked(d, &hosts[j]);
    pthread_mutex_unlock(&d->lock);
    if (changed)
        wake(d);
}

void sky_discovery_count_dropped(SkyDiscovery *d, uint64_t packets)
{
    pthread_mutex_lock(&d->lock);
    d->packets_dropped += packets;
    pthread_mutex_unlock(&d->lock);
}

int sky_discovery_next(SkyDiscovery *d, SkyDiscoveryEvent *ev)
{
    int ret = 0;
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < SKY_DISCOVERY_MAX_HOSTS && !ret; i++) {
        Entry *e = &d->entries[i];
        if (!e->dirty)
            continue;
        ev->change = !e->live ? SKY_DISCOVERY_GONE
                     : e->reported ? SKY_DISCOVERY_UPDATED : SKY_DISCOVERY_FOUND;
        ev->host = e->host;
        e->dirty = false;
        e->reported = e->live;
        ret = 1;
    }
    if (!ret) { /* all taken: clear the fd (the backend writes again on the next change) */
        uint64_t v;
        ssize_t r = read(d->wake_fd, &v, sizeof(v));
        (void)r;
    }
    pthread_mutex_unlock(&d->lock);
    return ret;
}

size_t sky_discovery_hosts(SkyDiscovery *d, SkyMdnsHost *out, size_t cap)
{
    size_t n = 0;
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < SKY_DISCOVERY_MAX_HOSTS && n < cap; i++)
        if (d->entries[i].live)
            out[n++] = d->entries[i].host;
    pthread_mutex_unlock(&d->lock);
    return n;
}

void sky_discovery_counts(SkyDiscovery *d, uint64_t *hosts_dropped, uint64_t *packets_dropped)
{
    pthread_mutex_lock(&d->lock);
    *hosts_dropped = d->hosts_dropped;
    *packets_dropped = d->packets_dropped;
    pthread_mutex_unlock(&d->lock);
}

const char *sky_discovery_backend_name(const SkyDiscovery *d)
{
    return d->driver->name;
}

int sky_discovery_fd(const SkyDiscovery *d)
{
    return d->wake_fd;
}

void sky_discovery_addr_text(const SkyMdnsAddr *a, char *out, size_t cap)
{
    char text[INET6_ADDRSTRLEN] = "?", ifname[IF_NAMESIZE];
    inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, text, sizeof(text));
    if (a->family == 6 && a->ifindex) {
        if (if_indextoname(a->ifindex, ifname))
            snprintf(out, cap, "%s%%%s", text, ifname);
        else
            snprintf(out, cap, "%s%%%u", text, (unsigned)a->ifindex);
    } else {
        snprintf(out, cap, "%s", text);
    }
}

int sky_discovery_create(SkyDiscovery **out, const SkyDiscoveryOpts *opts, char *err,
                         size_t errlen)
{
    *out = NULL;
    SkyDiscovery *d = calloc(1, sizeof(*d));
    if (!d)
        return SKY_ERR(ENOMEM);
    int ret = 0;
    d->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->wake_fd < 0) {
        ret = SKY_ERR(errno);
        snprintf(err, errlen, "eventfd: %s", sky_strerror(ret));
        free(d);
        return ret;
    }
    pthread_mutex_init(&d->lock, NULL);
    if (opts->backend != SKY_DISCOVERY_MDNS) {
        d->driver = &sky_discovery_avahi;
        ret = d->driver->open(d, &d->priv, err, errlen);
        if (ret == 0 || opts->backend == SKY_DISCOVERY_AVAHI)
            goto done;
        SKY_LOGV(TAG, "%s; using skylight's own mDNS querier", err);
        err[0] = '\0';
    }
    d->driver = &sky_discovery_mdns;
    ret = d->driver->open(d, &d->priv, err, errlen);
done:
    if (ret < 0) {
        pthread_mutex_destroy(&d->lock);
        close(d->wake_fd);
        free(d);
        return ret;
    }
    SKY_LOGV(TAG, "browsing for _nvstream._tcp with %s", d->driver->name);
    *out = d;
    return 0;
}

void sky_discovery_destroy(SkyDiscovery **dp)
{
    SkyDiscovery *d = *dp;
    if (!d)
        return;
    d->driver->close(&d->priv);
    pthread_mutex_destroy(&d->lock);
    close(d->wake_fd);
    free(d);
    *dp = NULL;
}
