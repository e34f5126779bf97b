/* Fuzzes the client side of pairing with hostile host replies: the certificate, the challenge
 * response and the pairing secret come from the input. A fixed identity signs. Nothing may
 * crash, and a forged pairing secret must never be accepted. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/proto/hostapi.h"
#include "common/proto/pairing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SkyCert *g_cert;
static SkyKey *g_key;
static char *g_host_pem;

static void init(void)
{
    char *cert_pem, *key_pem;
    SKY_ASSERT(sky_identity_generate("fuzz client", 1, &cert_pem, &key_pem) == 0);
    SKY_ASSERT(sky_cert_from_pem(&g_cert, cert_pem, strlen(cert_pem)) == 0);
    SKY_ASSERT(sky_key_from_pem(&g_key, key_pem, strlen(key_pem)) == 0);
    free(cert_pem);
    free(key_pem);
    SKY_ASSERT(sky_identity_generate("fuzz host", 1, &g_host_pem, &key_pem) == 0);
    free(key_pem); /* the fuzzer never has the host's key: it cannot sign */
}

/* Splits the input at the first three 0xFF bytes: [reply XML 1] [reply XML 2] [reply XML 3]. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_cert)
        init();
    const char *part[3] = {0};
    size_t plen[3] = {0};
    size_t start = 0, k = 0;
    for (size_t i = 0; i <= size && k < 3; i++) {
        if (i == size || data[i] == 0xff) {
            part[k] = (const char *)data + start;
            plen[k++] = i - start;
            start = i + 1;
        }
    }
    uint8_t salt[16] = {1}, chal[16] = {2}, secret[16] = {3}, out[SKY_PAIR_MAX_SIGNED_SECRET];
    SkyPairClient *pc = NULL;
    SkyPairClientCfg cfg = {"1234", salt, 7, g_cert, g_key};
    SKY_ASSERT(sky_pair_client_create(&pc, &cfg) == 0);
    SKY_ASSERT(sky_pair_client_set_host_cert(pc, g_host_pem, strlen(g_host_pem)) == 0);
    SKY_ASSERT(sky_pair_client_challenge(pc, chal, out) == 0);
    SkyXml *doc = NULL;
    uint8_t buf[SKY_PAIR_MAX_SIGNED_SECRET];
    size_t n = 0;
    if (part[0] && sky_hostapi_reply(part[0], plen[0], &doc, NULL, NULL, 0) == 0) {
        if (sky_hostapi_hex(sky_xml_root(doc), "challengeresponse", buf, 64, &n) == 0 &&
            sky_pair_client_respond(pc, buf, n, secret, out) == 0) {
            sky_xml_destroy(&doc);
            if (part[1] && sky_hostapi_reply(part[1], plen[1], &doc, NULL, NULL, 0) == 0 &&
                sky_hostapi_hex(sky_xml_root(doc), "pairingsecret", buf, sizeof(buf), &n) == 0) {
                /* Without the host's key no input can carry a valid signature. */
                SKY_ASSERT(sky_pair_client_check_host_secret(pc, buf, n) < 0);
            }
        }
        sky_xml_destroy(&doc);
    }
    if (part[2]) {
        /* A certificate sent by a hostile host. */
        SkyPairClient *pc2 = NULL;
        SKY_ASSERT(sky_pair_client_create(&pc2, &cfg) == 0);
        sky_pair_client_set_host_cert(pc2, part[2], plen[2]);
        sky_pair_client_destroy(&pc2);
    }
    sky_pair_client_destroy(&pc);
    return 0;
}
