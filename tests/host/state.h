/* The test host's identity and paired clients, kept in --state-dir:
 *   cert.pem, key.pem   self-signed RSA-2048 "Sunshine Gamestream Host", made on first start
 *   uniqueid            "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" (upper-case hex), made on first start
 *   clients/<sha256 of the DER, hex>.pem   one file per paired client certificate
 * Every file is written atomically (temporary file, fsync, rename, fsync of the directory). */
#ifndef SKY_TESTHOST_STATE_H
#define SKY_TESTHOST_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/crypto.h"

typedef struct SkyThState SkyThState;

/* Opens (creating what is missing) the state in dir. cert_file/key_file, if both non-empty,
 * replace the identity in dir for this run (nothing is written over them). On failure the reason
 * is logged. */
int sky_th_state_open(SkyThState **out, const char *dir, const char *cert_file,
                      const char *key_file);
void sky_th_state_close(SkyThState **s);

/* The identity: read-only after open, valid as long as s. */
const char *sky_th_state_uniqueid(const SkyThState *s);
/* The certificate PEM exactly as stored (what pairing sends as plaincert), NUL-terminated. */
const char *sky_th_state_cert_pem(const SkyThState *s, size_t *len);
const char *sky_th_state_key_pem(const SkyThState *s, size_t *len);
const SkyCert *sky_th_state_cert(const SkyThState *s);
const SkyKey *sky_th_state_key(const SkyThState *s);

/* ---- Paired clients: the caller serialises these (the host lock). ---- */

/* True if the certificate (DER) is one of the paired clients'. */
bool sky_th_state_is_paired(const SkyThState *s, const uint8_t *der, size_t len);
size_t sky_th_state_n_paired(const SkyThState *s);
/* Pairs the client whose certificate is pem and writes it to disk. Pairing a certificate
 * twice is not an error. fingerprint (65 bytes) gets the SHA-256 of the DER in hex.
 * Returns 0, SKY_ERR(EBADMSG) if pem is no certificate, or an I/O error (logged). */
int sky_th_state_add_paired(SkyThState *s, const char *pem, size_t len, char fingerprint[65]);

/* The subject's common name of a PEM or DER certificate (sanitised, "" if none). */
void sky_th_cert_cn_pem(const char *pem, size_t len, char *out, size_t cap);
void sky_th_cert_cn_der(const uint8_t *der, size_t len, char *out, size_t cap);

#endif
