/* The host side of GameStream PIN pairing, for the test host (pairing_host.h). */
#include "tests/host/proto/pairing_host.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"

struct SkyPairHost {
    SkyPairHash h;
    uint8_t aes_key[16];
    const SkyCert *host_cert;
    const SkyKey *host_key;
    const SkyCert *client_cert;
    uint8_t server_secret[SKY_PAIR_SECRET_LEN];
    uint8_t server_challenge[SKY_PAIR_CHALLENGE_LEN];
    uint8_t client_hash[SKY_SHA256_LEN];
    int step;
};

int sky_pair_host_create(SkyPairHost **out, const SkyPairHostCfg *cfg)
{
    *out = NULL;
    if (sky_pair_pin_valid(cfg->pin) < 0 || !cfg->salt || !cfg->host_cert || !cfg->host_key ||
        !cfg->client_cert)
        return SKY_ERR(EINVAL);
    SkyPairHost *ph = calloc(1, sizeof(*ph));
    if (!ph)
        return SKY_ERR(ENOMEM);
    ph->h = sky_pair_hash_for(cfg->server_major);
    ph->host_cert = cfg->host_cert;
    ph->host_key = cfg->host_key;
    ph->client_cert = cfg->client_cert;
    sky_pair_aes_key(cfg->salt, cfg->pin, cfg->server_major, ph->aes_key);
    *out = ph;
    return 0;
}

void sky_pair_host_destroy(SkyPairHost **pph)
{
    SkyPairHost *ph = *pph;
    if (!ph)
        return;
    sky_wipe(ph, sizeof(*ph));
    free(ph);
    *pph = NULL;
}

int sky_pair_host_challenge(SkyPairHost *ph, const uint8_t *enc, size_t enc_len,
                            const uint8_t server_secret[SKY_PAIR_SECRET_LEN],
                            const uint8_t server_challenge[SKY_PAIR_CHALLENGE_LEN], uint8_t *out,
                            size_t cap, size_t *out_len)
{
    uint8_t challenge[SKY_PAIR_CHALLENGE_LEN], plain[48] = {0};
    *out_len = 0;
    if (ph->step != 0)
        return SKY_ERR(EINVAL);
    if (enc_len != SKY_PAIR_CHALLENGE_LEN)
        return SKY_ERR(EBADMSG);
    if (cap < sizeof(plain))
        return SKY_ERR(E2BIG);
    int ret = sky_aes128_ecb(ph->aes_key, false, enc, enc_len, challenge);
    if (ret < 0)
        return ret;
    const uint8_t *sig;
    size_t sig_len;
    sky_cert_signature(ph->host_cert, &sig, &sig_len);
    ret = sky_pair_hash3(ph->h, challenge, sizeof(challenge), sig, sig_len, server_secret,
                         SKY_PAIR_SECRET_LEN, plain);
    if (ret < 0)
        return ret;
    memcpy(plain + ph->h.len, server_challenge, SKY_PAIR_CHALLENGE_LEN);
    ret = sky_aes128_ecb(ph->aes_key, true, plain, sizeof(plain), out);
    if (ret < 0)
        return ret;
    memcpy(ph->server_secret, server_secret, SKY_PAIR_SECRET_LEN);
    memcpy(ph->server_challenge, server_challenge, SKY_PAIR_CHALLENGE_LEN);
    *out_len = sizeof(plain);
    ph->step = 2;
    return 0;
}

int sky_pair_host_secret(SkyPairHost *ph, const uint8_t *enc_hash, size_t enc_len, uint8_t *out,
                         size_t cap, size_t *out_len)
{
    uint8_t plain[SKY_PAIR_HASH_FIELD_LEN];
    size_t sig_len = 0;
    *out_len = 0;
    if (ph->step != 2)
        return SKY_ERR(EINVAL);
    if (enc_len != SKY_PAIR_HASH_FIELD_LEN)
        return SKY_ERR(EBADMSG);
    if (cap < SKY_PAIR_SECRET_LEN)
        return SKY_ERR(E2BIG);
    int ret = sky_aes128_ecb(ph->aes_key, false, enc_hash, enc_len, plain);
    if (ret < 0)
        return ret;
    memcpy(ph->client_hash, plain, ph->h.len);
    memcpy(out, ph->server_secret, SKY_PAIR_SECRET_LEN);
    ret = sky_key_sign_sha256(ph->host_key, ph->server_secret, SKY_PAIR_SECRET_LEN,
                              out + SKY_PAIR_SECRET_LEN, cap - SKY_PAIR_SECRET_LEN, &sig_len);
    if (ret < 0)
        return ret;
    *out_len = SKY_PAIR_SECRET_LEN + sig_len;
    ph->step = 3;
    return 0;
}

int sky_pair_host_check_client_secret(SkyPairHost *ph, const uint8_t *data, size_t len)
{
    uint8_t expect[SKY_SHA256_LEN];
    if (ph->step != 3)
        return SKY_ERR(EINVAL);
    ph->step = 4; /* one try only */
    if (len <= SKY_PAIR_SECRET_LEN || len > SKY_PAIR_SECRET_LEN + SKY_PAIR_MAX_SIGNATURE)
        return SKY_ERR(EACCES);
    const uint8_t *sig;
    size_t sig_len;
    sky_cert_signature(ph->client_cert, &sig, &sig_len);
    if (sky_pair_hash3(ph->h, ph->server_challenge, SKY_PAIR_CHALLENGE_LEN, sig, sig_len, data,
                       SKY_PAIR_SECRET_LEN, expect) < 0)
        return SKY_ERR(EACCES);
    bool same = sky_ct_equal(expect, ph->client_hash, ph->h.len);
    bool signed_ok = sky_cert_verify_sha256(ph->client_cert, data, SKY_PAIR_SECRET_LEN,
                                            data + SKY_PAIR_SECRET_LEN,
                                            len - SKY_PAIR_SECRET_LEN) == 0;
    return same && signed_ok ? 0 : SKY_ERR(EACCES);
}
