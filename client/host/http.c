/* HTTP(S) GET over libcurl: client certificate, pinned host key, timeouts, body cap, cancel
 * (http.h). */
#include "client/host/http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "http"

typedef struct Sink {
    char *buf;
    size_t len, cap, max;
    bool too_big;
    const atomic_bool *cancel;
} Sink;

int sky_http_global_init(void)
{
    CURLcode c = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (c != CURLE_OK) {
        SKY_LOGE(TAG, "libcurl: %s", curl_easy_strerror(c));
        return SKY_ERR(EIO);
    }
    return 0;
}

void sky_http_global_cleanup(void)
{
    curl_global_cleanup();
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    Sink *s = ud;
    size_t n = size * nmemb;
    if (n > s->max - s->len) {
        s->too_big = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b)
            return 0;
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    Sink *s = ud;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return s->cancel && atomic_load(s->cancel) ? 1 : 0;
}

/* Turns a curl failure into our errno and a message. */
static int failure(CURLcode c, const Sink *s, const char *detail, char *err, size_t errlen)
{
    int ret;
    const char *what;
    switch (c) {
    case CURLE_COULDNT_CONNECT:
        ret = SKY_ERR(ECONNREFUSED);
        what = "cannot connect (is the host on, and is its streaming server running?)";
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        ret = SKY_ERR(EHOSTUNREACH);
        what = "cannot resolve the host name";
        break;
    case CURLE_OPERATION_TIMEDOUT:
        ret = SKY_ERR(ETIMEDOUT);
        what = "timed out";
        break;
    case CURLE_ABORTED_BY_CALLBACK:
        ret = SKY_ERR(ECANCELED);
        what = "cancelled";
        break;
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        ret = SKY_ERR(EKEYREJECTED);
        what = "the host presented a different certificate than the one pinned when it was "
               "paired";
        break;
    case CURLE_WRITE_ERROR:
        ret = s->too_big ? SKY_ERR(E2BIG) : SKY_ERR(ENOMEM);
        what = s->too_big ? "the reply is too large" : "out of memory";
        break;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        ret = SKY_ERR(EIO);
        what = "the host closed the connection without a reply";
        break;
    default:
        ret = SKY_ERR(EIO);
        what = curl_easy_strerror(c);
        break;
    }
    snprintf(err, errlen, "%s%s%s", what, detail[0] && ret == SKY_ERR(EIO) ? ": " : "",
             ret == SKY_ERR(EIO) ? detail : "");
    return ret;
}

int sky_http_get(const SkyHttpRequest *req, SkyHttpResponse *resp, char *err, size_t errlen)
{
    memset(resp, 0, sizeof(*resp));
    err[0] = '\0';
    bool https = strncmp(req->url, "https://", 8) == 0;
    if (https && !req->tls)
        return SKY_ERR(EINVAL);
    CURL *c = curl_easy_init();
    if (!c)
        return SKY_ERR(ENOMEM);
    Sink s = {.max = req->max_body_bytes, .cancel = req->cancel};
    char detail[CURL_ERROR_SIZE] = "";
    struct curl_blob cert, key;
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(req->connect_timeout_ms > 0 ? req->connect_timeout_ms
                                                        : req->timeout_ms));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &s);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "Skylight/" SKY_VERSION);
    if (https) {
        /* Hosts use self-signed certificates: trust comes from pairing, so the chain and name
         * are not checked; the pinned public key is, during the handshake. */
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        cert = (struct curl_blob){(void *)req->tls->cert_pem, req->tls->cert_len, CURL_BLOB_COPY};
        key = (struct curl_blob){(void *)req->tls->key_pem, req->tls->key_len, CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
        curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
        if (req->tls->pinned_pubkey)
            curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, req->tls->pinned_pubkey);
    }
    CURLcode cc = curl_easy_perform(c);
    int ret = 0;
    if (cc != CURLE_OK) {
        ret = failure(cc, &s, detail, err, errlen);
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
        if (resp->status != 200) {
            snprintf(err, errlen, "the host answered HTTP %ld", resp->status);
            ret = SKY_ERR(EPROTO);
        }
    }
    curl_easy_cleanup(c);
    if (ret < 0) {
        free(s.buf);
        return ret;
    }
    if (!s.buf) {
        s.buf = calloc(1, 1);
        if (!s.buf)
            return SKY_ERR(ENOMEM);
    }
    resp->body = s.buf;
    resp->len = s.len;
    return 0;
}

void sky_http_response_free(SkyHttpResponse *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}
