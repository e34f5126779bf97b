/* The test host's HTTP and HTTPS listeners: sockets, TLS, threads (server.h). */
#include "tests/host/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/time.h"
#include "tests/host/state.h"

#define TAG "th-http"
/* Connections served at once; more are closed at accept. */
#define MAX_CONNS 64
/* A peer that sends nothing (or cannot take our reply) for this long is dropped. */
#define IO_TIMEOUT_S 15

typedef struct Conn Conn;

typedef struct Listener {
    SkyThServer *srv;
    bool tls;
    int fd;
    pthread_t thread;
    bool started;
} Listener;

struct SkyThServer {
    SkyThHost *h;
    SSL_CTX *ctx;
    Listener l[2];                  /* 0: HTTP, 1: HTTPS */
    /* Guarded by h->lock. */
    Conn *conns;                    /* every connection thread not joined yet */
};

struct Conn {
    SkyThServer *srv;
    pthread_t thread;
    Conn *next;                     /* h->lock */
    bool done;                      /* h->lock: the thread is finishing; fd no longer ours */
    int fd;
    SSL *ssl;
    SkyThConnInfo ci;
    size_t len;                     /* bytes in buf */
    char buf[SKY_TH_REQ_MAX + 1];
    SkyThReq req;
};

/* ---- SSLKEYLOGFILE ---- */

static pthread_mutex_t g_keylog_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *g_keylog; /* g_keylog_lock */

static void keylog_cb(const SSL *ssl, const char *line)
{
    (void)ssl;
    pthread_mutex_lock(&g_keylog_lock);
    if (g_keylog) {
        fprintf(g_keylog, "%s\n", line);
        fflush(g_keylog);
    }
    pthread_mutex_unlock(&g_keylog_lock);
}

static const char *ssl_err_text(char *buf, size_t cap)
{
    unsigned long e = ERR_get_error();
    if (!e)
        snprintf(buf, cap, "%s", "no OpenSSL error");
    else
        ERR_error_string_n(e, buf, cap);
    ERR_clear_error();
    return buf;
}

/* Any certificate passes the TLS handshake: the paired check comes after it, so that an unknown
 * client still gets an answer (the 401 document). */
static int verify_any(int preverify_ok, X509_STORE_CTX *ctx)
{
    (void)preverify_ok;
    (void)ctx;
    return 1;
}

static int make_ssl_ctx(SkyThServer *srv)
{
    char err[256];
    size_t cert_len, key_len;
    const char *cert_pem = sky_th_state_cert_pem(srv->h->state, &cert_len);
    const char *key_pem = sky_th_state_key_pem(srv->h->state, &key_len);
    BIO *cb = BIO_new_mem_buf(cert_pem, (int)cert_len);
    BIO *kb = BIO_new_mem_buf(key_pem, (int)key_len);
    X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    static const unsigned char sid_ctx[] = "skylight-testhost";
    int ret = SKY_ERR(EIO);

    srv->ctx = SSL_CTX_new(TLS_server_method());
    if (!srv->ctx || !cert || !key ||
        SSL_CTX_set_min_proto_version(srv->ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate(srv->ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey(srv->ctx, key) != 1 || SSL_CTX_check_private_key(srv->ctx) != 1 ||
        SSL_CTX_set_session_id_context(srv->ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1) {
        SKY_LOGE(TAG, "TLS set-up failed: %s", ssl_err_text(err, sizeof(err)));
        goto cleanup;
    }
    SSL_CTX_set_verify(srv->ctx,
                       SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT |
                           SSL_VERIFY_CLIENT_ONCE,
                       verify_any);
    const char *keylog = getenv("SSLKEYLOGFILE");
    if (keylog && keylog[0]) {
        pthread_mutex_lock(&g_keylog_lock);
        if (!g_keylog)
            g_keylog = fopen(keylog, "a");
        if (g_keylog)
            SSL_CTX_set_keylog_callback(srv->ctx, keylog_cb);
        else
            SKY_LOGW(TAG, "cannot open SSLKEYLOGFILE %s", keylog);
        pthread_mutex_unlock(&g_keylog_lock);
    }
    ret = 0;
cleanup:
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cb);
    BIO_free(kb);
    return ret;
}

/* ---- Addresses ---- */

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t cap, bool *v6,
                      uint16_t *port)
{
    *v6 = false;
    *port = 0;
    snprintf(out, cap, "?");
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, out, (socklen_t)cap);
        *port = ntohs(a->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        *port = ntohs(a->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
            inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], out, (socklen_t)cap);
        } else {
            inet_ntop(AF_INET6, &a->sin6_addr, out, (socklen_t)cap);
            *v6 = true;
        }
    }
}

static int listen_on(const char *bind_addr, int port, int *fd_out, uint16_t *port_out)
{
    int ret = sky_th_bind(bind_addr, port, SOCK_STREAM, 64, fd_out, port_out);
    if (ret == SKY_ERR(EADDRINUSE))
        SKY_LOGE(TAG, "cannot listen on %s port %d: address in use", bind_addr, port);
    return ret;
}

/* ---- Connection I/O ---- */

/* Reads some bytes. Returns the count, 0 at EOF, a negative errno on error or timeout. */
static long conn_read(Conn *c, char *buf, size_t cap)
{
    if (c->ssl) {
        int n = SSL_read(c->ssl, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
        if (n > 0)
            return n;
        int e = SSL_get_error(c->ssl, n);
        ERR_clear_error();
        return e == SSL_ERROR_ZERO_RETURN ? 0 : SKY_ERR(EIO);
    }
    for (;;) {
        ssize_t n = recv(c->fd, buf, cap, 0);
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 ? SKY_ERR(errno) : (long)n;
    }
}

static int conn_write(Conn *c, const char *data, size_t len)
{
    while (len > 0) {
        if (c->ssl) {
            int n = SSL_write(c->ssl, data, len > INT32_MAX ? INT32_MAX : (int)len);
            if (n <= 0) {
                ERR_clear_error();
                return SKY_ERR(EIO);
            }
            data += n;
            len -= (size_t)n;
        } else {
            ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return SKY_ERR(errno);
            data += n;
            len -= (size_t)n;
        }
    }
    return 0;
}

/* Reads until c->buf holds a whole request head. Returns its length; 0 if the peer closed,
 * timed out or failed (close quietly); SKY_ERR(E2BIG) if the head outgrew SKY_TH_REQ_MAX. */
static long read_head(Conn *c)
{
    size_t scanned = 0;
    for (;;) {
        /* A terminator ending in new bytes starts at most 2 bytes before them. */
        size_t from = scanned >= 2 ? scanned - 2 : 0;
        size_t hl = sky_th_req_head_len(c->buf + from, c->len - from);
        if (hl)
            return (long)(from + hl);
        scanned = c->len;
        if (c->len >= SKY_TH_REQ_MAX)
            return SKY_ERR(E2BIG);
        long n = conn_read(c, c->buf + c->len, SKY_TH_REQ_MAX - c->len);
        if (n <= 0) {
            if (c->len > 0)
                SKY_LOGV(TAG, "connection from %s closed in the middle of a request",
                         c->ci.peer_addr);
            return 0;
        }
        c->len += (size_t)n;
    }
}

bool sky_th_conn_peer_gone(const SkyThConnInfo *ci)
{
    struct pollfd p = {.fd = ci->fd, .events = POLLRDHUP};
    int n = poll(&p, 1, 0);
    return n > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/* "GET /pair phrase=getservercert uniqueid=..." without secrets: the values of a few harmless
 * arguments, and only the names of the pairing phases and of the keys. */
static void describe(const SkyThReq *req, char *out, size_t cap)
{
    static const char *const safe[] = {"phrase", "uniqueid", "devicename", "appid", "mode"};
    static const char *const hidden[] = {"clientchallenge", "serverchallengeresp",
                                         "clientpairingsecret", "rikey"};
    char path[128];
    sky_th_sanitize(req->path, path, sizeof(path), false);
    int n = snprintf(out, cap, "%s %s", req->method, path);
    size_t o = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]) && o < cap; i++) {
        const char *v = sky_th_req_arg(req, safe[i]);
        if (!v)
            continue;
        char val[80];
        sky_th_sanitize(v, val, sizeof(val), false);
        n = snprintf(out + o, cap - o, " %s=%s", safe[i], val);
        o += n > 0 ? (size_t)n : 0;
    }
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]) && o < cap; i++) {
        if (!sky_th_req_arg(req, hidden[i]))
            continue;
        n = snprintf(out + o, cap - o, " %s=...", hidden[i]);
        o += n > 0 ? (size_t)n : 0;
    }
}

static void log_request(const Conn *c, const char *what, const SkyThReply *rep)
{
    const SkyThConnInfo *ci = &c->ci;
    char status[16];
    if (rep->data)
        snprintf(status, sizeof(status), "%d", rep->status);
    else
        snprintf(status, sizeof(status), "no reply");
    if (ci->tls)
        SKY_LOGI(TAG, "%s -> %s (https :%u from %s, client %s%s)", what, status, ci->port,
                 ci->peer_addr, ci->peer_subject[0] ? ci->peer_subject : "-",
                 ci->authorized ? "" : ", not paired");
    else
        SKY_LOGI(TAG, "%s -> %s (http :%u from %s)", what, status, ci->port, ci->peer_addr);
}

static void tls_accept(Conn *c)
{
    SkyThHost *h = c->srv->h;
    char err[256];
    c->ssl = SSL_new(c->srv->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
        SKY_LOGE(TAG, "SSL_new: %s", ssl_err_text(err, sizeof(err)));
        SSL_free(c->ssl);
        c->ssl = NULL;
        return;
    }
    if (SSL_accept(c->ssl) != 1) {
        SKY_LOGI(TAG, "TLS handshake from %s failed: %s", c->ci.peer_addr,
                 ssl_err_text(err, sizeof(err)));
        SSL_free(c->ssl);
        c->ssl = NULL;
        return;
    }
    X509 *peer = SSL_get1_peer_certificate(c->ssl);
    if (peer) {
        unsigned char *der = NULL;
        int n = i2d_X509(peer, &der);
        X509_NAME_oneline(X509_get_subject_name(peer), err, sizeof(err));
        sky_th_sanitize(err, c->ci.peer_subject, sizeof(c->ci.peer_subject), true);
        if (n > 0) {
            pthread_mutex_lock(&h->lock);
            c->ci.authorized = sky_th_state_is_paired(h->state, der, (size_t)n);
            pthread_mutex_unlock(&h->lock);
        }
        OPENSSL_free(der);
        X509_free(peer);
    }
    ERR_clear_error();
    SKY_LOGV(TAG, "%s -- %s", c->ci.peer_subject[0] ? c->ci.peer_subject : "unknown",
             c->ci.authorized ? "verified" : "denied");
}

static void serve(Conn *c)
{
    SkyThHost *h = c->srv->h;
    char what[320];
    for (;;) {
        SkyThReply rep;
        memset(&rep, 0, sizeof(rep));
        long hl = read_head(c);
        if (hl == 0)
            return;
        if (hl < 0) {
            sky_th_reply_http_error(&rep, 413);
            snprintf(what, sizeof(what), "request over %d bytes", SKY_TH_REQ_MAX);
        } else {
            int ret = sky_th_req_parse(&c->req, c->buf, (size_t)hl);
            if (ret < 0) {
                sky_th_reply_http_error(&rep, 400);
                if (ret == SKY_ERR(ENOTSUP))
                    describe(&c->req, what, sizeof(what));
                else
                    snprintf(what, sizeof(what), "malformed request");
            } else {
                describe(&c->req, what, sizeof(what));
                sky_th_handle(h, &c->ci, &c->req, &rep);
            }
            /* Keep what came after this head (only used if the connection stays open). */
            memmove(c->buf, c->buf + hl, c->len - (size_t)hl);
            c->len -= (size_t)hl;
        }
        log_request(c, what, &rep);
        bool keep = rep.keep_alive && rep.data;
        int wret = rep.data ? conn_write(c, rep.data, rep.len) : 0;
        sky_th_reply_free(&rep);
        if (wret < 0 || !keep)
            return;
    }
}

static void *conn_main(void *arg)
{
    Conn *c = arg;
    SkyThHost *h = c->srv->h;
    struct timeval tv = {.tv_sec = IO_TIMEOUT_S, .tv_usec = 0};
    int one = 1;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    if (!c->ci.tls) {
        serve(c);
    } else {
        tls_accept(c);
        if (c->ssl) {
            serve(c);
            SSL_shutdown(c->ssl); /* close_notify; we do not wait for the peer's */
            SSL_free(c->ssl);
            c->ssl = NULL;
        }
    }
    ERR_clear_error();
    pthread_mutex_lock(&h->lock);
    c->done = true; /* from now on nobody but us touches fd */
    pthread_mutex_unlock(&h->lock);
    close(c->fd);
    c->fd = -1;
    return NULL;
}

/* Joins and frees the finished connections (all of them if all is set: stopping). */
static void reap(SkyThServer *srv, bool all)
{
    SkyThHost *h = srv->h;
    Conn *dead = NULL;
    pthread_mutex_lock(&h->lock);
    for (Conn **pp = &srv->conns; *pp;) {
        Conn *c = *pp;
        if (all || c->done) {
            *pp = c->next;
            c->next = dead;
            dead = c;
        } else {
            pp = &c->next;
        }
    }
    pthread_mutex_unlock(&h->lock);
    while (dead) {
        Conn *c = dead;
        dead = c->next;
        pthread_join(c->thread, NULL);
        free(c);
    }
}

static void start_conn(Listener *l, int fd, const struct sockaddr_storage *peer)
{
    SkyThServer *srv = l->srv;
    SkyThHost *h = srv->h;
    Conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    c->srv = srv;
    c->fd = fd;
    c->ci.fd = fd;
    c->ci.tls = l->tls;
    uint16_t port;
    bool v6;
    addr_text(peer, c->ci.peer_addr, sizeof(c->ci.peer_addr), &v6, &port);
    struct sockaddr_storage local;
    socklen_t sl = sizeof(local);
    if (getsockname(fd, (struct sockaddr *)&local, &sl) < 0) {
        close(fd);
        free(c);
        return;
    }
    addr_text(&local, c->ci.local_addr, sizeof(c->ci.local_addr), &c->ci.local_v6, &c->ci.port);

    pthread_mutex_lock(&h->lock);
    size_t n = 0;
    for (Conn *i = srv->conns; i; i = i->next)
        n += !i->done;
    if (h->stopping || n >= MAX_CONNS) {
        pthread_mutex_unlock(&h->lock);
        if (n >= MAX_CONNS)
            SKY_LOGW(TAG, "too many connections; dropped one from %s", c->ci.peer_addr);
        close(fd);
        free(c);
        return;
    }
    int ret = pthread_create(&c->thread, NULL, conn_main, c);
    if (ret != 0) {
        pthread_mutex_unlock(&h->lock);
        SKY_LOGE(TAG, "cannot start a connection thread: %s", sky_strerror(SKY_ERR(ret)));
        close(fd);
        free(c);
        return;
    }
    c->next = srv->conns;
    srv->conns = c;
    pthread_mutex_unlock(&h->lock);
}

static void *accept_main(void *arg)
{
    Listener *l = arg;
    SkyThHost *h = l->srv->h;
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t sl = sizeof(peer);
        int fd = accept4(l->fd, (struct sockaddr *)&peer, &sl, SOCK_CLOEXEC);
        pthread_mutex_lock(&h->lock);
        bool stopping = h->stopping;
        pthread_mutex_unlock(&h->lock);
        if (stopping) {
            if (fd >= 0)
                close(fd);
            break;
        }
        reap(l->srv, false);
        if (fd < 0) {
            int e = errno;
            if (e == EINTR || e == ECONNABORTED || e == EPROTO)
                continue;
            if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
                SKY_LOGW(TAG, "accept: %s", sky_strerror(SKY_ERR(e)));
                sky_sleep_us(50000);
                continue;
            }
            SKY_LOGE(TAG, "accept: %s", sky_strerror(SKY_ERR(e)));
            break;
        }
        start_conn(l, fd, &peer);
    }
    return NULL;
}

int sky_th_server_create(SkyThServer **out, SkyThHost *h)
{
    *out = NULL;
    int ret;
    SkyThServer *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return SKY_ERR(ENOMEM);
    srv->h = h;
    srv->l[0].fd = srv->l[1].fd = -1;
    if ((ret = make_ssl_ctx(srv)) < 0 ||
        (ret = listen_on(h->cfg->bind, h->cfg->http_port, &srv->l[0].fd, &h->http_port)) < 0 ||
        (ret = listen_on(h->cfg->bind, h->cfg->https_port, &srv->l[1].fd, &h->https_port)) < 0)
        goto fail;
    for (int i = 0; i < 2; i++) {
        srv->l[i].srv = srv;
        srv->l[i].tls = i == 1;
        ret = pthread_create(&srv->l[i].thread, NULL, accept_main, &srv->l[i]);
        if (ret != 0) {
            ret = SKY_ERR(ret);
            SKY_LOGE(TAG, "cannot start the accept thread: %s", sky_strerror(ret));
            goto fail;
        }
        srv->l[i].started = true;
    }
    SKY_LOGI(TAG, "listening on %s: http %u, https %u", h->cfg->bind, h->http_port,
             h->https_port);
    *out = srv;
    return 0;
fail:
    sky_th_host_stop(h);
    sky_th_server_destroy(&srv);
    return ret;
}

void sky_th_server_destroy(SkyThServer **ps)
{
    SkyThServer *srv = *ps;
    if (!srv)
        return;
    SkyThHost *h = srv->h;
    /* shutdown() wakes a thread blocked in accept() on Linux. */
    for (int i = 0; i < 2; i++) {
        if (srv->l[i].fd >= 0)
            shutdown(srv->l[i].fd, SHUT_RDWR);
        if (srv->l[i].started)
            pthread_join(srv->l[i].thread, NULL);
        if (srv->l[i].fd >= 0)
            close(srv->l[i].fd);
        srv->l[i].fd = -1;
    }
    /* Wake connection threads blocked on their sockets; the PIN waiters saw `stopping`. */
    pthread_mutex_lock(&h->lock);
    for (Conn *c = srv->conns; c; c = c->next)
        if (!c->done)
            shutdown(c->fd, SHUT_RDWR);
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    reap(srv, true);
    SSL_CTX_free(srv->ctx);
    pthread_mutex_lock(&g_keylog_lock);
    if (g_keylog)
        fclose(g_keylog);
    g_keylog = NULL;
    pthread_mutex_unlock(&g_keylog_lock);
    free(srv);
    *ps = NULL;
}
