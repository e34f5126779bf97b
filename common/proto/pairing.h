/* GameStream PIN pairing: the client's cryptography and what both sides share (the AES key, the
 * hash), without any I/O or randomness of its own (random values are passed in), so a recorded
 * exchange can be replayed bit for bit. The host side is the test host's
 * (tests/host/proto/pairing_host.h).
 *
 * The exchange (client -> host, all over plain HTTP /pair, values hex-encoded):
 *   1. getservercert: salt (16 random bytes) and the client certificate; the host answers, once
 *      the user has typed the PIN into it, with its certificate ("plaincert").
 *      Both sides derive aes_key = first 16 bytes of HASH(salt || PIN as 4 ASCII digits).
 *   2. clientchallenge: AES-ECB(client challenge, 16 random bytes). The host answers
 *      AES-ECB(HASH(client challenge || host cert signature || server secret) || server challenge).
 *   3. serverchallengeresp: AES-ECB(HASH(server challenge || client cert signature || client
 *      secret)), zero-padded to 32 bytes. The host answers "pairingsecret": server secret ||
 *      RSA-SHA256 signature of it by the host key.
 *      The client now checks the signature against the host certificate (else: someone in the
 *      middle) and recomputes the host's hash from step 2 (else: the PIN was wrong).
 *   4. clientpairingsecret: client secret || RSA-SHA256 signature of it by the client key. The
 *      host checks both and answers paired=1, or paired=0.
 * HASH is SHA-256 for hosts whose appversion major number is 7 or more, else SHA-1. */
#ifndef SKY_COMMON_PAIRING_H
#define SKY_COMMON_PAIRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/crypto.h"

#define SKY_PAIR_SALT_LEN 16
#define SKY_PAIR_CHALLENGE_LEN 16
#define SKY_PAIR_SECRET_LEN 16
/* Largest certificate signature accepted (RSA-4096), largest encrypted hash field (32 bytes) and
 * largest secret-plus-signature. */
#define SKY_PAIR_MAX_SIGNATURE 512
#define SKY_PAIR_HASH_FIELD_LEN 32
#define SKY_PAIR_MAX_SIGNED_SECRET (SKY_PAIR_SECRET_LEN + SKY_PAIR_MAX_SIGNATURE)

/* Checks that pin is exactly 4 ASCII digits. Returns 0 or SKY_ERR(EINVAL). */
int sky_pair_pin_valid(const char *pin);
/* The AES key both sides derive from salt and PIN. */
void sky_pair_aes_key(const uint8_t salt[SKY_PAIR_SALT_LEN], const char pin[4], int server_major,
                      uint8_t key[16]);

/* HASH for a host of appversion major number server_major: SHA-256 from 7 on, else SHA-1. */
typedef struct SkyPairHash {
    bool sha256; /* else SHA-1 */
    size_t len;  /* SKY_SHA256_LEN or SKY_SHA1_LEN */
} SkyPairHash;

SkyPairHash sky_pair_hash_for(int server_major);
/* HASH(a || b || c) into out (h.len bytes), as both sides hash a challenge, a certificate
 * signature and a secret. Returns 0, or SKY_ERR(E2BIG) (nothing written) when the three are
 * longer than SKY_PAIR_HASH3_MAX_IN bytes. */
#define SKY_PAIR_HASH3_MAX_IN \
    (SKY_PAIR_CHALLENGE_LEN + SKY_PAIR_MAX_SIGNATURE + SKY_PAIR_SECRET_LEN)
int sky_pair_hash3(SkyPairHash h, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                   const uint8_t *c, size_t clen, uint8_t *out);

/* ---- Client side ---- */

typedef struct SkyPairClient SkyPairClient;

typedef struct SkyPairClientCfg {
    const char *pin;                   /* 4 digits */
    const uint8_t *salt;               /* SKY_PAIR_SALT_LEN bytes */
    int server_major;                  /* appversion major number of the host */
    const SkyCert *client_cert;        /* borrowed: must outlive the pairing */
    const SkyKey *client_key;          /* borrowed */
} SkyPairClientCfg;

int sky_pair_client_create(SkyPairClient **out, const SkyPairClientCfg *cfg);
/* Wipes the secrets. Accepts NULL; NULLs the pointer. */
void sky_pair_client_destroy(SkyPairClient **pc);

/* Step 1: the host's certificate as it sent it (PEM). SKY_ERR(EBADMSG) if it is not one. */
int sky_pair_client_set_host_cert(SkyPairClient *pc, const char *pem, size_t len);
/* The host certificate, once set (borrowed; NULL before). */
const SkyCert *sky_pair_client_host_cert(const SkyPairClient *pc);
/* Step 2: encrypts the client challenge (16 random bytes). */
int sky_pair_client_challenge(SkyPairClient *pc, const uint8_t challenge[SKY_PAIR_CHALLENGE_LEN],
                              uint8_t out[SKY_PAIR_CHALLENGE_LEN]);
/* Step 3: takes the host's encrypted challenge response and the client secret (16 random
 * bytes); writes the encrypted hash to send (SKY_PAIR_HASH_FIELD_LEN bytes).
 * SKY_ERR(EBADMSG) if the response has the wrong length. */
int sky_pair_client_respond(SkyPairClient *pc, const uint8_t *resp, size_t resp_len,
                            const uint8_t client_secret[SKY_PAIR_SECRET_LEN],
                            uint8_t out[SKY_PAIR_HASH_FIELD_LEN]);
/* Step 3, checking the host's pairing secret. Returns 0 when it is good; SKY_ERR(EBADMSG) if it
 * is malformed or its signature does not verify against the host certificate (an impostor);
 * SKY_ERR(EACCES) if the host's hash does not match, which means the PIN was wrong. */
int sky_pair_client_check_host_secret(SkyPairClient *pc, const uint8_t *secret, size_t len);
/* Step 4: client secret || signature, into out (cap >= SKY_PAIR_MAX_SIGNED_SECRET). */
int sky_pair_client_signed_secret(SkyPairClient *pc, uint8_t *out, size_t cap, size_t *len);

#endif
