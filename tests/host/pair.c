/* The host side of PIN pairing: sessions and the /pair phases (pair.h). */
#include "tests/host/pair.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/core/error.h"
#include "common/core/hex.h"
#include "common/core/log.h"
#include "common/proto/pairing.h"
#include "common/core/time.h"
#include "tests/host/proto/pairing_host.h"
#include "tests/host/server.h"
#include "tests/host/state.h"

#define TAG "th-pair"
/* Pairing sessions kept at once (clients that stopped half-way stay until evicted). */
#define MAX_SESSIONS 8
/* Largest client certificate PEM we take. */
#define CLIENT_PEM_MAX (32 * 1024)
/* How often a waiting getservercert looks whether its client hung up. */
#define PEER_CHECK_US 100000

typedef enum Phase {
    PH_WAIT_PIN,      /* getservercert came; waiting for the PIN */
    PH_CERT_SENT,     /* getservercert answered */
    PH_CHALLENGED,    /* clientchallenge answered */
    PH_SECRET_SENT,   /* serverchallengeresp answered */
} Phase;

typedef struct Sess {
    bool used;
    bool waiting;     /* a getservercert request waits on it for the PIN */
    bool dropped;     /* removed while waiting: the waiting thread frees it */
    bool reported;    /* a pair-failed event for it went out already */
    bool pin_given;
    Phase phase;
    uint64_t serial;  /* age, for eviction */
    char uniqueid[SKY_TH_UNIQUEID_MAX + 1];
    char pin[5];
    uint8_t salt[SKY_PAIR_SALT_LEN];
    char *client_pem; /* owned, as the client sent it */
    size_t client_pem_len;
    SkyCert *client_cert; /* owned */
    SkyPairHost *ph;      /* owned, from the moment the PIN is known */
} Sess;

struct SkyThPairings {
    Sess s[MAX_SESSIONS];
    uint64_t next_serial;
};

int sky_th_pairings_create(SkyThPairings **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : SKY_ERR(ENOMEM);
}

static void sess_free(Sess *s)
{
    sky_pair_host_destroy(&s->ph);
    sky_cert_destroy(&s->client_cert);
    free(s->client_pem);
    sky_wipe(s, sizeof(*s));
}

void sky_th_pairings_destroy(SkyThPairings **pp)
{
    SkyThPairings *p = *pp;
    if (!p)
        return;
    for (size_t i = 0; i < MAX_SESSIONS; i++)
        if (p->s[i].used)
            sess_free(&p->s[i]);
    free(p);
    *pp = NULL;
}

static Sess *find(SkyThPairings *p, const char *uniqueid)
{
    for (size_t i = 0; i < MAX_SESSIONS; i++) {
        Sess *s = &p->s[i];
        if (s->used && !s->dropped && strcmp(s->uniqueid, uniqueid) == 0)
            return s;
    }
    return NULL;
}

static Sess *find_waiting(SkyThPairings *p)
{
    for (size_t i = 0; i < MAX_SESSIONS; i++) {
        Sess *s = &p->s[i];
        if (s->used && !s->dropped && s->waiting)
            return s;
    }
    return NULL;
}

/* Removes s; a session someone waits on is only marked, and its waiter frees it. */
static void drop(SkyThHost *h, Sess *s)
{
    if (s->waiting) {
        s->dropped = true;
        pthread_cond_broadcast(&h->cond);
    } else {
        sess_free(s);
    }
}

static Sess *alloc_sess(SkyThPairings *p)
{
    Sess *oldest = NULL;
    for (size_t i = 0; i < MAX_SESSIONS; i++) {
        Sess *s = &p->s[i];
        if (!s->used)
            return s;
        if (!s->waiting && (!oldest || s->serial < oldest->serial))
            oldest = s;
    }
    if (!oldest)
        return NULL;
    SKY_LOGI(TAG, "forgetting the unfinished pairing of %s", oldest->uniqueid);
    sess_free(oldest);
    return oldest;
}

/* Sunshine's fail_pair: 400, <paired>0</paired>, and the session is gone. */
static void fail_pair(SkyThHost *h, Sess *s, SkyThReply *rep, const char *msg,
                      const char *reason, const char *uniqueid)
{
    SKY_LOGW(TAG, "pairing of %s failed: %s", uniqueid, msg);
    sky_th_event("pair-failed reason=%s uniqueid=%s", reason, uniqueid);
    sky_th_reply_error(rep, 400, msg, "paired", 0);
    if (s) {
        s->reported = true;
        drop(h, s);
    }
}

static bool uniqueid_ok(const char *u)
{
    size_t n = strlen(u);
    if (n == 0 || n > SKY_TH_UNIQUEID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (u[i] <= 0x20 || u[i] >= 0x7f)
            return false;
    return true;
}

/* The PIN is known: derive the key and answer with the host certificate. */
static void send_server_cert(SkyThHost *h, Sess *s, SkyThReply *rep)
{
    size_t pem_len;
    const char *pem = sky_th_state_cert_pem(h->state, &pem_len);
    SkyPairHostCfg cfg = {
        .pin = s->pin,
        .salt = s->salt,
        .server_major = h->server_major,
        .host_cert = sky_th_state_cert(h->state),
        .host_key = sky_th_state_key(h->state),
        .client_cert = s->client_cert,
    };
    char *hex = malloc(2 * pem_len + 1);
    if (!hex || sky_pair_host_create(&s->ph, &cfg) < 0) {
        free(hex);
        fail_pair(h, s, rep, "Internal error", "internal", s->uniqueid);
        return;
    }
    s->phase = PH_CERT_SENT;
    sky_hex_encode((const uint8_t *)pem, pem_len, hex, true);
    SkyThXml x;
    sky_th_xml_init(&x);
    sky_th_xml_elem_int(&x, "paired", 1);
    sky_th_xml_elem(&x, "plaincert", hex);
    sky_th_xml_attr_int(&x, "status_code", 200);
    sky_th_reply_xml(rep, &x, 200);
    free(hex);
    SKY_LOGI(TAG, "sent the host certificate to %s", s->uniqueid);
}

static void abs_time(int64_t us, struct timespec *ts)
{
    ts->tv_sec = (time_t)(us / 1000000);
    ts->tv_nsec = (long)(us % 1000000) * 1000;
}

/* Waits (host->lock held) until the PIN comes or the pairing ends. Fills rep. */
static void wait_for_pin(SkyThHost *h, const SkyThConnInfo *ci, Sess *s, SkyThReply *rep)
{
    char uid[SKY_TH_UNIQUEID_MAX + 1];
    memcpy(uid, s->uniqueid, sizeof(uid));
    const int64_t deadline = sky_time_us() + (int64_t)h->cfg->pin_timeout_s * 1000000;
    s->waiting = true;
    sky_th_event("pin-wait uniqueid=%s", uid);
    SKY_LOGI(TAG, "pairing of %s waits for the PIN (type 'pin NNNN')", uid);
    for (;;) {
        if (s->dropped) {
            if (!s->reported)
                sky_th_event("pair-failed reason=cancelled uniqueid=%s", uid);
            sess_free(s);
            SKY_LOGW(TAG, "pairing of %s was cancelled while it waited for the PIN", uid);
            sky_th_reply_error(rep, 400, "Pairing cancelled", "paired", 0);
            return;
        }
        if (s->pin_given)
            break;
        if (h->stopping) {
            sess_free(s);
            sky_th_event("pair-failed reason=shutdown uniqueid=%s", uid);
            return; /* close unanswered */
        }
        int64_t now = sky_time_us();
        if (now >= deadline) {
            s->waiting = false;
            fail_pair(h, s, rep, "Timed out waiting for the PIN", "pin-timeout", uid);
            return;
        }
        if (sky_th_conn_peer_gone(ci)) {
            sess_free(s);
            SKY_LOGW(TAG, "client %s hung up while its pairing waited for the PIN", uid);
            sky_th_event("pair-failed reason=client-gone uniqueid=%s", uid);
            return;
        }
        int64_t until = now + PEER_CHECK_US < deadline ? now + PEER_CHECK_US : deadline;
        struct timespec ts;
        abs_time(until, &ts);
        pthread_cond_timedwait(&h->cond, &h->lock, &ts);
    }
    s->waiting = false;
    send_server_cert(h, s, rep);
    /* Sunshine answers a PIN typed later through its async path, which leaves the connection
     * open (the recorded client sent clientchallenge on it). */
    rep->keep_alive = rep->status == 200;
}

/* The salt (Sunshine takes its first 32 hex digits) and the client certificate (hex of its
 * PEM) of a getservercert request. On success *pem (NUL-terminated) and *cert are the
 * caller's; else the status message to answer with. */
static const char *cert_args(const SkyThReq *req, uint8_t salt[SKY_PAIR_SALT_LEN], char **pem,
                             size_t *pem_len, SkyCert **cert)
{
    const char *salt_hex = sky_th_req_arg(req, "salt");
    const char *cert_hex = sky_th_req_arg(req, "clientcert");
    size_t n;
    *pem = NULL;
    *cert = NULL;
    if (!salt_hex || strlen(salt_hex) < 2 * SKY_PAIR_SALT_LEN ||
        sky_hex_decode(salt_hex, 2 * SKY_PAIR_SALT_LEN, salt, SKY_PAIR_SALT_LEN, &n) < 0)
        return "Salt too short";
    size_t hex_len = cert_hex ? strlen(cert_hex) : 0;
    char *buf = hex_len && hex_len <= 2 * CLIENT_PEM_MAX ? malloc(hex_len / 2 + 1) : NULL;
    if (!buf || sky_hex_decode(cert_hex, hex_len, (uint8_t *)buf, hex_len / 2, &n) < 0) {
        free(buf);
        return "Invalid client certificate";
    }
    buf[n] = '\0';
    if (sky_cert_from_pem(cert, buf, n) < 0) {
        free(buf);
        return "Invalid client certificate";
    }
    *pem = buf;
    *pem_len = n;
    return NULL;
}

/* A session for a new pairing (host->lock held): NULL if another client's pairing is under
 * way, which is then answered the GFE way (200, <paired>0</paired>). */
static Sess *start_session(SkyThHost *h, const char *uid, SkyThReply *rep)
{
    Sess *other = find_waiting(h->pairings);
    Sess *s = other || find(h->pairings, uid) ? NULL : alloc_sess(h->pairings);
    if (!s) {
        SKY_LOGW(TAG, "%s wants to pair while %s waits for its PIN: refused", uid,
                 other ? other->uniqueid : "another client");
        sky_th_event("pair-failed reason=busy uniqueid=%s", uid);
        sky_th_reply_error(rep, 200, NULL, "paired", 0);
        return NULL;
    }
    s->used = true;
    s->phase = PH_WAIT_PIN;
    s->serial = ++h->pairings->next_serial;
    snprintf(s->uniqueid, sizeof(s->uniqueid), "%s", uid);
    return s;
}

static void getservercert(SkyThHost *h, const SkyThConnInfo *ci, const SkyThReq *req,
                          const char *uid, SkyThReply *rep)
{
    uint8_t salt[SKY_PAIR_SALT_LEN];
    char *pem = NULL;
    size_t pem_len = 0;
    SkyCert *cert = NULL;

    pthread_mutex_lock(&h->lock);
    Sess *s = find(h->pairings, uid);
    if (s && s->waiting) {
        SKY_LOGI(TAG, "a new getservercert from %s replaces the one waiting", uid);
        drop(h, s);
    } else if (s) {
        fail_pair(h, s, rep, "Out of order call to getservercert", "out-of-order", uid);
        goto unlock;
    }
    if (find_waiting(h->pairings)) {
        start_session(h, uid, rep); /* refuses */
        goto unlock;
    }
    pthread_mutex_unlock(&h->lock);

    const char *bad = cert_args(req, salt, &pem, &pem_len, &cert);
    if (bad) {
        fail_pair(h, NULL, rep, bad, "bad-request", uid);
        goto cleanup;
    }

    pthread_mutex_lock(&h->lock);
    /* Another request may have started a pairing meanwhile: start_session checks again. */
    s = start_session(h, uid, rep);
    if (!s)
        goto unlock;
    memcpy(s->salt, salt, sizeof(salt));
    s->client_pem = pem;
    s->client_pem_len = pem_len;
    s->client_cert = cert;
    pem = NULL;
    cert = NULL;
    char cn[128];
    sky_th_cert_cn_pem(s->client_pem, s->client_pem_len, cn, sizeof(cn));
    SKY_LOGI(TAG, "pairing request from %s (certificate CN '%s')", uid, cn);
    if (h->cfg->pin[0]) {
        memcpy(s->pin, h->cfg->pin, 4);
        s->pin_given = true;
        send_server_cert(h, s, rep);
    } else {
        wait_for_pin(h, ci, s, rep);
    }
unlock:
    pthread_mutex_unlock(&h->lock);
cleanup:
    free(pem);
    sky_cert_destroy(&cert);
    sky_wipe(salt, sizeof(salt));
}

/* Decodes hex argument name into out. Returns false if it is malformed or too long. */
static bool hex_arg(const SkyThReq *req, const char *name, uint8_t *out, size_t cap, size_t *n)
{
    const char *v = sky_th_req_arg(req, name);
    *n = 0;
    return v && sky_hex_decode(v, strlen(v), out, cap, n) == 0;
}

static void clientchallenge(SkyThHost *h, Sess *s, const SkyThReq *req, SkyThReply *rep)
{
    uint8_t enc[64], secret[SKY_PAIR_SECRET_LEN], challenge[SKY_PAIR_CHALLENGE_LEN], out[64];
    size_t n, out_len = 0;
    if (s->phase != PH_CERT_SENT) {
        fail_pair(h, s, rep, "Out of order call to clientchallenge", "out-of-order", s->uniqueid);
        return;
    }
    if (!hex_arg(req, "clientchallenge", enc, sizeof(enc), &n) ||
        sky_random_bytes(secret, sizeof(secret)) < 0 ||
        sky_random_bytes(challenge, sizeof(challenge)) < 0 ||
        sky_pair_host_challenge(s->ph, enc, n, secret, challenge, out, sizeof(out), &out_len) <
            0) {
        fail_pair(h, s, rep, "Invalid client challenge", "bad-request", s->uniqueid);
        goto cleanup;
    }
    s->phase = PH_CHALLENGED;
    char hex[2 * sizeof(out) + 1];
    sky_hex_encode(out, out_len, hex, true);
    SkyThXml x;
    sky_th_xml_init(&x);
    sky_th_xml_elem_int(&x, "paired", 1);
    sky_th_xml_elem(&x, "challengeresponse", hex);
    sky_th_xml_attr_int(&x, "status_code", 200);
    sky_th_reply_xml(rep, &x, 200);
cleanup:
    sky_wipe(secret, sizeof(secret));
    sky_wipe(challenge, sizeof(challenge));
}

static void serverchallengeresp(SkyThHost *h, Sess *s, const SkyThReq *req, SkyThReply *rep)
{
    uint8_t enc[64], out[SKY_PAIR_MAX_SIGNED_SECRET];
    size_t n, out_len = 0;
    if (s->phase != PH_CHALLENGED) {
        fail_pair(h, s, rep, "Out of order call to serverchallengeresp", "out-of-order",
                  s->uniqueid);
        return;
    }
    if (!hex_arg(req, "serverchallengeresp", enc, sizeof(enc), &n) ||
        sky_pair_host_secret(s->ph, enc, n, out, sizeof(out), &out_len) < 0) {
        fail_pair(h, s, rep, "Invalid server challenge response", "bad-request", s->uniqueid);
        return;
    }
    s->phase = PH_SECRET_SENT;
    char hex[2 * sizeof(out) + 1];
    sky_hex_encode(out, out_len, hex, true);
    SkyThXml x;
    sky_th_xml_init(&x);
    sky_th_xml_elem(&x, "pairingsecret", hex);
    sky_th_xml_elem_int(&x, "paired", 1);
    sky_th_xml_attr_int(&x, "status_code", 200);
    sky_th_reply_xml(rep, &x, 200);
}

static void clientpairingsecret(SkyThHost *h, Sess *s, const SkyThReq *req, SkyThReply *rep)
{
    uint8_t data[SKY_PAIR_MAX_SIGNED_SECRET];
    size_t n;
    char uid[SKY_TH_UNIQUEID_MAX + 1];
    memcpy(uid, s->uniqueid, sizeof(uid));
    if (s->phase != PH_SECRET_SENT) {
        fail_pair(h, s, rep, "Out of order call to clientpairingsecret", "out-of-order", uid);
        return;
    }
    if (!hex_arg(req, "clientpairingsecret", data, sizeof(data), &n)) {
        fail_pair(h, s, rep, "Invalid client pairing secret", "bad-request", uid);
        return;
    }
    if (n <= SKY_PAIR_SECRET_LEN) {
        fail_pair(h, s, rep, "Client pairing secret too short", "bad-request", uid);
        return;
    }
    int paired = 0;
    if (sky_pair_host_check_client_secret(s->ph, data, n) == 0) {
        char fp[65], cn[128];
        sky_th_cert_cn_pem(s->client_pem, s->client_pem_len, cn, sizeof(cn));
        if (sky_th_state_add_paired(h->state, s->client_pem, s->client_pem_len, fp) == 0) {
            paired = 1;
            SKY_LOGI(TAG, "paired %s (certificate SHA-256 %s, CN '%s')", uid, fp, cn);
            sky_th_event("paired uniqueid=%s fingerprint=%s cn=%s", uid, fp, cn);
        } else {
            sky_th_event("pair-failed reason=store uniqueid=%s", uid);
        }
    } else {
        SKY_LOGW(TAG, "pairing of %s failed: wrong PIN or a forged signature", uid);
        sky_th_event("pair-failed reason=wrong-pin uniqueid=%s", uid);
    }
    drop(h, s);
    SkyThXml x;
    sky_th_xml_init(&x);
    sky_th_xml_elem_int(&x, "paired", paired);
    sky_th_xml_attr_int(&x, "status_code", 200);
    sky_th_reply_xml(rep, &x, 200);
}

void sky_th_pair_handle(SkyThHost *h, const SkyThConnInfo *ci, const SkyThReq *req,
                        SkyThReply *rep)
{
    const char *uid = sky_th_req_arg(req, "uniqueid");
    if (!uid) {
        sky_th_reply_error(rep, 400, "Missing uniqueid parameter", NULL, 0);
        return;
    }
    if (!uniqueid_ok(uid)) {
        sky_th_reply_error(rep, 400, "Invalid uniqueid", NULL, 0);
        return;
    }
    const char *phrase = sky_th_req_arg(req, "phrase");
    if (phrase && strcmp(phrase, "getservercert") == 0) {
        getservercert(h, ci, req, uid, rep);
        return;
    }
    if (phrase && strcmp(phrase, "pairchallenge") == 0) {
        SkyThXml x;
        sky_th_xml_init(&x);
        sky_th_xml_elem_int(&x, "paired", 1);
        sky_th_xml_attr_int(&x, "status_code", 200);
        sky_th_reply_xml(rep, &x, 200);
        return;
    }
    pthread_mutex_lock(&h->lock);
    Sess *s = find(h->pairings, uid);
    if (!s)
        sky_th_reply_error(rep, 400, "Invalid uniqueid", NULL, 0);
    else if (sky_th_req_arg(req, "clientchallenge"))
        clientchallenge(h, s, req, rep);
    else if (sky_th_req_arg(req, "serverchallengeresp"))
        serverchallengeresp(h, s, req, rep);
    else if (sky_th_req_arg(req, "clientpairingsecret"))
        clientpairingsecret(h, s, req, rep);
    else
        sky_th_reply_error(rep, 404, "Invalid pairing request", NULL, 0);
    pthread_mutex_unlock(&h->lock);
}

int sky_th_pair_enter_pin(SkyThHost *h, const char *pin, char *uniqueid, size_t cap)
{
    if (sky_pair_pin_valid(pin) < 0)
        return SKY_ERR(EINVAL);
    pthread_mutex_lock(&h->lock);
    Sess *s = find_waiting(h->pairings);
    if (!s || s->pin_given) {
        pthread_mutex_unlock(&h->lock);
        return SKY_ERR(ENOENT);
    }
    memcpy(s->pin, pin, 4);
    s->pin[4] = '\0';
    s->pin_given = true;
    snprintf(uniqueid, cap, "%s", s->uniqueid);
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    return 0;
}
