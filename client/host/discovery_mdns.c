/* Discovery backend `mdns`: Skylight's own mDNS querier (discovery.h).
 *
 * One thread polls an IPv4 and an IPv6 socket bound to port 5353 (shared with SO_REUSEPORT; an
 * ephemeral port when 5353 cannot be had, and then responders answer by unicast, RFC 6762 6.7)
 * and joined to 224.0.0.251 / ff02::fb on every multicast interface that is up. It sends the
 * PTR query for _nvstream._tcp.local on each at 0, 1, 2, 4, ... s (at most every 60 s) and feeds
 * answers to a SkyMdnsBrowser (common/proto/mdns.c), whose hosts go to discovery's table.
 * Bounds: a packet is at most SKY_MDNS_PACKET_MAX bytes (longer ones are cut and fail to parse),
 * PACKETS_PER_S packets are handled per second (beyond that the sockets are not read until the
 * next second and the kernel drops what overflows their buffers), answers not from port 5353
 * are ignored (RFC 6762 11), and the browser and the table have fixed sizes. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/host/discovery_backend.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/time.h"

#define TAG "discovery"
#define PACKETS_PER_S 200
#define MAX_IFACES 16
#define QUERY_MAX_INTERVAL_US (60 * 1000000LL)

typedef struct Querier {
    /* Set by open; read-only afterwards. */
    SkyDiscovery *d;
    int fd[2];                          /* IPv4, IPv6; -1 when that family is unavailable */
    int stop_fd;                        /* eventfd: close() asks the thread to end */
    unsigned ifaces[MAX_IFACES];
    size_t n_ifaces;
    pthread_t thread;
    /* The thread's own. */
    SkyMdnsBrowser browser;
    SkyMdnsMsg msg;
    SkyMdnsHost hosts[SKY_MDNS_MAX_SERVICES];
    uint8_t buf[SKY_MDNS_PACKET_MAX];
} Querier;

static void list_ifaces(Querier *q)
{
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) < 0)
        return;
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
        if (!(i->ifa_flags & IFF_UP) || !(i->ifa_flags & IFF_MULTICAST) ||
            (i->ifa_flags & IFF_LOOPBACK))
            continue;
        unsigned idx = if_nametoindex(i->ifa_name);
        bool have = idx == 0;
        for (size_t k = 0; k < q->n_ifaces && !have; k++)
            have = q->ifaces[k] == idx;
        if (!have && q->n_ifaces < MAX_IFACES)
            q->ifaces[q->n_ifaces++] = idx;
    }
    freeifaddrs(ifa);
}

/* A socket of family v6 (or not) on port 5353 (else any port) with its groups joined. */
static int open_socket(Querier *q, bool v6)
{
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int one = 1, ttl = 255;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(SKY_MDNS_PORT)};
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(SKY_MDNS_PORT)};
    struct sockaddr *sa = v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4;
    socklen_t sl = v6 ? sizeof(a6) : sizeof(a4);
    if (v6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, sa, sl) < 0) {
        SKY_LOGV(TAG, "port 5353 (IPv%d) is taken (%s): one-shot queries from another port",
                 v6 ? 6 : 4, sky_strerror(SKY_ERR(errno)));
        a4.sin_port = a6.sin6_port = 0;
        if (bind(fd, sa, sl) < 0) {
            close(fd);
            return -1;
        }
    }
    if (v6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl));
    } else {
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
    }
    for (size_t i = 0; i < q->n_ifaces; i++) {
        if (v6) {
            struct ipv6_mreq m = {.ipv6mr_interface = q->ifaces[i]};
            inet_pton(AF_INET6, "ff02::fb", &m.ipv6mr_multiaddr);
            setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof(m));
        } else {
            struct ip_mreqn m = {.imr_ifindex = (int)q->ifaces[i]};
            inet_pton(AF_INET, "224.0.0.251", &m.imr_multiaddr);
            setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
        }
    }
    return fd;
}

static void send_queries(Querier *q)
{
    uint8_t pkt[64];
    size_t len = 0;
    if (sky_mdns_build_query(pkt, sizeof(pkt), &len) < 0)
        return;
    for (size_t i = 0; i < q->n_ifaces; i++) {
        if (q->fd[0] >= 0) {
            struct ip_mreqn m = {.imr_ifindex = (int)q->ifaces[i]};
            struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(SKY_MDNS_PORT)};
            inet_pton(AF_INET, "224.0.0.251", &to.sin_addr);
            if (setsockopt(q->fd[0], IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof(m)) == 0)
                sendto(q->fd[0], pkt, len, 0, (struct sockaddr *)&to, sizeof(to));
        }
        if (q->fd[1] >= 0) {
            unsigned idx = q->ifaces[i];
            struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons(SKY_MDNS_PORT),
                                      .sin6_scope_id = idx};
            inet_pton(AF_INET6, "ff02::fb", &to.sin6_addr);
            if (setsockopt(q->fd[1], IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof(idx)) == 0)
                sendto(q->fd[1], pkt, len, 0, (struct sockaddr *)&to, sizeof(to));
        }
    }
}

/* Reads one datagram: its length (0: nothing to handle, -1: the socket is drained). */
static ssize_t receive(Querier *q, int fd, uint32_t *ifindex)
{
    struct sockaddr_storage from;
    char cbuf[256];
    struct iovec iov = {q->buf, sizeof(q->buf)};
    struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
                        .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    ssize_t n = recvmsg(fd, &mh, 0);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    uint16_t port = from.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&from)->sin6_port
                                               : ((struct sockaddr_in *)&from)->sin_port;
    if (ntohs(port) != SKY_MDNS_PORT || (mh.msg_flags & MSG_TRUNC))
        return 0;
    *ifindex = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            *ifindex = (uint32_t)pi.ipi_ifindex;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            *ifindex = pi.ipi6_ifindex;
        }
    }
    return n;
}

static void *querier_thread(void *arg)
{
    Querier *q = arg;
    int64_t now = sky_time_us(), next_query = now, interval = 1000000;
    int64_t window_end = now + 1000000, next_expiry = INT64_MAX;
    unsigned handled = 0;
    uint64_t bad = 0;
    for (;;) {
        now = sky_time_us();
        if (now >= next_query) {
            send_queries(q);
            next_query = now + interval;
            interval = interval * 2 > QUERY_MAX_INTERVAL_US ? QUERY_MAX_INTERVAL_US : interval * 2;
        }
        if (now >= window_end) {
            window_end = now + 1000000;
            handled = 0;
        }
        if (now >= next_expiry) {
            next_expiry = sky_mdns_browser_expire(&q->browser, now);
            size_t n = sky_mdns_browser_hosts(&q->browser, q->hosts, SKY_MDNS_MAX_SERVICES);
            sky_discovery_sync(q->d, q->hosts, n);
        }
        int64_t until = next_query < window_end ? next_query : window_end;
        until = next_expiry < until ? next_expiry : until;
        bool listen = handled < PACKETS_PER_S;
        struct pollfd p[3] = {{.fd = q->stop_fd, .events = POLLIN},
                              {.fd = listen ? q->fd[0] : -1, .events = POLLIN},
                              {.fd = listen ? q->fd[1] : -1, .events = POLLIN}};
        int timeout_ms = (int)((until - now + 999) / 1000);
        if (poll(p, 3, timeout_ms < 0 ? 0 : timeout_ms) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        for (int s = 0; s < 2; s++) {
            while (p[s + 1].revents && handled < PACKETS_PER_S) {
                uint32_t ifindex = 0;
                ssize_t n = receive(q, q->fd[s], &ifindex);
                if (n < 0)
                    break;
                handled++;
                if (n == 0 || sky_mdns_parse(q->buf, (size_t)n, &q->msg) < 0) {
                    bad++;
                    continue;
                }
                sky_mdns_browser_add(&q->browser, &q->msg, ifindex, sky_time_us());
                next_expiry = 0; /* recompute and report at the top of the loop */
            }
        }
        if (bad) {
            sky_discovery_count_dropped(q->d, bad);
            bad = 0;
        }
    }
    return NULL;
}

static void mdns_close(void **priv)
{
    Querier *q = *priv;
    if (!q)
        return;
    uint64_t one = 1;
    if (write(q->stop_fd, &one, sizeof(one)) == sizeof(one))
        pthread_join(q->thread, NULL);
    for (int s = 0; s < 2; s++)
        if (q->fd[s] >= 0)
            close(q->fd[s]);
    close(q->stop_fd);
    free(q);
    *priv = NULL;
}

static int mdns_open(SkyDiscovery *d, void **priv, char *err, size_t errlen)
{
    Querier *q = calloc(1, sizeof(*q));
    if (!q)
        return SKY_ERR(ENOMEM);
    q->d = d;
    sky_mdns_browser_init(&q->browser);
    list_ifaces(q);
    q->fd[0] = open_socket(q, false);
    q->fd[1] = open_socket(q, true);
    q->stop_fd = eventfd(0, EFD_CLOEXEC);
    int ret = 0;
    if (q->fd[0] < 0 && q->fd[1] < 0) {
        ret = SKY_ERR(EIO);
        snprintf(err, errlen, "cannot open a UDP socket for mDNS");
    } else if (q->stop_fd < 0 || pthread_create(&q->thread, NULL, querier_thread, q) != 0) {
        ret = SKY_ERR(EAGAIN);
        snprintf(err, errlen, "cannot start the mDNS querier thread");
    }
    if (ret < 0) {
        for (int s = 0; s < 2; s++)
            if (q->fd[s] >= 0)
                close(q->fd[s]);
        if (q->stop_fd >= 0)
            close(q->stop_fd);
        free(q);
        return ret;
    }
    if (q->n_ifaces == 0)
        SKY_LOGW(TAG, "no multicast network interface is up: no host can be found");
    *priv = q;
    return 0;
}

const SkyDiscoveryDriver sky_discovery_mdns = {"mdns", mdns_open, mdns_close};
