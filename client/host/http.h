/* HTTP(S) GET through libcurl, as GameStream hosts need it: a client certificate on HTTPS, the
 * host's certificate pinned by its public key once paired (checked during the TLS handshake,
 * before the request is sent), a timeout on every request, a cap on every body, and a cancel
 * flag. Thread-safe after sky_http_global_init(). */
#ifndef SKY_CLIENT_HTTP_H
#define SKY_CLIENT_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SkyHttpTls {
    const char *cert_pem;      /* the client certificate, PEM */
    size_t cert_len;
    const char *key_pem;       /* its key, PEM */
    size_t key_len;
    const char *pinned_pubkey; /* "sha256//BASE64" or NULL: accept any host certificate */
} SkyHttpTls;

typedef struct SkyHttpRequest {
    const char *url;
    const SkyHttpTls *tls;     /* required for https:// URLs */
    int64_t timeout_ms;        /* the whole request; > 0 */
    int64_t connect_timeout_ms;
    size_t max_body_bytes;
    const atomic_bool *cancel; /* optional: when it becomes true the request stops */
} SkyHttpRequest;

typedef struct SkyHttpResponse {
    long status;  /* HTTP status */
    char *body;   /* malloc'd, NUL-terminated */
    size_t len;
} SkyHttpResponse;

/* Once per process, before any thread makes requests. */
int sky_http_global_init(void);
void sky_http_global_cleanup(void);

/* Returns 0 with the response (the caller frees it with sky_http_response_free) when the host
 * answered with HTTP 200. Otherwise a negative errno and a one-line reason in err:
 *   SKY_ERR(ECONNREFUSED) nothing listens, SKY_ERR(EHOSTUNREACH) the name does not resolve or
 *   the host cannot be reached, SKY_ERR(ETIMEDOUT), SKY_ERR(ECANCELED) (cancel flag),
 *   SKY_ERR(EKEYREJECTED) the host's certificate is not the pinned one,
 *   SKY_ERR(E2BIG) body over the cap, SKY_ERR(EPROTO) an HTTP status other than 200,
 *   SKY_ERR(EIO) any other transfer or TLS failure. */
int sky_http_get(const SkyHttpRequest *req, SkyHttpResponse *resp, char *err, size_t errlen);
void sky_http_response_free(SkyHttpResponse *r);

#endif
