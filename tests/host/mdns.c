/* The test host's mDNS responder (mdns.h). */
#include "tests/host/mdns.h"

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

#include "common/core/error.h"
#include "common/core/log.h"
#include "common/proto/mdns.h"

#define TAG "testhost"
#define MAX_IFACES 16
#define TTL_SHARED_S 4500   /* PTR and TXT, as Avahi publishes them */
#define TTL_UNIQUE_S 120    /* SRV, A, AAAA */
#define TTL_LEGACY_S 10     /* RFC 6762 6.7 */

struct SkyThMdns {
    /* Set at start; read-only afterwards. */
    uint16_t port;
    char instance[SKY_MDNS_NAME_MAX];   /* NAME._nvstream._tcp.local, NAME escaped */
    char target[SKY_MDNS_NAME_MAX];     /* NAME.local, NAME made a DNS label */
    bool any4, any6;                    /* --bind is a wildcard for that family */
    SkyMdnsAddr bound;                  /* else the --bind address */
    int fd[2];                          /* IPv4, IPv6 */
    int stop_fd;
    pthread_t thread;
    /* The thread's own. */
    SkyMdnsMsg msg;
    uint8_t buf[SKY_MDNS_PACKET_MAX];
};

/* The addresses m serves on interface ifindex (0: on any), at most cap. */
static size_t served_addrs(const SkyThMdns *m, unsigned ifindex, SkyMdnsAddr *out, size_t cap,
                           unsigned *ifaces, size_t *n_ifaces)
{
    struct ifaddrs *ifa = NULL;
    size_t n = 0;
    if (n_ifaces)
        *n_ifaces = 0;
    if (getifaddrs(&ifa) < 0)
        return 0;
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || !(i->ifa_flags & IFF_MULTICAST) ||
            (i->ifa_flags & IFF_LOOPBACK))
            continue;
        unsigned idx = if_nametoindex(i->ifa_name);
        SkyMdnsAddr a = {0};
        if (i->ifa_addr->sa_family == AF_INET && (m->any4 || m->bound.family == 4)) {
            a.family = 4;
            memcpy(a.bytes, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
        } else if (i->ifa_addr->sa_family == AF_INET6 && (m->any6 || m->bound.family == 6)) {
            a.family = 6;
            memcpy(a.bytes, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
        } else {
            continue;
        }
        if (!m->any4 && !m->any6 && memcmp(a.bytes, m->bound.bytes, 16) != 0)
            continue;
        if (ifaces && *n_ifaces < MAX_IFACES) {
            bool have = false;
            for (size_t k = 0; k < *n_ifaces; k++)
                have |= ifaces[k] == idx;
            if (!have)
                ifaces[(*n_ifaces)++] = idx;
        }
        if ((ifindex == 0 || idx == ifindex) && n < cap)
            out[n++] = a;
    }
    freeifaddrs(ifa);
    return n;
}

typedef struct Pkt {
    uint8_t b[1500];
    size_t pos;
    bool ok;
} Pkt;

static void put8(Pkt *p, uint8_t v)
{
    if (p->pos + 1 > sizeof(p->b)) {
        p->ok = false;
        return;
    }
    p->b[p->pos++] = v;
}

static void put16(Pkt *p, uint16_t v)
{
    if (p->pos + 2 > sizeof(p->b)) {
        p->ok = false;
        return;
    }
    p->b[p->pos++] = (uint8_t)(v >> 8);
    p->b[p->pos++] = (uint8_t)v;
}

static void put_name(Pkt *p, const char *name)
{
    p->ok &= sky_mdns_write_name(p->b, sizeof(p->b), &p->pos, name);
}

/* A record's head; returns where its data length goes (see rr_end). */
static size_t rr_begin(Pkt *p, const char *name, uint16_t type, bool flush, uint32_t ttl)
{
    put_name(p, name);
    put16(p, type);
    put16(p, (uint16_t)(SKY_MDNS_CLASS_IN | (flush ? 0x8000 : 0)));
    put16(p, (uint16_t)(ttl >> 16));
    put16(p, (uint16_t)ttl);
    put16(p, 0);
    return p->pos - 2;
}

static void rr_end(Pkt *p, size_t at)
{
    if (p->ok) {
        size_t len = p->pos - at - 2;
        p->b[at] = (uint8_t)(len >> 8);
        p->b[at + 1] = (uint8_t)len;
    }
}

/* The answer: PTR, SRV, TXT, A/AAAA (goodbye: PTR alone, TTL 0). legacy: a reply to a one-shot
 * query (its id and question q echoed, TTLs of 10 s, no cache-flush). */
static bool build(const SkyThMdns *m, Pkt *p, const SkyMdnsAddr *addrs, size_t n_addrs,
                  bool goodbye, uint16_t id, const SkyMdnsQuestion *q)
{
    bool legacy = q != NULL;
    uint32_t shared = goodbye ? 0 : legacy ? TTL_LEGACY_S : TTL_SHARED_S;
    uint32_t unique = legacy ? TTL_LEGACY_S : TTL_UNIQUE_S;
    size_t n_rr = goodbye ? 1 : 3 + n_addrs;
    p->pos = 0;
    p->ok = true;
    put16(p, id);
    put16(p, SKY_MDNS_FLAG_RESPONSE);
    put16(p, legacy ? 1 : 0);
    put16(p, (uint16_t)n_rr);
    put16(p, 0);
    put16(p, 0);
    if (legacy) {
        put_name(p, q->name);
        put16(p, q->type);
        put16(p, SKY_MDNS_CLASS_IN);
    }
    size_t at = rr_begin(p, SKY_MDNS_SERVICE, SKY_MDNS_TYPE_PTR, false, shared);
    put_name(p, m->instance);
    rr_end(p, at);
    if (goodbye)
        return p->ok;
    at = rr_begin(p, m->instance, SKY_MDNS_TYPE_SRV, !legacy, unique);
    put16(p, 0);
    put16(p, 0);
    put16(p, m->port);
    put_name(p, m->target);
    rr_end(p, at);
    at = rr_begin(p, m->instance, SKY_MDNS_TYPE_TXT, !legacy, shared);
    put8(p, 0); /* one empty string: what Avahi publishes for a service without TXT */
    rr_end(p, at);
    for (size_t i = 0; i < n_addrs; i++) {
        bool v4 = addrs[i].family == 4;
        at = rr_begin(p, m->target, v4 ? SKY_MDNS_TYPE_A : SKY_MDNS_TYPE_AAAA, !legacy, unique);
        if (p->ok && p->pos + (v4 ? 4 : 16) <= sizeof(p->b)) {
            memcpy(p->b + p->pos, addrs[i].bytes, v4 ? 4 : 16);
            p->pos += v4 ? 4 : 16;
        } else {
            p->ok = false;
        }
        rr_end(p, at);
    }
    return p->ok;
}

/* Multicast on interface ifindex from socket s (0 IPv4, 1 IPv6). */
static void send_multicast(const SkyThMdns *m, int s, unsigned ifindex, const Pkt *p)
{
    if (m->fd[s] < 0)
        return;
    if (s == 0) {
        struct ip_mreqn mr = {.imr_ifindex = (int)ifindex};
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(SKY_MDNS_PORT)};
        inet_pton(AF_INET, "224.0.0.251", &to.sin_addr);
        if (setsockopt(m->fd[0], IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) == 0)
            sendto(m->fd[0], p->b, p->pos, 0, (struct sockaddr *)&to, sizeof(to));
    } else {
        struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons(SKY_MDNS_PORT),
                                  .sin6_scope_id = ifindex};
        inet_pton(AF_INET6, "ff02::fb", &to.sin6_addr);
        if (setsockopt(m->fd[1], IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) == 0)
            sendto(m->fd[1], p->b, p->pos, 0, (struct sockaddr *)&to, sizeof(to));
    }
}

/* Announces (or says goodbye) on every interface served. */
static void announce(const SkyThMdns *m, bool goodbye)
{
    unsigned ifaces[MAX_IFACES];
    size_t n_ifaces;
    SkyMdnsAddr addrs[SKY_MDNS_MAX_ADDRS];
    served_addrs(m, 0, addrs, 0, ifaces, &n_ifaces);
    for (size_t i = 0; i < n_ifaces; i++) {
        Pkt p;
        size_t n = served_addrs(m, ifaces[i], addrs, SKY_MDNS_MAX_ADDRS, NULL, NULL);
        if (build(m, &p, addrs, n, goodbye, 0, NULL)) {
            send_multicast(m, 0, ifaces[i], &p);
            send_multicast(m, 1, ifaces[i], &p);
        }
    }
}

static const SkyMdnsQuestion *our_question(const SkyThMdns *m, const SkyMdnsMsg *msg)
{
    for (size_t i = 0; i < msg->n_questions; i++) {
        const SkyMdnsQuestion *q = &msg->questions[i];
        bool any = q->type == SKY_MDNS_TYPE_ANY;
        if ((sky_mdns_name_equal(q->name, SKY_MDNS_SERVICE) && (any || q->type == SKY_MDNS_TYPE_PTR)) ||
            (sky_mdns_name_equal(q->name, m->instance) &&
             (any || q->type == SKY_MDNS_TYPE_SRV || q->type == SKY_MDNS_TYPE_TXT)) ||
            (sky_mdns_name_equal(q->name, m->target) &&
             (any || q->type == SKY_MDNS_TYPE_A || q->type == SKY_MDNS_TYPE_AAAA)))
            return q;
    }
    return NULL;
}

static void handle(SkyThMdns *m, int s)
{
    struct sockaddr_storage from;
    char cbuf[256];
    struct iovec iov = {m->buf, sizeof(m->buf)};
    struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
                        .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    ssize_t n = recvmsg(m->fd[s], &mh, MSG_DONTWAIT);
    if (n <= 0 || sky_mdns_parse(m->buf, (size_t)n, &m->msg) < 0 || (m->msg.flags & 0x8000))
        return;
    const SkyMdnsQuestion *q = our_question(m, &m->msg);
    if (!q)
        return;
    unsigned ifindex = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            ifindex = (unsigned)pi.ipi_ifindex;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            ifindex = pi.ipi6_ifindex;
        }
    }
    SkyMdnsAddr addrs[SKY_MDNS_MAX_ADDRS];
    size_t n_addrs = served_addrs(m, ifindex, addrs, SKY_MDNS_MAX_ADDRS, NULL, NULL);
    if (n_addrs == 0)
        return; /* not an interface we serve */
    uint16_t src_port = ntohs(from.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&from)->sin6_port
                                                         : ((struct sockaddr_in *)&from)->sin_port);
    bool legacy = src_port != SKY_MDNS_PORT;
    Pkt p;
    if (!build(m, &p, addrs, n_addrs, false, legacy ? m->msg.id : 0, legacy ? q : NULL))
        return;
    const char *to = "multicast";
    if (legacy || q->unicast) {
        sendto(m->fd[s], p.b, p.pos, 0, (struct sockaddr *)&from, mh.msg_namelen);
        to = "unicast";
    } else {
        send_multicast(m, s, ifindex, &p);
    }
    sky_th_event("mdns-answer to=%s family=ipv%d iface=%u port=%u addresses=%zu", to,
                 s ? 6 : 4, ifindex, (unsigned)src_port, n_addrs);
}

static void *responder_thread(void *arg)
{
    SkyThMdns *m = arg;
    announce(m, false);
    for (;;) {
        struct pollfd p[3] = {{.fd = m->stop_fd, .events = POLLIN},
                              {.fd = m->fd[0], .events = POLLIN},
                              {.fd = m->fd[1], .events = POLLIN}};
        if (poll(p, 3, -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        for (int s = 0; s < 2; s++)
            if (p[s + 1].revents)
                handle(m, s);
    }
    announce(m, true);
    return NULL;
}

static int open_socket(const SkyThMdns *m, bool v6)
{
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1, ttl = 255;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(SKY_MDNS_PORT)};
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(SKY_MDNS_PORT)};
    if (v6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl));
    } else {
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
    }
    if (bind(fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
             v6 ? sizeof(a6) : sizeof(a4)) < 0) {
        SKY_LOGE(TAG, "--mdns: cannot bind UDP port 5353 (IPv%d): %s", v6 ? 6 : 4,
                 sky_strerror(SKY_ERR(errno)));
        close(fd);
        return -1;
    }
    unsigned ifaces[MAX_IFACES];
    size_t n_ifaces;
    SkyMdnsAddr none[1];
    served_addrs(m, 0, none, 0, ifaces, &n_ifaces);
    for (size_t i = 0; i < n_ifaces; i++) {
        if (v6) {
            struct ipv6_mreq mr = {.ipv6mr_interface = ifaces[i]};
            inet_pton(AF_INET6, "ff02::fb", &mr.ipv6mr_multiaddr);
            setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof(mr));
        } else {
            struct ip_mreqn mr = {.imr_ifindex = (int)ifaces[i]};
            inet_pton(AF_INET, "224.0.0.251", &mr.imr_multiaddr);
            setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
        }
    }
    return fd;
}

int sky_th_mdns_start(SkyThMdns **out, const SkyThHost *h)
{
    SkyThMdns *m = calloc(1, sizeof(*m));
    if (!m)
        return SKY_ERR(ENOMEM);
    m->port = h->http_port;
    m->fd[0] = m->fd[1] = m->stop_fd = -1;
    /* The instance: the host name (cut to a label), '.' and '\' escaped. */
    char inst[2 * SKY_MDNS_LABEL_MAX], label[SKY_MDNS_LABEL_MAX];
    size_t o = 0, l = 0;
    for (const char *c = h->cfg->hostname; *c && l < SKY_MDNS_LABEL_MAX - 1; c++, l++) {
        if (*c == '.' || *c == '\\')
            inst[o++] = '\\';
        inst[o++] = *c;
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '-';
        label[l] = ok ? *c : '-';
    }
    inst[o] = label[l] = '\0';
    snprintf(m->instance, sizeof(m->instance), "%s.%s", inst, SKY_MDNS_SERVICE);
    snprintf(m->target, sizeof(m->target), "%s.local", label);
    char addr[64];
    snprintf(addr, sizeof(addr), "%s", h->cfg->bind);
    char *pct = strchr(addr, '%');
    if (pct)
        *pct = '\0';
    if (strcmp(addr, "::") == 0) {
        m->any4 = m->any6 = true;
    } else if (strcmp(addr, "0.0.0.0") == 0) {
        m->any4 = true;
    } else if (inet_pton(AF_INET, addr, m->bound.bytes) == 1) {
        m->bound.family = 4;
    } else if (inet_pton(AF_INET6, addr, m->bound.bytes) == 1) {
        m->bound.family = 6;
    }
    int ret = 0;
    m->fd[0] = open_socket(m, false);
    m->fd[1] = open_socket(m, true);
    m->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (m->fd[0] < 0 || m->fd[1] < 0 || m->stop_fd < 0 ||
        pthread_create(&m->thread, NULL, responder_thread, m) != 0) {
        ret = SKY_ERR(EIO);
        for (int s = 0; s < 2; s++)
            if (m->fd[s] >= 0)
                close(m->fd[s]);
        if (m->stop_fd >= 0)
            close(m->stop_fd);
        free(m);
        return ret;
    }
    *out = m;
    return 0;
}

void sky_th_mdns_stop(SkyThMdns **mp)
{
    SkyThMdns *m = *mp;
    if (!m)
        return;
    uint64_t one = 1;
    if (write(m->stop_fd, &one, sizeof(one)) == sizeof(one))
        pthread_join(m->thread, NULL);
    close(m->fd[0]);
    close(m->fd[1]);
    close(m->stop_fd);
    free(m);
    *mp = NULL;
}
