/* The host side of GameStream PIN pairing (the test host): the host's steps of the exchange
 * described in common/proto/pairing.h, on the AES key and hash both sides share there. No I/O and
 * no randomness of its own (the server secret and challenge are passed in), so a recorded
 * exchange replays bit for bit. The client never links it. */
#ifndef SKY_TESTHOST_PROTO_PAIRING_HOST_H
#define SKY_TESTHOST_PROTO_PAIRING_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "common/core/crypto.h"
#include "common/proto/pairing.h"

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
