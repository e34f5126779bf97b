/* One GameStream host over its HTTP API: finding it, checking who it is, pairing, app lists,
 * launch/resume, quit and app assets (host_client.h). */
#include "client/host/host_client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/host/http.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/hex.h"
#include "common/core/log.h"
#include "common/proto/pairing.h"

#define TAG "host"
/* Replies are small; the largest is an app list (about 120 bytes per app). */
#define MAX_REPLY_BYTES (1024 * 1024)
#define MAX_CERT_PEM 16384
/* Sunshine can take a while to start an app and its encoder. */
#define LAUNCH_TIMEOUT_MS 60000
#define UNPAIR_TIMEOUT_MS 3000

const SkyOpt sky_host_client_opts_table[] = {
    {"timeout", SKY_OPT_DOUBLE, offsetof(SkyHostClientOpts, timeout_s), 0, 0.1, 600, NULL, "10",
     "SECONDS", "give up on a host that does not answer within this"},
    SKY_OPT_END,
};

struct SkyHostClient {
    SkyHostClientCfg cfg;
    SkyHostAddr addr;            /* where the host answered */
    uint16_t http_port;
    char address[320];           /* addr as text, for messages and the known-host record */
    SkyServerInfo info;
    bool known;                  /* `host` is valid */
    SkyKnownHost host;           /* the record (its certificate is owned here) */
    char pin[100];               /* the pinned public key, "" if none */
    bool paired;
};

static void make_uuid(char out[37])
{
    uint8_t b[16];
    if (sky_random_bytes(b, sizeof(b)) < 0)
        memset(b, 0, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

/* One GET of at most max_bytes. pinned: the public-key pin for HTTPS ("" for none). */
static int get_capped(SkyHostClient *hc, bool https, const char *path, const char *query,
                      int64_t timeout_ms, const char *pinned, size_t max_bytes,
                      SkyHttpResponse *resp, char *err, size_t errlen)
{
    char uuid[37], url[8192], why[256];
    make_uuid(uuid);
    int ret = sky_hostapi_url(url, sizeof(url), https, hc->addr.host, hc->addr.ipv6,
                              https ? hc->info.https_port : hc->http_port, path,
                              hc->cfg.id->uniqueid, uuid, query);
    if (ret < 0) {
        snprintf(err, errlen, "request to %s is too long", path);
        return ret;
    }
    SkyHttpTls tls = {hc->cfg.id->cert_pem, hc->cfg.id->cert_len, hc->cfg.id->key_pem,
                      hc->cfg.id->key_len, pinned && pinned[0] ? pinned : NULL};
    SkyHttpRequest req = {url, https ? &tls : NULL, timeout_ms,
                          timeout_ms < hc->cfg.timeout_ms ? timeout_ms : hc->cfg.timeout_ms,
                          max_bytes, hc->cfg.cancel};
    SKY_LOGD(TAG, "GET %s://%s/%s", https ? "https" : "http", hc->address, path);
    ret = sky_http_get(&req, resp, why, sizeof(why));
    if (ret < 0)
        snprintf(err, errlen, "%s (%s port %u, /%s): %s", hc->address, https ? "HTTPS" : "HTTP",
                 (unsigned)(https ? hc->info.https_port : hc->http_port), path, why);
    return ret;
}

/* One GET of an XML reply (capped at MAX_REPLY_BYTES). */
static int get(SkyHostClient *hc, bool https, const char *path, const char *query,
               int64_t timeout_ms, const char *pinned, SkyHttpResponse *resp, char *err,
               size_t errlen)
{
    return get_capped(hc, https, path, query, timeout_ms, pinned, MAX_REPLY_BYTES, resp, err,
                      errlen);
}

/* GET and parse the reply's status; on success *doc is the caller's. */
static int get_xml(SkyHostClient *hc, bool https, const char *path, const char *query,
                   int64_t timeout_ms, const char *pinned, SkyXml **doc, int *status, char *err,
                   size_t errlen)
{
    SkyHttpResponse resp;
    char why[300];
    *doc = NULL;
    int ret = get(hc, https, path, query, timeout_ms, pinned, &resp, err, errlen);
    if (ret < 0)
        return ret;
    ret = sky_hostapi_reply(resp.body, resp.len, doc, status, why, sizeof(why));
    sky_http_response_free(&resp);
    if (ret < 0)
        snprintf(err, errlen, "%s /%s: %s", hc->address, path, why);
    return ret;
}

static int set_pin_from_pem(SkyHostClient *hc, const char *pem, size_t len)
{
    SkyCert *cert = NULL;
    int ret = sky_cert_from_pem(&cert, pem, len);
    if (ret == 0)
        ret = sky_cert_pubkey_pin(cert, hc->pin, sizeof(hc->pin));
    sky_cert_destroy(&cert);
    return ret;
}

static void address_text(SkyHostClient *hc)
{
    if (hc->http_port == SKY_HOSTAPI_DEFAULT_HTTP_PORT)
        snprintf(hc->address, sizeof(hc->address), hc->addr.ipv6 ? "[%s]" : "%s", hc->addr.host);
    else
        sky_host_addr_format(hc->addr.host, hc->addr.ipv6, hc->http_port, hc->address,
                             sizeof(hc->address));
}

/* Fetches /serverinfo over plain HTTP into info. */
static int serverinfo_http(SkyHostClient *hc, SkyServerInfo *info, char *err, size_t errlen)
{
    SkyHttpResponse resp;
    char why[300];
    int ret = get(hc, false, "serverinfo", NULL, hc->cfg.timeout_ms, NULL, &resp, err, errlen);
    if (ret < 0)
        return ret;
    ret = sky_hostapi_serverinfo(resp.body, resp.len, info, why, sizeof(why));
    sky_http_response_free(&resp);
    if (ret < 0)
        snprintf(err, errlen, "%s: %s", hc->address, why);
    return ret;
}

/* Over HTTPS with the pinned certificate: updates info and `paired`. */
static int serverinfo_https(SkyHostClient *hc, char *err, size_t errlen)
{
    SkyHttpResponse resp;
    SkyServerInfo info;
    char why[300];
    int ret = get(hc, true, "serverinfo", NULL, hc->cfg.timeout_ms, hc->pin, &resp, err, errlen);
    if (ret == SKY_ERR(EKEYREJECTED)) {
        snprintf(err, errlen,
                 "%s presented a different certificate than the one pinned when it was paired: "
                 "possible impostor. If the host was reinstalled, run 'skylight unpair %s' and "
                 "pair again",
                 hc->address, hc->cfg.host);
        return ret;
    }
    if (ret < 0)
        return ret;
    ret = sky_hostapi_serverinfo(resp.body, resp.len, &info, why, sizeof(why));
    sky_http_response_free(&resp);
    if (ret == SKY_ERR(EACCES)) {
        SKY_LOGW(TAG, "%s no longer accepts this client (it was unpaired on the host); pair it "
                      "again",
                 hc->address);
        hc->paired = false;
        return 0;
    }
    if (ret < 0) {
        snprintf(err, errlen, "%s: %s", hc->address, why);
        return ret;
    }
    if (strcmp(info.uniqueid, hc->info.uniqueid) != 0) {
        snprintf(err, errlen, "%s answers with another unique id over HTTPS than over HTTP",
                 hc->address);
        return SKY_ERR(EBADMSG);
    }
    hc->info = info;
    hc->paired = info.paired;
    return 0;
}

/* Brings the known-host record up to date (address, name, MAC) after a verified contact. */
static void refresh_record(SkyHostClient *hc)
{
    SkyKnownHost *h = &hc->host;
    bool changed = strcmp(h->address, hc->address) != 0 || strcmp(h->name, hc->info.hostname) ||
                   h->https_port != hc->info.https_port ||
                   (hc->info.mac[0] && strcmp(h->mac, hc->info.mac) != 0);
    if (!changed)
        return;
    if (strcmp(h->address, hc->address) != 0)
        SKY_LOGI(TAG, "%s moved from %s to %s", hc->info.hostname, h->address, hc->address);
    snprintf(h->address, sizeof(h->address), "%s", hc->address);
    snprintf(h->name, sizeof(h->name), "%s", hc->info.hostname);
    h->https_port = hc->info.https_port;
    if (hc->info.mac[0])
        snprintf(h->mac, sizeof(h->mac), "%s", hc->info.mac);
    int ret = sky_hosts_save(hc->cfg.config_dir, h);
    if (ret < 0)
        SKY_LOGW(TAG, "cannot update the record of %s: %s", hc->address, sky_strerror(ret));
}

int sky_host_client_open(SkyHostClient **out, const SkyHostClientCfg *cfg, char *err,
                         size_t errlen)
{
    *out = NULL;
    SkyHostClient *hc = calloc(1, sizeof(*hc));
    if (!hc)
        return SKY_ERR(ENOMEM);
    hc->cfg = *cfg;
    SkyKnownHost *hosts = NULL;
    size_t n = 0;
    int ret = sky_hosts_load(cfg->config_dir, &hosts, &n);
    if (ret < 0)
        SKY_LOGW(TAG, "cannot read the known hosts: %s", sky_strerror(ret));
    /* A known name or unique id stands for the address it was last reached at. */
    int idx = sky_hosts_find(hosts, n, cfg->host);
    const char *where = idx >= 0 ? hosts[idx].address : cfg->host;
    if (sky_host_addr_parse(where, &hc->addr) < 0) {
        snprintf(err, errlen, "'%s' is not a host name or address (NAME, IPv4, IPv6, with an "
                              "optional :PORT; IPv6 with a port in brackets)",
                 where);
        ret = SKY_ERR(EINVAL);
        goto done;
    }
    hc->http_port = hc->addr.port ? hc->addr.port : SKY_HOSTAPI_DEFAULT_HTTP_PORT;
    address_text(hc);
    ret = serverinfo_http(hc, &hc->info, err, errlen);
    if (ret < 0)
        goto done;
    /* Who answered decides which record applies, not what the user typed. */
    idx = sky_hosts_find(hosts, n, hc->info.uniqueid);
    if (idx >= 0 && strcmp(hosts[idx].uniqueid, hc->info.uniqueid) == 0) {
        hc->known = true;
        hc->host = hosts[idx];
        hosts[idx].cert_pem = NULL; /* moved */
        hc->paired = hc->host.paired;
    }
    if (hc->paired) {
        ret = set_pin_from_pem(hc, hc->host.cert_pem, hc->host.cert_len);
        if (ret == 0)
            ret = serverinfo_https(hc, err, errlen);
        if (ret < 0)
            goto done;
        if (hc->paired)
            refresh_record(hc);
    }
    ret = 0;
done:
    sky_hosts_free(hosts, n);
    if (ret < 0) {
        sky_host_client_destroy(&hc);
        return ret;
    }
    *out = hc;
    return 0;
}

void sky_host_client_destroy(SkyHostClient **phc)
{
    SkyHostClient *hc = *phc;
    if (!hc)
        return;
    sky_known_host_clear(&hc->host);
    free(hc);
    *phc = NULL;
}

void sky_host_client_set_timeout(SkyHostClient *hc, int64_t timeout_ms)
{
    hc->cfg.timeout_ms = timeout_ms;
}

const SkyServerInfo *sky_host_client_info(const SkyHostClient *hc)
{
    return &hc->info;
}

const SkyKnownHost *sky_host_client_known(const SkyHostClient *hc)
{
    return hc->known ? &hc->host : NULL;
}

bool sky_host_client_paired(const SkyHostClient *hc)
{
    return hc->paired;
}

const char *sky_host_client_address(const SkyHostClient *hc)
{
    return hc->address;
}

const SkyHostAddr *sky_host_client_addr(const SkyHostClient *hc)
{
    return &hc->addr;
}

/* ---- Pairing ---- */

static int random_pin(char pin[5])
{
    uint8_t b[2];
    unsigned v;
    do {
        if (sky_random_bytes(b, 2) < 0)
            return SKY_ERR(EIO);
        v = (unsigned)(b[0] << 8 | b[1]);
    } while (v >= 60000); /* a multiple of 10000: no bias */
    snprintf(pin, 5, "%04u", v % 10000);
    return 0;
}

/* One /pair step over HTTP: sends query, requires <paired>1</paired>, returns the document. */
static int pair_step(SkyHostClient *hc, const char *query, int64_t timeout_ms, SkyXml **doc,
                     int *status, char *err, size_t errlen)
{
    char q[8192];
    snprintf(q, sizeof(q), "devicename=skylight&updateState=1&%s", query);
    int ret = get_xml(hc, false, "pair", q, timeout_ms, NULL, doc, status, err, errlen);
    if (ret < 0)
        return ret;
    int64_t paired = 0;
    if (sky_hostapi_int(sky_xml_root(*doc), "paired", 0, 1, &paired) < 0 || paired != 1) {
        sky_xml_destroy(doc);
        snprintf(err, errlen, "%s refused to pair", hc->address);
        return SKY_ERR(EPROTO);
    }
    return 0;
}

/* Best effort: hosts that know /unpair forget the half-made pairing. */
static void tell_unpair(SkyHostClient *hc)
{
    SkyHttpResponse resp;
    char err[256];
    if (get(hc, false, "unpair", NULL, UNPAIR_TIMEOUT_MS, NULL, &resp, err, sizeof(err)) == 0)
        sky_http_response_free(&resp);
}

typedef struct PairRun {
    SkyPairClient *pc;
    char cert_pem[MAX_CERT_PEM + 1]; /* the host certificate as it sent it */
    size_t cert_len;
    uint8_t buf[SKY_PAIR_MAX_SIGNED_SECRET];
    char hex[4 * MAX_CERT_PEM + 1];
    char query[8192];
} PairRun;

/* Step 1: salt and certificate; waits for the user to type the PIN on the host. */
static int pair_getservercert(SkyHostClient *hc, PairRun *r, const uint8_t salt[16],
                              int64_t pin_timeout_ms, char *err, size_t errlen)
{
    char salt_hex[33];
    SkyXml *doc = NULL;
    int status = 0, ret = 0;
    sky_hex_encode(salt, 16, salt_hex, false);
    if (hc->cfg.id->cert_len * 2 + 100 > sizeof(r->hex))
        return SKY_ERR(E2BIG);
    sky_hex_encode((const uint8_t *)hc->cfg.id->cert_pem, hc->cfg.id->cert_len, r->hex, false);
    char *q = malloc(sizeof(r->hex) + 100);
    if (!q)
        return SKY_ERR(ENOMEM);
    snprintf(q, sizeof(r->hex) + 100, "phrase=getservercert&salt=%s&clientcert=%s", salt_hex,
             r->hex);
    /* A host may still hold a pairing this client abandoned (a wrong PIN); it refuses once
     * ("out of order") and forgets it, so one retry starts cleanly. */
    for (int attempt = 0; attempt < 2; attempt++) {
        char dq[sizeof(r->hex) + 200];
        snprintf(dq, sizeof(dq), "devicename=skylight&updateState=1&%s", q);
        ret = get_xml(hc, false, "pair", dq, pin_timeout_ms, NULL, &doc, &status, err, errlen);
        if (!(ret == SKY_ERR(EPROTO) && status == 400 && attempt == 0))
            break;
        SKY_LOGV(TAG, "the host refused the first pairing request (%s); trying once more", err);
    }
    free(q);
    if (ret == SKY_ERR(ETIMEDOUT)) {
        snprintf(err, errlen, "nobody entered the PIN on %s in time", hc->address);
        return ret;
    }
    if (ret < 0)
        return ret;
    const SkyXmlNode *root = sky_xml_root(doc);
    int64_t paired = 0;
    size_t n = 0;
    if (sky_hostapi_int(root, "paired", 0, 1, &paired) < 0 || paired != 1) {
        snprintf(err, errlen, "%s refused to start pairing: it may be pairing with another "
                              "device right now, or pairing is disabled on it",
                 hc->address);
        ret = SKY_ERR(EBUSY);
    } else if (sky_hostapi_hex(root, "plaincert", (uint8_t *)r->cert_pem, MAX_CERT_PEM, &n) < 0 ||
               sky_pair_client_set_host_cert(r->pc, r->cert_pem, n) < 0) {
        snprintf(err, errlen, "%s sent no valid certificate", hc->address);
        ret = SKY_ERR(EBADMSG);
    } else {
        r->cert_pem[n] = '\0';
        r->cert_len = n;
    }
    sky_xml_destroy(&doc);
    return ret;
}

/* Steps 2-4. */
static int pair_exchange(SkyHostClient *hc, PairRun *r, char *err, size_t errlen)
{
    uint8_t challenge[16], secret[16], enc[SKY_PAIR_HASH_FIELD_LEN], resp[64];
    char hex[2 * SKY_PAIR_MAX_SIGNED_SECRET + 1];
    SkyXml *doc = NULL;
    size_t n;
    int status;
    int ret = sky_random_bytes(challenge, 16);
    if (ret == 0)
        ret = sky_random_bytes(secret, 16);
    if (ret == 0)
        ret = sky_pair_client_challenge(r->pc, challenge, enc);
    if (ret < 0)
        return ret;
    sky_hex_encode(enc, 16, hex, false);
    snprintf(r->query, sizeof(r->query), "clientchallenge=%s", hex);
    ret = pair_step(hc, r->query, hc->cfg.timeout_ms, &doc, &status, err, errlen);
    if (ret < 0)
        return ret;
    ret = sky_hostapi_hex(sky_xml_root(doc), "challengeresponse", resp, sizeof(resp), &n);
    sky_xml_destroy(&doc);
    if (ret == 0)
        ret = sky_pair_client_respond(r->pc, resp, n, secret, enc);
    if (ret < 0) {
        snprintf(err, errlen, "%s sent a malformed challenge response", hc->address);
        return SKY_ERR(EBADMSG);
    }
    sky_hex_encode(enc, sizeof(enc), hex, false);
    snprintf(r->query, sizeof(r->query), "serverchallengeresp=%s", hex);
    ret = pair_step(hc, r->query, hc->cfg.timeout_ms, &doc, &status, err, errlen);
    if (ret < 0)
        return ret;
    ret = sky_hostapi_hex(sky_xml_root(doc), "pairingsecret", r->buf, SKY_PAIR_MAX_SIGNED_SECRET,
                          &n);
    sky_xml_destroy(&doc);
    if (ret == 0)
        ret = sky_pair_client_check_host_secret(r->pc, r->buf, n);
    if (ret == SKY_ERR(EACCES)) {
        snprintf(err, errlen, "wrong PIN: the PIN entered on %s is not the one shown here",
                 hc->address);
        return ret;
    }
    if (ret < 0) {
        snprintf(err, errlen, "%s's pairing secret is not signed by the certificate it sent: "
                              "possible impostor; pairing stopped",
                 hc->address);
        return SKY_ERR(EBADMSG);
    }
    ret = sky_pair_client_signed_secret(r->pc, r->buf, sizeof(r->buf), &n);
    if (ret < 0)
        return ret;
    sky_hex_encode(r->buf, n, hex, false);
    snprintf(r->query, sizeof(r->query), "clientpairingsecret=%s", hex);
    ret = pair_step(hc, r->query, hc->cfg.timeout_ms, &doc, &status, err, errlen);
    if (ret == SKY_ERR(EPROTO))
        snprintf(err, errlen, "%s did not accept this client's pairing secret", hc->address);
    sky_xml_destroy(&doc);
    return ret;
}

/* Step 5: the same question over HTTPS, with the certificate just received pinned. */
static int pair_confirm(SkyHostClient *hc, const char *pem, size_t len, char *err, size_t errlen)
{
    SkyXml *doc = NULL;
    int ret = set_pin_from_pem(hc, pem, len);
    if (ret < 0)
        return ret;
    ret = get_xml(hc, true, "pair", "devicename=skylight&updateState=1&phrase=pairchallenge",
                  hc->cfg.timeout_ms, hc->pin, &doc, NULL, err, errlen);
    if (ret < 0)
        return ret;
    int64_t paired = 0;
    if (sky_hostapi_int(sky_xml_root(doc), "paired", 0, 1, &paired) < 0 || paired != 1) {
        snprintf(err, errlen, "%s did not confirm the pairing over HTTPS", hc->address);
        ret = SKY_ERR(EPROTO);
    }
    sky_xml_destroy(&doc);
    return ret;
}

int sky_host_client_pair(SkyHostClient *hc, const char *pin, int64_t pin_timeout_ms,
                         SkyPinShowFn show, void *opaque, char *err, size_t errlen)
{
    char chosen[5];
    uint8_t salt[16];
    if (pin) {
        if (sky_pair_pin_valid(pin) < 0) {
            snprintf(err, errlen, "the PIN must be 4 digits");
            return SKY_ERR(EINVAL);
        }
        snprintf(chosen, sizeof(chosen), "%s", pin);
    } else if (random_pin(chosen) < 0) {
        return SKY_ERR(EIO);
    }
    PairRun *r = calloc(1, sizeof(*r));
    if (!r)
        return SKY_ERR(ENOMEM);
    int ret = sky_random_bytes(salt, sizeof(salt));
    SkyPairClientCfg pcfg = {chosen, salt, hc->info.app_major, hc->cfg.id->cert, hc->cfg.id->key};
    if (ret == 0)
        ret = sky_pair_client_create(&r->pc, &pcfg);
    if (ret < 0)
        goto done;
    if (show)
        show(opaque, chosen);
    ret = pair_getservercert(hc, r, salt, pin_timeout_ms, err, errlen);
    if (ret == 0)
        ret = pair_exchange(hc, r, err, errlen);
    char *pem = NULL;
    if (ret == 0)
        ret = pair_confirm(hc, r->cert_pem, r->cert_len, err, errlen);
    /* Paired hosts tell more over HTTPS (their MAC address, for wake-on-LAN). */
    if (ret == 0 && serverinfo_https(hc, err, errlen) == 0 && !hc->paired)
        SKY_LOGW(TAG, "%s paired but does not list this client as paired yet", hc->address);
    if (ret == 0 && !(pem = strdup(r->cert_pem)))
        ret = SKY_ERR(ENOMEM);
    if (ret == 0) {
        SkyKnownHost h;
        if (hc->known) {
            h = hc->host;
        } else {
            memset(&h, 0, sizeof(h));
            snprintf(h.uniqueid, sizeof(h.uniqueid), "%s", hc->info.uniqueid);
        }
        snprintf(h.address, sizeof(h.address), "%s", hc->address);
        snprintf(h.name, sizeof(h.name), "%s", hc->info.hostname);
        h.https_port = hc->info.https_port;
        if (hc->info.mac[0])
            snprintf(h.mac, sizeof(h.mac), "%s", hc->info.mac);
        h.paired = true;
        h.cert_pem = pem;
        h.cert_len = r->cert_len;
        ret = sky_hosts_save(hc->cfg.config_dir, &h);
        if (ret < 0) {
            snprintf(err, errlen, "paired, but the host record cannot be written: %s",
                     sky_strerror(ret));
        } else {
            sky_known_host_clear(&hc->host);
            hc->host = h;
            pem = NULL; /* now hc->host's */
            hc->known = true;
            hc->paired = true;
        }
    }
    free(pem);
done:
    if (ret < 0 && ret != SKY_ERR(EBUSY))
        tell_unpair(hc);
    if (ret == SKY_ERR(ECANCELED))
        snprintf(err, errlen, "pairing cancelled");
    sky_pair_client_destroy(&r->pc);
    sky_wipe(r, sizeof(*r));
    free(r);
    return ret;
}

int sky_host_client_unpair(SkyHostClient *hc, char *err, size_t errlen)
{
    if (!hc->known) {
        snprintf(err, errlen, "%s is not a known host here", hc->address);
        return SKY_ERR(ENOENT);
    }
    tell_unpair(hc);
    int ret = sky_hosts_remove(hc->cfg.config_dir, hc->host.uniqueid);
    if (ret < 0) {
        snprintf(err, errlen, "cannot remove the record of %s: %s", hc->address,
                 sky_strerror(ret));
        return ret;
    }
    sky_known_host_clear(&hc->host);
    hc->known = false;
    hc->paired = false;
    hc->pin[0] = '\0';
    return 0;
}

static int need_paired(SkyHostClient *hc, char *err, size_t errlen)
{
    if (hc->paired)
        return 0;
    snprintf(err, errlen, "not paired with %s (%s): run 'skylight pair %s' first", hc->address,
             hc->info.hostname[0] ? hc->info.hostname : "unnamed host", hc->cfg.host);
    return SKY_ERR(EACCES);
}

int sky_host_client_applist(SkyHostClient *hc, SkyAppList *out, char *err, size_t errlen)
{
    SkyHttpResponse resp;
    char why[300];
    out->apps = NULL;
    out->count = 0;
    int ret = need_paired(hc, err, errlen);
    if (ret == 0)
        ret = get(hc, true, "applist", NULL, hc->cfg.timeout_ms, hc->pin, &resp, err, errlen);
    if (ret < 0)
        return ret;
    ret = sky_hostapi_applist(resp.body, resp.len, out, why, sizeof(why));
    sky_http_response_free(&resp);
    if (ret < 0)
        snprintf(err, errlen, "%s: %s", hc->address, why);
    return ret;
}

int sky_host_client_launch(SkyHostClient *hc, const SkyLaunchParams *p, bool resume,
                           SkySessionUrl *url, char *err, size_t errlen)
{
    SkyHttpResponse resp;
    char query[1024], why[300];
    int ret = need_paired(hc, err, errlen);
    if (ret < 0)
        return ret;
    ret = sky_hostapi_launch_query(p, query, sizeof(query));
    if (ret == 0)
        ret = get(hc, true, resume ? "resume" : "launch", query,
                  LAUNCH_TIMEOUT_MS > hc->cfg.timeout_ms ? LAUNCH_TIMEOUT_MS : hc->cfg.timeout_ms,
                  hc->pin, &resp, err, errlen);
    sky_wipe(query, sizeof(query));
    if (ret < 0)
        return ret;
    ret = sky_hostapi_launch(resp.body, resp.len, resume ? "resume" : "gamesession", url, why,
                             sizeof(why));
    sky_http_response_free(&resp);
    if (ret < 0) {
        snprintf(err, errlen, "%s: %s", hc->address, why);
        return ret;
    }
    /* The stream goes to the address the host answered on, as Moonlight does: the session URL
     * names the host's own address, which a client behind NAT or port forwarding may not reach.
     * Only its port counts (old hosts leave it out: the usual one). */
    snprintf(url->host, sizeof(url->host), "%s", hc->addr.host);
    if (url->port == 0)
        url->port = 48010;
    return 0;
}

int sky_host_client_quit(SkyHostClient *hc, char *err, size_t errlen)
{
    SkyXml *doc = NULL;
    int ret = need_paired(hc, err, errlen);
    if (ret == 0)
        ret = get_xml(hc, true, "cancel", NULL, hc->cfg.timeout_ms, hc->pin, &doc, NULL, err,
                      errlen);
    if (ret < 0)
        return ret;
    int64_t ok = 0;
    if (sky_hostapi_int(sky_xml_root(doc), "cancel", 0, 1, &ok) < 0 || ok != 1) {
        snprintf(err, errlen, "%s did not quit the app", hc->address);
        ret = SKY_ERR(EPROTO);
    }
    sky_xml_destroy(&doc);
    return ret;
}

int sky_host_client_appasset(SkyHostClient *hc, uint32_t appid, size_t max_bytes,
                             SkyHttpResponse *resp, char *err, size_t errlen)
{
    char query[96];
    memset(resp, 0, sizeof(*resp));
    int ret = need_paired(hc, err, errlen);
    if (ret < 0)
        return ret;
    /* AssetType 2, AssetIdx 0: the box art, as Moonlight asks for it. */
    snprintf(query, sizeof(query), "appid=%" PRIu32 "&AssetType=2&AssetIdx=0", appid);
    return get_capped(hc, true, "appasset", query, hc->cfg.timeout_ms, hc->pin, max_bytes, resp,
                      err, errlen);
}
