/* Crypto wrappers over OpenSSL: hashes, AES, RSA signatures, X.509 certificates and the
 * client identity GameStream expects. OpenSSL errors are logged here, at the module edge, and
 * returned as negative errnos. */
#ifndef SKY_COMMON_CRYPTO_H
#define SKY_COMMON_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SKY_SHA256_LEN 32
#define SKY_SHA1_LEN 20
#define SKY_AES_BLOCK 16

/* Fills out with cryptographically strong random bytes. Returns 0 or SKY_ERR(EIO). */
int sky_random_bytes(uint8_t *out, size_t n);

/* Compares in constant time. */
bool sky_ct_equal(const void *a, const void *b, size_t len);
/* Overwrites secrets so the compiler cannot skip it. */
void sky_wipe(void *p, size_t len);

void sky_sha256(const void *data, size_t len, uint8_t out[SKY_SHA256_LEN]);
void sky_sha1(const void *data, size_t len, uint8_t out[SKY_SHA1_LEN]);

/* AES-128-ECB without padding; len must be a multiple of 16 (else SKY_ERR(EINVAL)).
 * in and out may be the same buffer. */
int sky_aes128_ecb(const uint8_t key[16], bool encrypt, const uint8_t *in, size_t len,
                   uint8_t *out);

/* AES-128-GCM with one key for many messages: the context is made once, each call only sets
 * the IV (no allocation per packet). Tags are 16 bytes; there is no additional data. */
typedef struct SkyGcm SkyGcm;

int sky_gcm_create(SkyGcm **out, const uint8_t key[16]);
void sky_gcm_destroy(SkyGcm **g);
/* iv_len is 12 (or 16 for GFE's legacy control IV). in and out may be the same buffer. */
int sky_gcm_encrypt(SkyGcm *g, const uint8_t *iv, size_t iv_len, const uint8_t *in, size_t len,
                    uint8_t *out, uint8_t tag[16]);
/* Returns 0, or SKY_ERR(EBADMSG) when the tag does not match (out is then garbage). */
int sky_gcm_decrypt(SkyGcm *g, const uint8_t *iv, size_t iv_len, const uint8_t *in, size_t len,
                    const uint8_t tag[16], uint8_t *out);

/* AES-128-CBC with PKCS#7 padding (GameStream audio), one key for many messages. */
typedef struct SkyCbc SkyCbc;

int sky_cbc_create(SkyCbc **out, const uint8_t key[16]);
void sky_cbc_destroy(SkyCbc **c);
/* out needs len + 16 bytes; *out_len gets the padded length. */
int sky_cbc_encrypt(SkyCbc *c, const uint8_t iv[16], const uint8_t *in, size_t len, uint8_t *out,
                    size_t cap, size_t *out_len);
/* SKY_ERR(EBADMSG) for a length that is not a whole number of blocks or bad padding. */
int sky_cbc_decrypt(SkyCbc *c, const uint8_t iv[16], const uint8_t *in, size_t len, uint8_t *out,
                    size_t cap, size_t *out_len);

/* An X.509 certificate. */
typedef struct SkyCert SkyCert;

/* Parses one PEM certificate. SKY_ERR(EBADMSG) if it is not one. */
int sky_cert_from_pem(SkyCert **out, const char *pem, size_t len);
void sky_cert_destroy(SkyCert **c);
/* The raw signature value at the end of the certificate; the pointer lives as long as c. */
void sky_cert_signature(const SkyCert *c, const uint8_t **sig, size_t *len);
/* SHA-256 of the DER encoding: the fingerprint users compare. */
void sky_cert_fingerprint(const SkyCert *c, uint8_t out[SKY_SHA256_LEN]);
/* Same as above as "AB:CD:..." (96 bytes with the NUL). */
void sky_cert_fingerprint_text(const SkyCert *c, char out[96]);
/* libcurl's public-key pin of the certificate: "sha256//" + base64(SHA-256(SubjectPublicKeyInfo)).
 * Returns 0 or SKY_ERR(E2BIG) if cap is too small (100 bytes are enough). */
int sky_cert_pubkey_pin(const SkyCert *c, char *out, size_t cap);
bool sky_cert_equal(const SkyCert *a, const SkyCert *b);
/* Verifies an RSA PKCS#1 v1.5 SHA-256 signature made by the certificate's key.
 * Returns 0 if it is valid, SKY_ERR(EBADMSG) if not. */
int sky_cert_verify_sha256(const SkyCert *c, const uint8_t *data, size_t len, const uint8_t *sig,
                           size_t sig_len);

/* A private key. */
typedef struct SkyKey SkyKey;

int sky_key_from_pem(SkyKey **out, const char *pem, size_t len);
void sky_key_destroy(SkyKey **k);
/* RSA PKCS#1 v1.5 SHA-256 signature. Returns 0 with *sig_len set, SKY_ERR(E2BIG) if cap is too
 * small (512 bytes fit RSA-4096). */
int sky_key_sign_sha256(const SkyKey *k, const uint8_t *data, size_t len, uint8_t *sig,
                        size_t cap, size_t *sig_len);
/* True if the key is the private half of the certificate's public key. */
bool sky_key_matches_cert(const SkyKey *k, const SkyCert *c);

/* Creates a self-signed RSA-2048 certificate (SHA-256, serial 0, the given common name, valid
 * from now for `years`) and its key, as GameStream clients and hosts use. On success *cert_pem
 * and *key_pem (PKCS#8) are NUL-terminated strings the caller frees with free(). */
int sky_identity_generate(const char *common_name, int years, char **cert_pem, char **key_pem);

#endif
