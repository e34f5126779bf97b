/* Pairing crypto: the real exchange recorded between Sunshine and Moonlight is reproduced bit
 * for bit from its random values, and a full client/host exchange runs with our own keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/hex.h"
#include "common/core/opts.h"
#include "common/proto/pairing.h"
#include "tests/host/proto/pairing_host.h"

#ifndef SKY_TEST_DATA
#error "SKY_TEST_DATA must name tests/data"
#endif

typedef struct Capture {
    char *client_cert_pem, *client_key_pem, *host_cert_pem;
    size_t client_cert_len, client_key_len, host_cert_len;
    char values[16][2][600];
    int n;
} Capture;

static char *read_file(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/captures/%s", SKY_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(65536);
    assert_non_null(buf);
    *len = fread(buf, 1, 65535, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static int on_value(void *opaque, const char *key, const char *value, int line)
{
    Capture *c = opaque;
    (void)line;
    assert_true(c->n < 16);
    snprintf(c->values[c->n][0], sizeof(c->values[0][0]), "%s", key);
    snprintf(c->values[c->n][1], sizeof(c->values[0][1]), "%s", value);
    c->n++;
    return 0;
}

static const char *value(const Capture *c, const char *key)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->values[i][0], key) == 0)
            return c->values[i][1];
    fail_msg("no '%s' in the capture file", key);
    return NULL;
}

/* Decodes a hex value of the capture; returns its length. */
static size_t bytes(const Capture *c, const char *key, uint8_t *out, size_t cap)
{
    size_t n = 0;
    const char *v = value(c, key);
    assert_int_equal(sky_hex_decode(v, strlen(v), out, cap, &n), 0);
    return n;
}

static int setup(void **state)
{
    Capture *c = calloc(1, sizeof(*c));
    size_t len;
    char *conf = read_file("pairing-exchange.conf", &len);
    char err[128];
    assert_int_equal(sky_config_parse(conf, len, on_value, c, err, sizeof(err)), 0);
    free(conf);
    c->client_cert_pem = read_file("client-cert.pem", &c->client_cert_len);
    c->client_key_pem = read_file("client-key.pem", &c->client_key_len);
    c->host_cert_pem = read_file("host-cert.pem", &c->host_cert_len);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    Capture *c = *state;
    free(c->client_cert_pem);
    free(c->client_key_pem);
    free(c->host_cert_pem);
    free(c);
    return 0;
}

static void test_aes_key(void **state)
{
    Capture *c = *state;
    uint8_t salt[16], want[16], key[16];
    assert_int_equal(bytes(c, "salt", salt, sizeof(salt)), 16);
    assert_int_equal(bytes(c, "aes_key", want, sizeof(want)), 16);
    sky_pair_aes_key(salt, value(c, "pin"), 7, key);
    assert_memory_equal(key, want, 16);
}

/* The client side reproduces every value the real client sent, and accepts the real host. */
static void test_replay_client(void **state)
{
    Capture *c = *state;
    SkyCert *cert = NULL;
    SkyKey *key = NULL;
    SkyPairClient *pc = NULL;
    uint8_t salt[16], challenge[16], secret[16], buf[600], want[600], out[600];
    size_t n, wn;
    assert_int_equal(sky_cert_from_pem(&cert, c->client_cert_pem, c->client_cert_len), 0);
    assert_int_equal(sky_key_from_pem(&key, c->client_key_pem, c->client_key_len), 0);
    assert_true(sky_key_matches_cert(key, cert));
    bytes(c, "salt", salt, sizeof(salt));
    SkyPairClientCfg cfg = {value(c, "pin"), salt, 7, cert, key};
    assert_int_equal(sky_pair_client_create(&pc, &cfg), 0);
    assert_int_equal(sky_pair_client_set_host_cert(pc, c->host_cert_pem, c->host_cert_len), 0);

    bytes(c, "client_challenge", challenge, sizeof(challenge));
    assert_int_equal(sky_pair_client_challenge(pc, challenge, out), 0);
    wn = bytes(c, "clientchallenge", want, sizeof(want));
    assert_int_equal(wn, 16);
    assert_memory_equal(out, want, 16);

    n = bytes(c, "challengeresponse", buf, sizeof(buf));
    bytes(c, "client_secret", secret, sizeof(secret));
    assert_int_equal(sky_pair_client_respond(pc, buf, n, secret, out), 0);
    wn = bytes(c, "serverchallengeresp", want, sizeof(want));
    assert_int_equal(wn, SKY_PAIR_HASH_FIELD_LEN);
    assert_memory_equal(out, want, wn);

    n = bytes(c, "pairingsecret", buf, sizeof(buf));
    assert_int_equal(sky_pair_client_check_host_secret(pc, buf, n), 0);

    assert_int_equal(sky_pair_client_signed_secret(pc, out, sizeof(out), &n), 0);
    wn = bytes(c, "clientpairingsecret", want, sizeof(want));
    assert_int_equal(n, wn);
    assert_memory_equal(out, want, wn);

    sky_pair_client_destroy(&pc);
    assert_null(pc);
    sky_key_destroy(&key);
    sky_cert_destroy(&cert);
}

/* Tampering with the host's pairing secret is caught as an impostor, and a wrong PIN as such. */
static void test_replay_client_failures(void **state)
{
    Capture *c = *state;
    SkyCert *cert = NULL;
    SkyKey *key = NULL;
    uint8_t salt[16], challenge[16], secret[16], resp[64], psec[600], out[64];
    sky_cert_from_pem(&cert, c->client_cert_pem, c->client_cert_len);
    sky_key_from_pem(&key, c->client_key_pem, c->client_key_len);
    bytes(c, "salt", salt, sizeof(salt));
    bytes(c, "client_challenge", challenge, sizeof(challenge));
    bytes(c, "client_secret", secret, sizeof(secret));
    size_t rn = bytes(c, "challengeresponse", resp, sizeof(resp));
    size_t pn = bytes(c, "pairingsecret", psec, sizeof(psec));

    for (int round = 0; round < 3; round++) {
        SkyPairClient *pc = NULL;
        SkyPairClientCfg cfg = {round == 0 ? "4688" : value(c, "pin"), salt, 7, cert, key};
        uint8_t p[600];
        memcpy(p, psec, pn);
        if (round == 1)
            p[3] ^= 1; /* the secret no longer matches its signature */
        if (round == 2)
            p[pn - 1] ^= 1; /* a broken signature */
        assert_int_equal(sky_pair_client_create(&pc, &cfg), 0);
        assert_int_equal(sky_pair_client_set_host_cert(pc, c->host_cert_pem, c->host_cert_len), 0);
        assert_int_equal(sky_pair_client_challenge(pc, challenge, out), 0);
        assert_int_equal(sky_pair_client_respond(pc, resp, rn, secret, out), 0);
        int want = round == 0 ? SKY_ERR(EACCES) : SKY_ERR(EBADMSG);
        assert_int_equal(sky_pair_client_check_host_secret(pc, p, pn), want);
        size_t n;
        /* Nothing is signed for a host that failed the check. */
        assert_int_equal(sky_pair_client_signed_secret(pc, out, sizeof(out), &n), SKY_ERR(EINVAL));
        sky_pair_client_destroy(&pc);
    }
    sky_key_destroy(&key);
    sky_cert_destroy(&cert);
}

/* Our host side, given the host's recorded random values, produces the host's recorded
 * challenge response and accepts the client's recorded secret. */
static void test_replay_host(void **state)
{
    Capture *c = *state;
    SkyCert *host_cert = NULL, *client_cert = NULL;
    SkyKey *fake_host_key = NULL;
    uint8_t salt[16], enc[64], ssec[16], schal[16], out[600], want[600], hash[64], csec[600];
    size_t n, wn;
    char *cert_pem, *key_pem;
    /* The host's private key is not in the capture: sign with another key. Only the pairing
     * secret's signature depends on it, and the client does not check it here. */
    assert_int_equal(sky_identity_generate("other", 1, &cert_pem, &key_pem), 0);
    assert_int_equal(sky_key_from_pem(&fake_host_key, key_pem, strlen(key_pem)), 0);
    free(cert_pem);
    free(key_pem);
    sky_cert_from_pem(&host_cert, c->host_cert_pem, c->host_cert_len);
    sky_cert_from_pem(&client_cert, c->client_cert_pem, c->client_cert_len);
    bytes(c, "salt", salt, sizeof(salt));
    SkyPairHost *ph = NULL;
    SkyPairHostCfg cfg = {value(c, "pin"), salt, 7, host_cert, fake_host_key, client_cert};
    assert_int_equal(sky_pair_host_create(&ph, &cfg), 0);
    size_t en = bytes(c, "clientchallenge", enc, sizeof(enc));
    bytes(c, "server_secret", ssec, sizeof(ssec));
    bytes(c, "server_challenge", schal, sizeof(schal));
    assert_int_equal(sky_pair_host_challenge(ph, enc, en, ssec, schal, out, sizeof(out), &n), 0);
    wn = bytes(c, "challengeresponse", want, sizeof(want));
    assert_int_equal(n, wn);
    assert_memory_equal(out, want, n);

    size_t hn = bytes(c, "serverchallengeresp", hash, sizeof(hash));
    assert_int_equal(sky_pair_host_secret(ph, hash, hn, out, sizeof(out), &n), 0);
    assert_memory_equal(out, ssec, 16);
    size_t cn = bytes(c, "clientpairingsecret", csec, sizeof(csec));
    assert_int_equal(sky_pair_host_check_client_secret(ph, csec, cn), 0);
    /* One try only. */
    assert_int_equal(sky_pair_host_check_client_secret(ph, csec, cn), SKY_ERR(EINVAL));
    sky_pair_host_destroy(&ph);
    sky_key_destroy(&fake_host_key);
    sky_cert_destroy(&host_cert);
    sky_cert_destroy(&client_cert);
}

typedef struct Party {
    char *cert_pem;
    SkyCert *cert;
    SkyKey *key;
} Party;

static void make_party(Party *p, const char *cn)
{
    char *key_pem;
    assert_int_equal(sky_identity_generate(cn, 20, &p->cert_pem, &key_pem), 0);
    assert_int_equal(sky_cert_from_pem(&p->cert, p->cert_pem, strlen(p->cert_pem)), 0);
    assert_int_equal(sky_key_from_pem(&p->key, key_pem, strlen(key_pem)), 0);
    assert_true(sky_key_matches_cert(p->key, p->cert));
    free(key_pem);
}

static void free_party(Party *p)
{
    free(p->cert_pem);
    sky_cert_destroy(&p->cert);
    sky_key_destroy(&p->key);
}

/* Runs a whole exchange between our two sides. `signer` is the client identity that signs
 * (normally the same as `client`, whose certificate the host was given). Returns the client's
 * verdict on the host's secret if that fails, else the host's verdict. */
static int exchange(const Party *client, const Party *signer, const Party *host,
                    const char *client_pin, const char *host_pin, int major)
{
    uint8_t salt[16], chal[16], csec[16], ssec[16], schal[16], a[600], b[600];
    size_t an, bn;
    sky_random_bytes(salt, 16);
    sky_random_bytes(chal, 16);
    sky_random_bytes(csec, 16);
    sky_random_bytes(ssec, 16);
    sky_random_bytes(schal, 16);
    SkyPairClient *pc = NULL;
    SkyPairHost *ph = NULL;
    SkyPairClientCfg cc = {client_pin, salt, major, client->cert, signer->key};
    SkyPairHostCfg hc = {host_pin, salt, major, host->cert, host->key, client->cert};
    assert_int_equal(sky_pair_client_create(&pc, &cc), 0);
    assert_int_equal(sky_pair_host_create(&ph, &hc), 0);
    /* Steps out of order are refused. */
    assert_int_equal(sky_pair_client_challenge(pc, chal, a), SKY_ERR(EINVAL));
    assert_int_equal(sky_pair_host_secret(ph, a, 32, b, sizeof(b), &bn), SKY_ERR(EINVAL));

    assert_int_equal(sky_pair_client_set_host_cert(pc, host->cert_pem, strlen(host->cert_pem)), 0);
    assert_true(sky_cert_equal(sky_pair_client_host_cert(pc), host->cert));
    assert_int_equal(sky_pair_client_challenge(pc, chal, a), 0);
    assert_int_equal(sky_pair_host_challenge(ph, a, 16, ssec, schal, b, sizeof(b), &bn), 0);
    assert_int_equal(bn, 48);
    /* A truncated response is malformed. */
    assert_int_equal(sky_pair_client_respond(pc, b, 16, csec, a), SKY_ERR(EBADMSG));
    assert_int_equal(sky_pair_client_respond(pc, b, bn, csec, a), 0);
    assert_int_equal(sky_pair_host_secret(ph, a, SKY_PAIR_HASH_FIELD_LEN, b, sizeof(b), &bn), 0);
    int ret = sky_pair_client_check_host_secret(pc, b, bn);
    if (ret == 0) {
        assert_int_equal(sky_pair_client_signed_secret(pc, a, sizeof(a), &an), 0);
        ret = sky_pair_host_check_client_secret(ph, a, an);
    }
    sky_pair_client_destroy(&pc);
    sky_pair_host_destroy(&ph);
    return ret;
}

static void test_exchange(void **state)
{
    (void)state;
    Party client, host, other;
    make_party(&client, "NVIDIA GameStream Client");
    make_party(&host, "Sunshine Gamestream Host");
    make_party(&other, "someone else");
    for (int major = 6; major <= 7; major++) {
        assert_int_equal(exchange(&client, &client, &host, "1234", "1234", major), 0);
        /* The wrong PIN is found by the client before it reveals its signed secret. */
        assert_int_equal(exchange(&client, &client, &host, "1234", "4321", major),
                         SKY_ERR(EACCES));
        /* A client that signs with a key other than its certificate's is refused. */
        assert_int_equal(exchange(&client, &other, &host, "0000", "0000", major),
                         SKY_ERR(EACCES));
    }
    free_party(&client);
    free_party(&host);
    free_party(&other);
}

static void test_bad_config(void **state)
{
    (void)state;
    assert_int_equal(sky_pair_pin_valid("1234"), 0);
    assert_int_equal(sky_pair_pin_valid("123"), SKY_ERR(EINVAL));
    assert_int_equal(sky_pair_pin_valid("12345"), SKY_ERR(EINVAL));
    assert_int_equal(sky_pair_pin_valid("12a4"), SKY_ERR(EINVAL));
    assert_int_equal(sky_pair_pin_valid(NULL), SKY_ERR(EINVAL));
    Party p;
    make_party(&p, "x");
    uint8_t salt[16] = {0};
    SkyPairClient *pc = (SkyPairClient *)1;
    SkyPairClientCfg cfg = {"12x4", salt, 7, p.cert, p.key};
    assert_int_equal(sky_pair_client_create(&pc, &cfg), SKY_ERR(EINVAL));
    assert_null(pc);
    free_party(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_aes_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_client_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_host, setup, teardown),
        cmocka_unit_test(test_exchange),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
