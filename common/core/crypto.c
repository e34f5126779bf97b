/* OpenSSL wrappers: hashes, AES, RSA signatures, certificates, keys; errors logged here (crypto.h). */
#include "common/core/crypto.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "crypto"

struct SkyCert {
    X509 *x509;
};

struct SkyKey {
    EVP_PKEY *pkey;
};

/* Logs OpenSSL's queued errors under `what` and clears the queue. */
static void log_ssl(const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown error";
    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    SKY_LOGV(TAG, "%s: %s", what, buf);
    ERR_clear_error();
}

int sky_random_bytes(uint8_t *out, size_t n)
{
    if (n > INT32_MAX || RAND_bytes(out, (int)n) != 1) {
        log_ssl("RAND_bytes");
        return SKY_ERR(EIO);
    }
    return 0;
}

bool sky_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

void sky_wipe(void *p, size_t len)
{
    OPENSSL_cleanse(p, len);
}

void sky_sha256(const void *data, size_t len, uint8_t out[SKY_SHA256_LEN])
{
    unsigned int n = 0;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void sky_sha1(const void *data, size_t len, uint8_t out[SKY_SHA1_LEN])
{
    unsigned int n = 0;
    EVP_Digest(data, len, out, &n, EVP_sha1(), NULL);
}

int sky_aes128_ecb(const uint8_t key[16], bool encrypt, const uint8_t *in, size_t len,
                   uint8_t *out)
{
    if (len % SKY_AES_BLOCK || len > INT32_MAX)
        return SKY_ERR(EINVAL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ret = SKY_ERR(EIO);
    if (!ctx)
        return SKY_ERR(ENOMEM);
    if (EVP_CipherInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL, encrypt ? 1 : 0) == 1 &&
        EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
        EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 && (size_t)n == len)
        ret = 0;
    else
        log_ssl("AES-128-ECB");
    EVP_CIPHER_CTX_free(ctx);
    return ret;
}

struct SkyGcm {
    EVP_CIPHER_CTX *enc;
    EVP_CIPHER_CTX *dec;
};

int sky_gcm_create(SkyGcm **out, const uint8_t key[16])
{
    *out = NULL;
    SkyGcm *g = calloc(1, sizeof(*g));
    if (!g)
        return SKY_ERR(ENOMEM);
    g->enc = EVP_CIPHER_CTX_new();
    g->dec = EVP_CIPHER_CTX_new();
    if (!g->enc || !g->dec ||
        EVP_EncryptInit_ex(g->enc, EVP_aes_128_gcm(), NULL, key, NULL) != 1 ||
        EVP_DecryptInit_ex(g->dec, EVP_aes_128_gcm(), NULL, key, NULL) != 1) {
        log_ssl("AES-128-GCM");
        sky_gcm_destroy(&g);
        return SKY_ERR(ENOMEM);
    }
    *out = g;
    return 0;
}

void sky_gcm_destroy(SkyGcm **pg)
{
    SkyGcm *g = *pg;
    if (!g)
        return;
    EVP_CIPHER_CTX_free(g->enc);
    EVP_CIPHER_CTX_free(g->dec);
    free(g);
    *pg = NULL;
}

static bool gcm_iv(EVP_CIPHER_CTX *ctx, const uint8_t *iv, size_t iv_len, bool enc)
{
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL) != 1)
        return false;
    return enc ? EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) == 1
               : EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, iv) == 1;
}

int sky_gcm_encrypt(SkyGcm *g, const uint8_t *iv, size_t iv_len, const uint8_t *in, size_t len,
                    uint8_t *out, uint8_t tag[16])
{
    int n = 0, fin = 0;
    if (len > INT32_MAX || (iv_len != 12 && iv_len != 16))
        return SKY_ERR(EINVAL);
    if (!gcm_iv(g->enc, iv, iv_len, true) ||
        (len && EVP_EncryptUpdate(g->enc, out, &n, in, (int)len) != 1) ||
        EVP_EncryptFinal_ex(g->enc, out + n, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(g->enc, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1) {
        log_ssl("AES-GCM encrypt");
        return SKY_ERR(EIO);
    }
    return 0;
}

int sky_gcm_decrypt(SkyGcm *g, const uint8_t *iv, size_t iv_len, const uint8_t *in, size_t len,
                    const uint8_t tag[16], uint8_t *out)
{
    int n = 0, fin = 0;
    if (len > INT32_MAX || (iv_len != 12 && iv_len != 16))
        return SKY_ERR(EINVAL);
    if (!gcm_iv(g->dec, iv, iv_len, false) ||
        (len && EVP_DecryptUpdate(g->dec, out, &n, in, (int)len) != 1) ||
        EVP_CIPHER_CTX_ctrl(g->dec, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) != 1) {
        ERR_clear_error();
        return SKY_ERR(EBADMSG);
    }
    if (EVP_DecryptFinal_ex(g->dec, out + n, &fin) != 1) {
        ERR_clear_error(); /* the tag did not match: someone else's data, not an error of ours */
        return SKY_ERR(EBADMSG);
    }
    return 0;
}

struct SkyCbc {
    EVP_CIPHER_CTX *enc;
    EVP_CIPHER_CTX *dec;
};

int sky_cbc_create(SkyCbc **out, const uint8_t key[16])
{
    *out = NULL;
    SkyCbc *c = calloc(1, sizeof(*c));
    if (!c)
        return SKY_ERR(ENOMEM);
    c->enc = EVP_CIPHER_CTX_new();
    c->dec = EVP_CIPHER_CTX_new();
    if (!c->enc || !c->dec ||
        EVP_EncryptInit_ex(c->enc, EVP_aes_128_cbc(), NULL, key, NULL) != 1 ||
        EVP_DecryptInit_ex(c->dec, EVP_aes_128_cbc(), NULL, key, NULL) != 1) {
        log_ssl("AES-128-CBC");
        sky_cbc_destroy(&c);
        return SKY_ERR(ENOMEM);
    }
    *out = c;
    return 0;
}

void sky_cbc_destroy(SkyCbc **pc)
{
    SkyCbc *c = *pc;
    if (!c)
        return;
    EVP_CIPHER_CTX_free(c->enc);
    EVP_CIPHER_CTX_free(c->dec);
    free(c);
    *pc = NULL;
}

int sky_cbc_encrypt(SkyCbc *c, const uint8_t iv[16], const uint8_t *in, size_t len, uint8_t *out,
                    size_t cap, size_t *out_len)
{
    int n = 0, fin = 0;
    *out_len = 0;
    size_t padded = (len / SKY_AES_BLOCK + 1) * SKY_AES_BLOCK;
    if (len > INT32_MAX || cap < padded)
        return SKY_ERR(E2BIG);
    if (EVP_EncryptInit_ex(c->enc, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(c->enc, out, &n, in, (int)len) != 1 ||
        EVP_EncryptFinal_ex(c->enc, out + n, &fin) != 1) {
        log_ssl("AES-CBC encrypt");
        return SKY_ERR(EIO);
    }
    *out_len = (size_t)(n + fin);
    return 0;
}

int sky_cbc_decrypt(SkyCbc *c, const uint8_t iv[16], const uint8_t *in, size_t len, uint8_t *out,
                    size_t cap, size_t *out_len)
{
    int n = 0, fin = 0;
    *out_len = 0;
    if (len == 0 || len % SKY_AES_BLOCK || len > INT32_MAX)
        return SKY_ERR(EBADMSG);
    if (cap < len)
        return SKY_ERR(E2BIG);
    if (EVP_DecryptInit_ex(c->dec, NULL, NULL, NULL, iv) != 1 ||
        EVP_DecryptUpdate(c->dec, out, &n, in, (int)len) != 1 ||
        EVP_DecryptFinal_ex(c->dec, out + n, &fin) != 1) {
        ERR_clear_error();
        return SKY_ERR(EBADMSG);
    }
    *out_len = (size_t)(n + fin);
    return 0;
}

int sky_cert_from_pem(SkyCert **out, const char *pem, size_t len)
{
    *out = NULL;
    if (len > INT32_MAX)
        return SKY_ERR(E2BIG);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return SKY_ERR(ENOMEM);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!x) {
        log_ssl("PEM certificate");
        return SKY_ERR(EBADMSG);
    }
    SkyCert *c = malloc(sizeof(*c));
    if (!c) {
        X509_free(x);
        return SKY_ERR(ENOMEM);
    }
    c->x509 = x;
    *out = c;
    return 0;
}

void sky_cert_destroy(SkyCert **pc)
{
    SkyCert *c = *pc;
    if (!c)
        return;
    X509_free(c->x509);
    free(c);
    *pc = NULL;
}

void sky_cert_signature(const SkyCert *c, const uint8_t **sig, size_t *len)
{
    const ASN1_BIT_STRING *bits = NULL;
    X509_get0_signature(&bits, NULL, c->x509);
    *sig = bits ? ASN1_STRING_get0_data(bits) : NULL;
    *len = bits ? (size_t)ASN1_STRING_length(bits) : 0;
}

void sky_cert_fingerprint(const SkyCert *c, uint8_t out[SKY_SHA256_LEN])
{
    unsigned int n = 0;
    X509_digest(c->x509, EVP_sha256(), out, &n);
}

void sky_cert_fingerprint_text(const SkyCert *c, char out[96])
{
    uint8_t fp[SKY_SHA256_LEN];
    static const char digits[] = "0123456789ABCDEF";
    sky_cert_fingerprint(c, fp);
    for (int i = 0; i < SKY_SHA256_LEN; i++) {
        out[3 * i] = digits[fp[i] >> 4];
        out[3 * i + 1] = digits[fp[i] & 15];
        out[3 * i + 2] = i + 1 < SKY_SHA256_LEN ? ':' : '\0';
    }
}

int sky_cert_pubkey_pin(const SkyCert *c, char *out, size_t cap)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(X509_get0_pubkey(c->x509), &der);
    if (n <= 0) {
        log_ssl("public key");
        return SKY_ERR(EBADMSG);
    }
    uint8_t hash[SKY_SHA256_LEN];
    sky_sha256(der, (size_t)n, hash);
    OPENSSL_free(der);
    static const char prefix[] = "sha256//";
    /* base64 of 32 bytes is 44 characters. */
    if (cap < sizeof(prefix) + 44)
        return SKY_ERR(E2BIG);
    memcpy(out, prefix, sizeof(prefix) - 1);
    EVP_EncodeBlock((unsigned char *)out + sizeof(prefix) - 1, hash, SKY_SHA256_LEN);
    return 0;
}

bool sky_cert_equal(const SkyCert *a, const SkyCert *b)
{
    return X509_cmp(a->x509, b->x509) == 0;
}

int sky_cert_verify_sha256(const SkyCert *c, const uint8_t *data, size_t len, const uint8_t *sig,
                           size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        return SKY_ERR(ENOMEM);
    int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(c->x509)) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, data, len) == 1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok ? 0 : SKY_ERR(EBADMSG);
}

int sky_key_from_pem(SkyKey **out, const char *pem, size_t len)
{
    *out = NULL;
    if (len > INT32_MAX)
        return SKY_ERR(E2BIG);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return SKY_ERR(ENOMEM);
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!pkey) {
        log_ssl("PEM private key");
        return SKY_ERR(EBADMSG);
    }
    SkyKey *k = malloc(sizeof(*k));
    if (!k) {
        EVP_PKEY_free(pkey);
        return SKY_ERR(ENOMEM);
    }
    k->pkey = pkey;
    *out = k;
    return 0;
}

void sky_key_destroy(SkyKey **pk)
{
    SkyKey *k = *pk;
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    free(k);
    *pk = NULL;
}

int sky_key_sign_sha256(const SkyKey *k, const uint8_t *data, size_t len, uint8_t *sig,
                        size_t cap, size_t *sig_len)
{
    *sig_len = 0;
    if ((size_t)EVP_PKEY_get_size(k->pkey) > cap)
        return SKY_ERR(E2BIG);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        return SKY_ERR(ENOMEM);
    size_t n = cap;
    int ret = 0;
    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
        EVP_DigestSign(md, sig, &n, data, len) != 1) {
        log_ssl("RSA-SHA256 signature");
        ret = SKY_ERR(EIO);
    } else {
        *sig_len = n;
    }
    EVP_MD_CTX_free(md);
    return ret;
}

bool sky_key_matches_cert(const SkyKey *k, const SkyCert *c)
{
    bool ok = X509_check_private_key(c->x509, k->pkey) == 1;
    ERR_clear_error();
    return ok;
}

/* PEM text of what `write` writes into a memory BIO, as a malloc'd string. */
static char *bio_string(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s) {
        memcpy(s, data, (size_t)n);
        s[n] = '\0';
    }
    return s;
}

int sky_identity_generate(const char *common_name, int years, char **cert_pem, char **key_pem)
{
    *cert_pem = NULL;
    *key_pem = NULL;
    int ret = SKY_ERR(EIO);
    EVP_PKEY *pkey = EVP_RSA_gen(2048);
    X509 *x = X509_new();
    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    if (!pkey || !x || !cb || !kb) {
        log_ssl("key generation");
        goto cleanup;
    }
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), (long)years * 365 * 24 * 3600);
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name,
                                   -1, -1, 0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, pkey) != 1 ||
        X509_sign(x, pkey, EVP_sha256()) <= 0 || PEM_write_bio_X509(cb, x) != 1 ||
        PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        log_ssl("certificate generation");
        goto cleanup;
    }
    *cert_pem = bio_string(cb);
    *key_pem = bio_string(kb);
    if (!*cert_pem || !*key_pem) {
        free(*cert_pem);
        free(*key_pem);
        *cert_pem = *key_pem = NULL;
        ret = SKY_ERR(ENOMEM);
        goto cleanup;
    }
    ret = 0;
cleanup:
    BIO_free(cb);
    BIO_free(kb);
    X509_free(x);
    EVP_PKEY_free(pkey);
    return ret;
}
