/* Crypto wrappers: AES-GCM and AES-CBC against published test vectors, tampering, reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/hex.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    assert_int_equal(sky_hex_decode(s, strlen(s), out, cap, &n), 0);
    return n;
}

/* The GCM specification's test case 3 (96-bit IV, no additional data). */
static void test_gcm_vector(void **state)
{
    (void)state;
    uint8_t key[16], iv[12], pt[64], ct[64], tag[16], out[64], got_tag[16];
    unhex("feffe9928665731c6d6a8f9467308308", key, 16);
    unhex("cafebabefacedbaddecaf888", iv, 12);
    size_t n = unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
                     pt, sizeof(pt));
    unhex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
          "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
          ct, sizeof(ct));
    unhex("4d5c2af327cd64a62cf35abd2ba6fab4", tag, 16);
    SkyGcm *g = NULL;
    assert_int_equal(sky_gcm_create(&g, key), 0);
    for (int round = 0; round < 2; round++) { /* the context is reused */
        assert_int_equal(sky_gcm_encrypt(g, iv, 12, pt, n, out, got_tag), 0);
        assert_memory_equal(out, ct, n);
        assert_memory_equal(got_tag, tag, 16);
        assert_int_equal(sky_gcm_decrypt(g, iv, 12, ct, n, tag, out), 0);
        assert_memory_equal(out, pt, n);
    }
    /* In place. */
    memcpy(out, pt, n);
    assert_int_equal(sky_gcm_encrypt(g, iv, 12, out, n, out, got_tag), 0);
    assert_memory_equal(out, ct, n);
    /* Any change is caught. */
    uint8_t bad[64];
    memcpy(bad, ct, n);
    bad[10] ^= 1;
    assert_int_equal(sky_gcm_decrypt(g, iv, 12, bad, n, tag, out), SKY_ERR(EBADMSG));
    got_tag[0] = tag[0] ^ 0x80;
    assert_int_equal(sky_gcm_decrypt(g, iv, 12, ct, n, got_tag, out), SKY_ERR(EBADMSG));
    iv[0] ^= 1;
    assert_int_equal(sky_gcm_decrypt(g, iv, 12, ct, n, tag, out), SKY_ERR(EBADMSG));
    /* ...and a good message still decrypts after failures. */
    iv[0] ^= 1;
    assert_int_equal(sky_gcm_decrypt(g, iv, 12, ct, n, tag, out), 0);
    assert_memory_equal(out, pt, n);
    /* Empty messages carry only a tag. */
    assert_int_equal(sky_gcm_encrypt(g, iv, 12, pt, 0, out, got_tag), 0);
    assert_int_equal(sky_gcm_decrypt(g, iv, 12, pt, 0, got_tag, out), 0);
    /* 16-byte IVs (GFE's control stream) work too. */
    uint8_t iv16[16] = {7};
    assert_int_equal(sky_gcm_encrypt(g, iv16, 16, pt, n, out, got_tag), 0);
    assert_int_equal(sky_gcm_decrypt(g, iv16, 16, out, n, got_tag, bad), 0);
    assert_memory_equal(bad, pt, n);
    assert_int_equal(sky_gcm_encrypt(g, iv16, 8, pt, n, out, got_tag), SKY_ERR(EINVAL));
    sky_gcm_destroy(&g);
    assert_null(g);
    sky_gcm_destroy(&g);
}

/* NIST SP 800-38A F.2.1 (CBC-AES128), with PKCS#7 padding on top. */
static void test_cbc_vector(void **state)
{
    (void)state;
    uint8_t key[16], iv[16], pt[16], ct[16], out[64], back[64];
    unhex("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
    unhex("000102030405060708090a0b0c0d0e0f", iv, 16);
    unhex("6bc1bee22e409f96e93d7e117393172a", pt, 16);
    unhex("7649abac8119b246cee98e9b12e9197d", ct, 16);
    SkyCbc *c = NULL;
    size_t n, m;
    assert_int_equal(sky_cbc_create(&c, key), 0);
    assert_int_equal(sky_cbc_encrypt(c, iv, pt, 16, out, sizeof(out), &n), 0);
    assert_int_equal(n, 32); /* a whole block of padding follows */
    assert_memory_equal(out, ct, 16);
    assert_int_equal(sky_cbc_decrypt(c, iv, out, n, back, sizeof(back), &m), 0);
    assert_int_equal(m, 16);
    assert_memory_equal(back, pt, 16);
    /* Every length round-trips; the output is the next multiple of 16. */
    for (size_t len = 0; len < 40; len++) {
        assert_int_equal(sky_cbc_encrypt(c, iv, (const uint8_t *)"0123456789abcdefghijklmnopqrstuvwxyz0123", len,
                                         out, sizeof(out), &n),
                         0);
        assert_int_equal(n, (len / 16 + 1) * 16);
        assert_int_equal(sky_cbc_decrypt(c, iv, out, n, back, sizeof(back), &m), 0);
        assert_int_equal(m, len);
    }
    assert_int_equal(sky_cbc_encrypt(c, iv, pt, 16, out, 31, &n), SKY_ERR(E2BIG));
    assert_int_equal(sky_cbc_decrypt(c, iv, out, 15, back, sizeof(back), &m), SKY_ERR(EBADMSG));
    assert_int_equal(sky_cbc_decrypt(c, iv, out, 0, back, sizeof(back), &m), SKY_ERR(EBADMSG));
    /* Bad padding (a random last block) is refused. */
    memset(out, 0x5a, 32);
    int bad = 0;
    for (int i = 0; i < 32; i++) {
        out[31] = (uint8_t)i;
        if (sky_cbc_decrypt(c, iv, out, 32, back, sizeof(back), &m) < 0)
            bad++;
    }
    assert_true(bad > 24);
    sky_cbc_destroy(&c);
}

static void test_misc(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    assert_int_equal(sky_random_bytes(a, sizeof(a)), 0);
    assert_int_equal(sky_random_bytes(b, sizeof(b)), 0);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_true(sky_ct_equal(a, a, sizeof(a)));
    assert_false(sky_ct_equal(a, b, sizeof(a)));
    sky_wipe(a, sizeof(a));
    memset(b, 0, sizeof(b));
    assert_memory_equal(a, b, sizeof(a));
    uint8_t h[32], want[32];
    sky_sha256("abc", 3, h);
    unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
    assert_memory_equal(h, want, 32);
    sky_sha1("abc", 3, h);
    unhex("a9993e364706816aba3e25717850c26c9cd0d89d", want, 20);
    assert_memory_equal(h, want, 20);
    uint8_t key[16] = {1}, blk[32] = {2}, enc[32], dec[32];
    assert_int_equal(sky_aes128_ecb(key, true, blk, 32, enc), 0);
    assert_int_equal(sky_aes128_ecb(key, false, enc, 32, dec), 0);
    assert_memory_equal(dec, blk, 32);
    assert_int_equal(sky_aes128_ecb(key, true, blk, 20, enc), SKY_ERR(EINVAL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gcm_vector),
        cmocka_unit_test(test_cbc_vector),
        cmocka_unit_test(test_misc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
