/* GameStream PIN pairing: the cryptography of both sides, without any I/O or randomness of its
 * own (random values are passed in), so a recorded exchange can be replayed bit for bit.
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

#include <stddef.h>
#include <stdint.h>

#include "common/core/crypto.h"

#define SKY_PAIR_SALT_LEN 16
#define SKY_PAIR_CHALLENGE_LEN 16
#define SKY_PAIR_SECRET_LEN 16
/* Largest encrypted hash field (32 bytes) and largest secret-plus-signature (RSA-4096). */
#define SKY_PAIR_HASH_FIELD_LEN 32
#define SKY_PAIR_MAX_SIGNED_SECRET (SKY_PAIR_SECRET_LEN + 512)

/* Checks that pin is exactly 4 ASCII digits. Returns 0 or SKY_ERR(EINVAL). */
int sky_pair_pin_valid(const char *pin);
/* The AES key both sides derive from salt and PIN. */
void sky_pair_aes_key(const uint8_t salt[SKY_PAIR_SALT_LEN], const char pin[4], int server_major,
                      uint8_t key[16]);

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

/* ---- Host side (the test host) ---- */

typedef struct SkyPairHost SkyPairHost;

typedef struct SkyPairHostCfg {
    const char *pin;
    const uint8_t *salt;
    int server_major;                  /* what the host announces; decides the hash */
    const SkyCert *host_cert;          /* borrowed */
    const SkyKey *host_key;            /* borrowed */
    const SkyCert *client_cert;        /* borrowed: the one sent with getservercert */
} SkyPairHostCfg;

int sky_pair_host_create(SkyPairHost **out, const SkyPairHostCfg *cfg);
void sky_pair_host_destroy(SkyPairHost **ph);
/* Step 2: decrypts the client challenge and writes the encrypted response (hash || server
 * challenge: 48 bytes for SHA-256, 36 rounded up to 48 for SHA-1) into out (cap >= 48). */
int sky_pair_host_challenge(SkyPairHost *ph, const uint8_t *enc, size_t enc_len,
                            const uint8_t server_secret[SKY_PAIR_SECRET_LEN],
                            const uint8_t server_challenge[SKY_PAIR_CHALLENGE_LEN], uint8_t *out,
                            size_t cap, size_t *out_len);
/* Step 3: stores the client's encrypted hash and writes the host's pairing secret
 * (secret || signature) into out. */
int sky_pair_host_secret(SkyPairHost *ph, const uint8_t *enc_hash, size_t enc_len, uint8_t *out,
                         size_t cap, size_t *out_len);
/* Step 4: 0 when the client's signed secret verifies and its hash matches (pair it);
 * SKY_ERR(EACCES) otherwise (wrong PIN or an impostor). */
int sky_pair_host_check_client_secret(SkyPairHost *ph, const uint8_t *data, size_t len);

#endif
