/* Talking to one GameStream host over its HTTP API: finding it (by a known name, its address
 * or a new address), checking who it is, pairing, listing apps, launching/resuming, quitting
 * and fetching box art. Every request has a timeout and a body cap; HTTPS requests present the
 * client certificate and, once the host is paired, only accept the host certificate pinned
 * then.
 *
 * Threads: one thread uses a SkyHostClient; `cancel` may be set from anywhere (a signal). */
#ifndef SKY_CLIENT_HOST_CLIENT_H
#define SKY_CLIENT_HOST_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/host/hosts.h"
#include "client/host/http.h"
#include "client/host/identity.h"
#include "common/core/opts.h"
#include "common/proto/hostapi.h"

/* The options of every verb that talks to a host. */
typedef struct SkyHostClientOpts {
    double timeout_s;           /* --timeout: for SkyHostClientCfg.timeout_ms and the like */
} SkyHostClientOpts;

extern const SkyOpt sky_host_client_opts_table[];

typedef struct SkyHostClientCfg {
    const char *config_dir;     /* where known hosts live */
    const SkyIdentity *id;      /* borrowed */
    const char *host;           /* as the user typed it: known name, address[:port] */
    int64_t timeout_ms;         /* per request */
    const atomic_bool *cancel;  /* optional */
} SkyHostClientCfg;

typedef struct SkyHostClient SkyHostClient;

/* Finds the host and reads its server info (over HTTPS too when it is paired). Errors have a
 * one-line reason in err; SKY_ERR(EKEYREJECTED) means the host's certificate is not the pinned
 * one (an impostor, or a reinstalled host: `skylight unpair` then pair again). */
int sky_host_client_open(SkyHostClient **out, const SkyHostClientCfg *cfg, char *err,
                         size_t errlen);
void sky_host_client_destroy(SkyHostClient **hc);
/* The per-request timeout from now on (a host's own settings may change it once found). */
void sky_host_client_set_timeout(SkyHostClient *hc, int64_t timeout_ms);

/* What the host said about itself (the HTTPS answer when paired). */
const SkyServerInfo *sky_host_client_info(const SkyHostClient *hc);
/* The known-host record (NULL if this host was never paired here). */
const SkyKnownHost *sky_host_client_known(const SkyHostClient *hc);
/* Paired here, with the host agreeing (it answered HTTPS with the pinned certificate). */
bool sky_host_client_paired(const SkyHostClient *hc);
/* The address in use, as "host:port" (IPv6 in brackets). */
const char *sky_host_client_address(const SkyHostClient *hc);
/* The same, parsed. */
const SkyHostAddr *sky_host_client_addr(const SkyHostClient *hc);

/* Optional: called once the PIN is chosen, before the host is asked (to show it). */
typedef void (*SkyPinShowFn)(void *opaque, const char *pin);

/* The PIN exchange. pin NULL picks a random one. Saves the pinned certificate when (and only
 * when) the host confirms. Errors: SKY_ERR(EACCES) wrong PIN, SKY_ERR(EBUSY) the host refused
 * to start (another device pairing), SKY_ERR(EBADMSG) the host's replies did not verify,
 * SKY_ERR(ECANCELED), SKY_ERR(ETIMEDOUT) nobody entered the PIN in time, others from HTTP. */
int sky_host_client_pair(SkyHostClient *hc, const char *pin, int64_t pin_timeout_ms,
                         SkyPinShowFn show, void *opaque, char *err, size_t errlen);
/* Forgets the host here (and tells it, best effort). */
int sky_host_client_unpair(SkyHostClient *hc, char *err, size_t errlen);

int sky_host_client_applist(SkyHostClient *hc, SkyAppList *out, char *err, size_t errlen);
/* /launch, or /resume when resume is true. */
int sky_host_client_launch(SkyHostClient *hc, const SkyLaunchParams *p, bool resume,
                           SkySessionUrl *url, char *err, size_t errlen);
/* /cancel: ends the running app. */
int sky_host_client_quit(SkyHostClient *hc, char *err, size_t errlen);
/* /appasset: the app's box art as the host sends it (Sunshine: a PNG, its default image when
 * the app has none), unchecked, at most max_bytes. On success resp is the caller's (free it
 * with sky_http_response_free); on failure it is empty and err says why: SKY_ERR(EACCES) not
 * paired, SKY_ERR(E2BIG) over max_bytes, SKY_ERR(EPROTO) an HTTP status other than 200 (in
 * resp->status), the others of sky_http_get. */
int sky_host_client_appasset(SkyHostClient *hc, uint32_t appid, size_t max_bytes,
                             SkyHttpResponse *resp, char *err, size_t errlen);

#endif
