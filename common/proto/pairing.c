#include "common/proto/pairing.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"

/* Largest certificate signature we accept (RSA-4096). */
#define MAX_SIG 512

typedef struct Hasher {
    bool sha256;
    size_t len;
} Hasher;

static Hasher hasher_for(int server_major)
{
    Hasher h = {server_major >= 7, server_major >= 7 ? SKY_SHA256_LEN : SKY_SHA1_LEN};
    return h;
}

/* HASH(a || b || c) into out (h.len bytes). */
static int hash3(Hasher h, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                 const uint8_t *c, size_t clen, uint8_t *out)
{
    uint8_t buf[SKY_PAIR_CHALLENGE_LEN + MAX_SIG + SKY_PAIR_SECRET_LEN];
    if (alen + blen + clen > sizeof(buf))
        return SKY_ERR(E2BIG);
    memcpy(buf, a, alen);
    memcpy(buf + alen, b, blen);
    memcpy(buf + alen + blen, c, clen);
    if (h.sha256)
        sky_sha256(buf, alen + blen + clen, out);
    else
        sky_sha1(buf, alen + blen + clen, out);
    return 0;
}

int sky_pair_pin_valid(const char *pin)
{
    if (!pin || strlen(pin) != 4)
        return SKY_ERR(EINVAL);
    for (int i = 0; i < 4; i++)
        if (pin[i] < '0' || pin[i] > '9')
            return SKY_ERR(EINVAL);
    return 0;
}

void sky_pair_aes_key(const uint8_t salt[SKY_PAIR_SALT_LEN], const char pin[4], int server_major,
                      uint8_t key[16])
{
    uint8_t buf[SKY_PAIR_SALT_LEN + 4], hash[SKY_SHA256_LEN];
    memcpy(buf, salt, SKY_PAIR_SALT_LEN);
    memcpy(buf + SKY_PAIR_SALT_LEN, pin, 4);
    if (hasher_for(server_major).sha256)
        sky_sha256(buf, sizeof(buf), hash);
    else
        sky_sha1(buf, sizeof(buf), hash);
    memcpy(key, hash, 16);
    sky_wipe(buf, sizeof(buf));
    sky_wipe(hash, sizeof(hash));
}

/* ---- Client side ---- */

struct SkyPairClient {
    Hasher h;
    uint8_t aes_key[16];
    const SkyCert *client_cert;
    const SkyKey *client_key;
    SkyCert *host_cert;
    uint8_t client_challenge[SKY_PAIR_CHALLENGE_LEN];
    uint8_t client_secret[SKY_PAIR_SECRET_LEN];
    uint8_t host_hash[SKY_SHA256_LEN]; /* from the challenge response */
    int step;                          /* last completed step, 0..4 */
};

int sky_pair_client_create(SkyPairClient **out, const SkyPairClientCfg *cfg)
{
    *out = NULL;
    if (sky_pair_pin_valid(cfg->pin) < 0 || !cfg->salt || !cfg->client_cert || !cfg->client_key)
        return SKY_ERR(EINVAL);
    SkyPairClient *pc = calloc(1, sizeof(*pc));
    if (!pc)
        return SKY_ERR(ENOMEM);
    pc->h = hasher_for(cfg->server_major);
    pc->client_cert = cfg->client_cert;
    pc->client_key = cfg->client_key;
    sky_pair_aes_key(cfg->salt, cfg->pin, cfg->server_major, pc->aes_key);
    *out = pc;
    return 0;
}

void sky_pair_client_destroy(SkyPairClient **ppc)
{
    SkyPairClient *pc = *ppc;
    if (!pc)
        return;
    sky_cert_destroy(&pc->host_cert);
    sky_wipe(pc, sizeof(*pc));
    free(pc);
    *ppc = NULL;
}

int sky_pair_client_set_host_cert(SkyPairClient *pc, const char *pem, size_t len)
{
    if (pc->step != 0)
        return SKY_ERR(EINVAL);
    int ret = sky_cert_from_pem(&pc->host_cert, pem, len);
    if (ret < 0)
        return ret;
    pc->step = 1;
    return 0;
}

const SkyCert *sky_pair_client_host_cert(const SkyPairClient *pc)
{
    return pc->host_cert;
}

int sky_pair_client_challenge(SkyPairClient *pc, const uint8_t challenge[SKY_PAIR_CHALLENGE_LEN],
                              uint8_t out[SKY_PAIR_CHALLENGE_LEN])
{
    if (pc->step != 1)
        return SKY_ERR(EINVAL);
    memcpy(pc->client_challenge, challenge, SKY_PAIR_CHALLENGE_LEN);
    int ret = sky_aes128_ecb(pc->aes_key, true, challenge, SKY_PAIR_CHALLENGE_LEN, out);
    if (ret == 0)
        pc->step = 2;
    return ret;
}

int sky_pair_client_respond(SkyPairClient *pc, const uint8_t *resp, size_t resp_len,
                            const uint8_t client_secret[SKY_PAIR_SECRET_LEN],
                            uint8_t out[SKY_PAIR_HASH_FIELD_LEN])
{
    uint8_t plain[64], hash[SKY_PAIR_HASH_FIELD_LEN] = {0};
    if (pc->step != 2)
        return SKY_ERR(EINVAL);
    if (resp_len % SKY_AES_BLOCK || resp_len < pc->h.len + SKY_PAIR_CHALLENGE_LEN ||
        resp_len > sizeof(plain))
        return SKY_ERR(EBADMSG);
    int ret = sky_aes128_ecb(pc->aes_key, false, resp, resp_len, plain);
    if (ret < 0)
        return ret;
    memcpy(pc->host_hash, plain, pc->h.len);
    const uint8_t *server_challenge = plain + pc->h.len;
    const uint8_t *sig;
    size_t sig_len;
    sky_cert_signature(pc->client_cert, &sig, &sig_len);
    memcpy(pc->client_secret, client_secret, SKY_PAIR_SECRET_LEN);
    ret = hash3(pc->h, server_challenge, SKY_PAIR_CHALLENGE_LEN, sig, sig_len, client_secret,
                SKY_PAIR_SECRET_LEN, hash);
    if (ret == 0)
        ret = sky_aes128_ecb(pc->aes_key, true, hash, sizeof(hash), out);
    sky_wipe(plain, sizeof(plain));
    if (ret == 0)
        pc->step = 3;
    return ret;
}

int sky_pair_client_check_host_secret(SkyPairClient *pc, const uint8_t *secret, size_t len)
{
    uint8_t expect[SKY_SHA256_LEN];
    if (pc->step != 3)
        return SKY_ERR(EINVAL);
    if (len <= SKY_PAIR_SECRET_LEN || len > SKY_PAIR_SECRET_LEN + MAX_SIG)
        return SKY_ERR(EBADMSG);
    int ret = sky_cert_verify_sha256(pc->host_cert, secret, SKY_PAIR_SECRET_LEN,
                                     secret + SKY_PAIR_SECRET_LEN, len - SKY_PAIR_SECRET_LEN);
    if (ret < 0)
        return SKY_ERR(EBADMSG);
    const uint8_t *sig;
    size_t sig_len;
    sky_cert_signature(pc->host_cert, &sig, &sig_len);
    ret = hash3(pc->h, pc->client_challenge, SKY_PAIR_CHALLENGE_LEN, sig, sig_len, secret,
                SKY_PAIR_SECRET_LEN, expect);
    if (ret < 0)
        return SKY_ERR(EBADMSG);
    if (!sky_ct_equal(expect, pc->host_hash, pc->h.len))
        return SKY_ERR(EACCES);
    pc->step = 4;
    return 0;
}

int sky_pair_client_signed_secret(SkyPairClient *pc, uint8_t *out, size_t cap, size_t *len)
{
    size_t sig_len = 0;
    *len = 0;
    if (pc->step != 4)
        return SKY_ERR(EINVAL);
    if (cap < SKY_PAIR_SECRET_LEN)
        return SKY_ERR(E2BIG);
    memcpy(out, pc->client_secret, SKY_PAIR_SECRET_LEN);
    int ret = sky_key_sign_sha256(pc->client_key, pc->client_secret, SKY_PAIR_SECRET_LEN,
                                  out + SKY_PAIR_SECRET_LEN, cap - SKY_PAIR_SECRET_LEN, &sig_len);
    if (ret < 0)
        return ret;
    *len = SKY_PAIR_SECRET_LEN + sig_len;
    return 0;
}

/* ---- Host side ---- */

struct SkyPairHost {
    Hasher h;
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
    ph->h = hasher_for(cfg->server_major);
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
    ret = hash3(ph->h, challenge, sizeof(challenge), sig, sig_len, server_secret,
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
    if (len <= SKY_PAIR_SECRET_LEN || len > SKY_PAIR_SECRET_LEN + MAX_SIG)
        return SKY_ERR(EACCES);
    const uint8_t *sig;
    size_t sig_len;
    sky_cert_signature(ph->client_cert, &sig, &sig_len);
    if (hash3(ph->h, ph->server_challenge, SKY_PAIR_CHALLENGE_LEN, sig, sig_len, data,
              SKY_PAIR_SECRET_LEN, expect) < 0)
        return SKY_ERR(EACCES);
    bool same = sky_ct_equal(expect, ph->client_hash, ph->h.len);
    bool signed_ok = sky_cert_verify_sha256(ph->client_cert, data, SKY_PAIR_SECRET_LEN,
                                            data + SKY_PAIR_SECRET_LEN,
                                            len - SKY_PAIR_SECRET_LEN) == 0;
    return same && signed_ok ? 0 : SKY_ERR(EACCES);
}
