/* One media stream's UDP sender: the client's address from its pings, impairment, paced
 * sending (udp_sender.h). */
#include "tests/host/udp_sender.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/time.h"
#include "tests/host/host.h"
#include "tests/host/impair/delayq.h"

#define TAG "th-udp"
#define BATCH 64
#define PING_HOLD 32           /* pings held back by the upstream model at once */
#define PING_MAX 64            /* bytes of a ping we keep */
#define IDLE_WAIT_US 100000    /* the sender thread's longest sleep */

typedef struct Slot {
    size_t len;
    uint8_t *data;
} Slot;

typedef struct HeldPing {
    struct sockaddr_storage from;
    socklen_t from_len;
    size_t len;
    uint8_t data[PING_MAX];
} HeldPing;

struct SkyThUdp {
    SkyThUdpCfg cfg;             /* read-only after create (its impairment pointers are not) */
    SkyImpairCfg down_cfg, up_cfg;
    int wake_fd;                 /* eventfd: producer -> sender thread */
    pthread_t thread;
    bool started;

    /* Producer thread only. */
    SkyImpair *down;             /* NULL: no impairment */

    /* Sender thread only. */
    SkyImpair *up;
    SkyDelayQ *held_pings;       /* HeldPing* due times */
    HeldPing held[PING_HOLD];
    bool held_used[PING_HOLD];
    struct sockaddr_storage client;
    socklen_t client_len;
    SkyLogLimit send_limit;

    pthread_mutex_t lock;
    pthread_cond_t cond;         /* has_client or aborted changed */
    /* Guarded by lock. */
    bool stopping, aborted, has_client;
    SkyDelayQ *queue;            /* Slot* by delivery time */
    size_t n_free;
    Slot **free_slots;           /* stack */
    Slot *slots;
    uint8_t *storage;

    atomic_uint_least64_t offered, sent, sent_bytes, impair_dropped, overflow, send_errors,
        pings, pings_dropped;
};

static void wake(SkyThUdp *u)
{
    uint64_t one = 1;
    ssize_t r = write(u->wake_fd, &one, sizeof(one));
    (void)r; /* a full counter means a wake-up is pending anyway */
}

void sky_th_udp_abort(SkyThUdp *u)
{
    pthread_mutex_lock(&u->lock);
    u->aborted = true;
    pthread_cond_broadcast(&u->cond);
    pthread_mutex_unlock(&u->lock);
}

int sky_th_udp_wait_client(SkyThUdp *u)
{
    pthread_mutex_lock(&u->lock);
    while (!u->has_client && !u->aborted)
        pthread_cond_wait(&u->cond, &u->lock);
    int ret = u->aborted ? SKY_ERR(ESHUTDOWN) : 0;
    pthread_mutex_unlock(&u->lock);
    return ret;
}

bool sky_th_udp_has_client(SkyThUdp *u)
{
    pthread_mutex_lock(&u->lock);
    bool has = u->has_client;
    pthread_mutex_unlock(&u->lock);
    return has;
}

void sky_th_udp_stats(SkyThUdp *u, SkyThUdpStats *out)
{
    out->offered = atomic_load(&u->offered);
    out->sent = atomic_load(&u->sent);
    out->sent_bytes = atomic_load(&u->sent_bytes);
    out->impair_dropped = atomic_load(&u->impair_dropped);
    out->overflow = atomic_load(&u->overflow);
    out->send_errors = atomic_load(&u->send_errors);
    out->pings = atomic_load(&u->pings);
    out->pings_dropped = atomic_load(&u->pings_dropped);
}

/* Queues one copy due at due_us. Called with lock held. Returns false if no slot was free. */
static bool enqueue_locked(SkyThUdp *u, const uint8_t *data, size_t len, int64_t due_us,
                           bool flip, size_t bit, bool *need_wake)
{
    if (u->n_free == 0)
        return false;
    Slot *s = u->free_slots[--u->n_free];
    memcpy(s->data, data, len);
    s->len = len;
    if (flip)
        sky_impair_flip_bit(s->data, len, bit);
    int64_t before = sky_delayq_next_due_us(u->queue);
    /* The queue holds as many entries as there are slots: this cannot fail. */
    int ret = sky_delayq_push(u->queue, due_us, s, len);
    SKY_ASSERT(ret == 0);
    if (due_us < before)
        *need_wake = true;
    return true;
}

int sky_th_udp_send(SkyThUdp *u, const uint8_t *data, size_t len, int64_t now_us)
{
    if (len > u->cfg.max_datagram)
        return SKY_ERR(EINVAL);
    atomic_fetch_add(&u->offered, 1);
    SkyImpairOut o;
    SkyImpairVerdict v = SKY_IMPAIR_DELIVER;
    memset(&o, 0, sizeof(o));
    o.deliver_at_us = now_us;
    if (u->down)
        v = sky_impair_packet(u->down, len, now_us, &o);
    if (v == SKY_IMPAIR_DROP) {
        atomic_fetch_add(&u->impair_dropped, 1);
        return 0;
    }
    bool need_wake = false, ok;
    pthread_mutex_lock(&u->lock);
    ok = enqueue_locked(u, data, len, o.deliver_at_us, o.corrupt, o.corrupt_bit, &need_wake);
    if (ok && v == SKY_IMPAIR_DELIVER_DUP)
        ok = enqueue_locked(u, data, len, o.dup_deliver_at_us, false, 0, &need_wake);
    pthread_mutex_unlock(&u->lock);
    if (need_wake)
        wake(u);
    if (!ok) {
        atomic_fetch_add(&u->overflow, 1);
        return SKY_ERR(ENOBUFS);
    }
    return 0;
}

static void addr_string(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        port = ntohs(a->sin_port);
        snprintf(out, cap, "%s:%u", ip, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
        snprintf(out, cap, "[%s]:%u", ip, port);
    } else {
        snprintf(out, cap, "?");
    }
}

/* A ping that got through the upstream model. */
static void handle_ping(SkyThUdp *u, const uint8_t *p, size_t len,
                        const struct sockaddr_storage *from, socklen_t from_len)
{
    bool valid = (len >= 20 && memcmp(p, u->cfg.ping_payload, 16) == 0) ||
                 (u->cfg.allow_legacy && len == 4 && memcmp(p, "PING", 4) == 0);
    if (!valid) {
        SKY_LOGD(TAG, "%s: ignored a %zu-byte datagram that is not this session's ping",
                 u->cfg.name, len);
        return;
    }
    atomic_fetch_add(&u->pings, 1);
    pthread_mutex_lock(&u->lock);
    bool first = !u->has_client;
    pthread_mutex_unlock(&u->lock);
    if (!first)
        return;
    /* Only this thread writes the address, and only once, before has_client is published. */
    u->client = *from;
    u->client_len = from_len;
    char text[80];
    addr_string(from, text, sizeof(text));
    sky_th_event("client %s=%s", u->cfg.name, text);
    pthread_mutex_lock(&u->lock);
    u->has_client = true;
    pthread_cond_broadcast(&u->cond);
    pthread_mutex_unlock(&u->lock);
}

static void receive_pings(SkyThUdp *u)
{
    for (int n = 0; n < 64; n++) {
        uint8_t buf[PING_MAX];
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t r = recvfrom(u->cfg.fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&from,
                             &fl);
        if (r < 0)
            return; /* EAGAIN, or an ICMP error from an earlier send */
        size_t len = (size_t)r > sizeof(buf) ? sizeof(buf) : (size_t)r;
        int64_t now = sky_time_us();
        SkyImpairOut o;
        memset(&o, 0, sizeof(o));
        o.deliver_at_us = now;
        if (u->up && sky_impair_packet(u->up, len, now, &o) == SKY_IMPAIR_DROP) {
            atomic_fetch_add(&u->pings_dropped, 1);
            continue;
        }
        if (o.corrupt)
            sky_impair_flip_bit(buf, len, o.corrupt_bit);
        if (o.deliver_at_us <= now) {
            handle_ping(u, buf, len, &from, fl);
            continue;
        }
        int i = 0;
        while (i < PING_HOLD && u->held_used[i])
            i++;
        if (i == PING_HOLD) {
            atomic_fetch_add(&u->pings_dropped, 1); /* more than PING_HOLD pings in flight */
            continue;
        }
        u->held_used[i] = true;
        memcpy(u->held[i].data, buf, len);
        u->held[i].len = len;
        u->held[i].from = from;
        u->held[i].from_len = fl;
        sky_delayq_push(u->held_pings, o.deliver_at_us, &u->held[i], len);
    }
}

static void release_held_pings(SkyThUdp *u, int64_t now)
{
    SkyDelayQItem it;
    while (sky_delayq_pop_due(u->held_pings, now, &it) == 0) {
        HeldPing *hp = it.data;
        handle_ping(u, hp->data, hp->len, &hp->from, hp->from_len);
        u->held_used[hp - u->held] = false;
    }
}

/* Sends what is due. Returns the next due time (or SKY_DELAYQ_NONE). */
static int64_t send_due(SkyThUdp *u, int64_t now)
{
    for (;;) {
        Slot *batch[BATCH];
        int n = 0;
        pthread_mutex_lock(&u->lock);
        SkyDelayQItem it;
        while (n < BATCH && sky_delayq_pop_due(u->queue, now, &it) == 0)
            batch[n++] = it.data;
        int64_t next = sky_delayq_next_due_us(u->queue);
        pthread_mutex_unlock(&u->lock);
        if (n == 0)
            return next;

        struct mmsghdr msgs[BATCH];
        struct iovec iov[BATCH];
        memset(msgs, 0, sizeof(msgs));
        for (int i = 0; i < n; i++) {
            iov[i].iov_base = batch[i]->data;
            iov[i].iov_len = batch[i]->len;
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &u->client;
            msgs[i].msg_hdr.msg_namelen = u->client_len;
        }
        int done = 0;
        while (done < n) {
            int r = sendmmsg(u->cfg.fd, msgs + done, (unsigned)(n - done), 0);
            if (r > 0) {
                for (int i = done; i < done + r; i++)
                    atomic_fetch_add(&u->sent_bytes, batch[i]->len);
                atomic_fetch_add(&u->sent, (uint64_t)r);
                done += r;
                continue;
            }
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                struct pollfd p = {.fd = u->cfg.fd, .events = POLLOUT};
                poll(&p, 1, 10);
                continue;
            }
            /* ECONNREFUSED and the like: the client went away; skip this datagram. */
            atomic_fetch_add(&u->send_errors, 1);
            sky_log_limited(&u->send_limit, now, SKY_LOG_VERBOSE, TAG, "%s: send: %s",
                            u->cfg.name, sky_strerror(SKY_ERR(errno)));
            done++;
        }
        pthread_mutex_lock(&u->lock);
        for (int i = 0; i < n; i++)
            u->free_slots[u->n_free++] = batch[i];
        pthread_mutex_unlock(&u->lock);
        if (n < BATCH)
            return next;
    }
}

static void *sender_main(void *arg)
{
    SkyThUdp *u = arg;
    for (;;) {
        pthread_mutex_lock(&u->lock);
        bool stop = u->stopping, has_client = u->has_client;
        pthread_mutex_unlock(&u->lock);
        if (stop)
            break;
        int64_t now = sky_time_us();
        release_held_pings(u, now);
        /* Nothing is queued before the client is known: the producers wait for it. */
        int64_t next = has_client ? send_due(u, now) : SKY_DELAYQ_NONE;
        int64_t held = sky_delayq_next_due_us(u->held_pings);
        if (held < next)
            next = held;
        now = sky_time_us();
        int64_t wait = next == SKY_DELAYQ_NONE ? IDLE_WAIT_US : next - now;
        if (wait > IDLE_WAIT_US)
            wait = IDLE_WAIT_US;
        if (wait < 0)
            wait = 0;
        struct pollfd p[2] = {{.fd = u->cfg.fd, .events = POLLIN},
                              {.fd = u->wake_fd, .events = POLLIN}};
        struct timespec ts = {.tv_sec = wait / 1000000, .tv_nsec = (wait % 1000000) * 1000};
        int r = ppoll(p, 2, &ts, NULL);
        if (r <= 0)
            continue;
        if (p[1].revents) {
            uint64_t v;
            ssize_t rr = read(u->wake_fd, &v, sizeof(v));
            (void)rr;
        }
        if (p[0].revents)
            receive_pings(u);
    }
    return NULL;
}

void sky_th_udp_stop(SkyThUdp *u)
{
    if (!u->started)
        return;
    pthread_mutex_lock(&u->lock);
    u->stopping = true;
    u->aborted = true;
    pthread_cond_broadcast(&u->cond);
    pthread_mutex_unlock(&u->lock);
    wake(u);
    pthread_join(u->thread, NULL);
    u->started = false;
}

void sky_th_udp_destroy(SkyThUdp **pu)
{
    SkyThUdp *u = *pu;
    if (!u)
        return;
    sky_th_udp_stop(u);
    sky_impair_destroy(&u->down);
    sky_impair_destroy(&u->up);
    sky_delayq_destroy(&u->queue);
    sky_delayq_destroy(&u->held_pings);
    if (u->wake_fd >= 0)
        close(u->wake_fd);
    free(u->free_slots);
    free(u->slots);
    free(u->storage);
    pthread_cond_destroy(&u->cond);
    pthread_mutex_destroy(&u->lock);
    free(u);
    *pu = NULL;
}

int sky_th_udp_create(SkyThUdp **out, const SkyThUdpCfg *cfg)
{
    *out = NULL;
    if (cfg->fd < 0 || cfg->max_datagram == 0 || cfg->max_datagram > 65507 || cfg->pool < 16 ||
        strlen(cfg->ping_payload) != 16)
        return SKY_ERR(EINVAL);
    SkyThUdp *u = calloc(1, sizeof(*u));
    if (!u)
        return SKY_ERR(ENOMEM);
    u->cfg = *cfg;
    u->wake_fd = -1;
    pthread_mutex_init(&u->lock, NULL);
    pthread_cond_init(&u->cond, NULL);
    u->send_limit = (SkyLogLimit)SKY_LOG_LIMIT_INIT;
    int ret = SKY_ERR(ENOMEM);
    u->storage = malloc(cfg->pool * cfg->max_datagram);
    u->slots = calloc(cfg->pool, sizeof(*u->slots));
    u->free_slots = calloc(cfg->pool, sizeof(*u->free_slots));
    if (!u->storage || !u->slots || !u->free_slots)
        goto fail;
    for (size_t i = 0; i < cfg->pool; i++) {
        u->slots[i].data = u->storage + i * cfg->max_datagram;
        u->free_slots[i] = &u->slots[i];
    }
    u->n_free = cfg->pool;
    if ((ret = sky_delayq_create(&u->queue, cfg->pool)) < 0 ||
        (ret = sky_delayq_create(&u->held_pings, PING_HOLD)) < 0)
        goto fail;
    if (cfg->down && !sky_impair_cfg_is_none(cfg->down)) {
        u->down_cfg = *cfg->down;
        if ((ret = sky_impair_create(&u->down, &u->down_cfg)) < 0)
            goto fail;
    }
    if (cfg->up && !sky_impair_cfg_is_none(cfg->up)) {
        u->up_cfg = *cfg->up;
        if ((ret = sky_impair_create(&u->up, &u->up_cfg)) < 0)
            goto fail;
    }
    u->cfg.down = u->down ? &u->down_cfg : NULL;
    u->cfg.up = u->up ? &u->up_cfg : NULL;
    u->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int fl = fcntl(cfg->fd, F_GETFL);
    if (u->wake_fd < 0 || fl < 0 || fcntl(cfg->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        ret = SKY_ERR(errno);
        goto fail;
    }
    if ((ret = pthread_create(&u->thread, NULL, sender_main, u)) != 0) {
        ret = SKY_ERR(ret);
        SKY_LOGE(TAG, "%s: cannot start the sender thread: %s", cfg->name, sky_strerror(ret));
        goto fail;
    }
    u->started = true;
    *out = u;
    return 0;
fail:
    sky_th_udp_destroy(&u);
    return ret;
}
