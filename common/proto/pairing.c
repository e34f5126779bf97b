/* GameStream PIN pairing: the hash both sides use and the client side (pairing.h). */
#include "common/proto/pairing.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"

SkyPairHash sky_pair_hash_for(int server_major)
{
    SkyPairHash h = {server_major >= 7, server_major >= 7 ? SKY_SHA256_LEN : SKY_SHA1_LEN};
    return h;
}

int sky_pair_hash3(SkyPairHash h, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                   const uint8_t *c, size_t clen, uint8_t *out)
{
    uint8_t buf[SKY_PAIR_HASH3_MAX_IN];
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
    if (sky_pair_hash_for(server_major).sha256)
        sky_sha256(buf, sizeof(buf), hash);
    else
        sky_sha1(buf, sizeof(buf), hash);
    memcpy(key, hash, 16);
    sky_wipe(buf, sizeof(buf));
    sky_wipe(hash, sizeof(hash));
}

/* ---- Client side ---- */

struct SkyPairClient {
    SkyPairHash h;
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
    pc->h = sky_pair_hash_for(cfg->server_major);
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
    ret = sky_pair_hash3(pc->h, server_challenge, SKY_PAIR_CHALLENGE_LEN, sig, sig_len,
                         client_secret, SKY_PAIR_SECRET_LEN, hash);
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
    if (len <= SKY_PAIR_SECRET_LEN || len > SKY_PAIR_SECRET_LEN + SKY_PAIR_MAX_SIGNATURE)
        return SKY_ERR(EBADMSG);
    int ret = sky_cert_verify_sha256(pc->host_cert, secret, SKY_PAIR_SECRET_LEN,
                                     secret + SKY_PAIR_SECRET_LEN, len - SKY_PAIR_SECRET_LEN);
    if (ret < 0)
        return SKY_ERR(EBADMSG);
    const uint8_t *sig;
    size_t sig_len;
    sky_cert_signature(pc->host_cert, &sig, &sig_len);
    ret = sky_pair_hash3(pc->h, pc->client_challenge, SKY_PAIR_CHALLENGE_LEN, sig, sig_len,
                         secret, SKY_PAIR_SECRET_LEN, expect);
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
