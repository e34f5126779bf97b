/* The host side of GameStream PIN pairing: the pairing sessions (one per client uniqueid) and the
 * /pair endpoint with its phases (getservercert, clientchallenge, serverchallengeresp,
 * clientpairingsecret, pairchallenge). The cryptography is proto/pairing_host.h's.
 *
 * A getservercert request waits for the PIN: at once with --pin, else until a `pin NNNN` line
 * comes on stdin (sky_th_pair_enter_pin), the client hangs up, --pin-timeout passes or the host
 * stops. Only one pairing waits for a PIN at a time; another client's getservercert meanwhile is
 * answered <paired>0</paired> at once. A phase out of order drops the session (Sunshine's
 * fail_pair). All session state is guarded by host->lock. */
#ifndef SKY_TESTHOST_PAIR_H
#define SKY_TESTHOST_PAIR_H

#include "tests/host/endpoints.h"
#include "tests/host/host.h"
#include "tests/host/http.h"

int sky_th_pairings_create(SkyThPairings **out);
/* Frees every session. Call only once no connection thread runs. */
void sky_th_pairings_destroy(SkyThPairings **p);

/* The /pair endpoint (HTTP and HTTPS). Takes host->lock itself; may block (see above). */
void sky_th_pair_handle(SkyThHost *h, const SkyThConnInfo *ci, const SkyThReq *req,
                        SkyThReply *rep);

/* The PIN the user typed: hands it to the pairing that waits for one. Returns 0,
 * SKY_ERR(EINVAL) if pin is not 4 digits, SKY_ERR(ENOENT) if no pairing waits. The uniqueid of
 * the pairing that got it goes into uniqueid (cap bytes). */
int sky_th_pair_enter_pin(SkyThHost *h, const char *pin, char *uniqueid, size_t cap);

#endif
