/* Fuzzes Reed-Solomon encode/reconstruct with shapes, shard bytes and loss patterns from the
 * input. One SkyFec lives across inputs, so its table caches are exercised too.
 *
 * Input: [flags] [k] [m] [len] then bytes that fill the shards and the presence mask.
 *   flags bit 0: audio; bit 6: long shards (up to 1500 bytes); bit 7: raw (possibly invalid)
 *   k and m; bit 5: reconstruct arbitrary bytes instead of a codeword.
 * Checks: arguments are refused exactly when the shape is invalid; from a codeword, any k
 * shards give back the data, fewer give EAGAIN and change nothing; from arbitrary bytes, the
 * rebuilt data re-encodes to the parity shards the rebuild used (the first ones received, one
 * per missing data shard). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "common/proto/fec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SkyFec *fec;

static bool shape_valid(SkyFecKind kind, int k, int m)
{
    if (kind == SKY_FEC_AUDIO)
        return k == 4 && m == 2;
    return k >= 1 && m >= 0 && k + m <= SKY_FEC_MAX_SHARDS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    if (!fec)
        SKY_ASSERT(sky_fec_create(&fec) == 0);
    uint8_t flags = data[0];
    SkyFecKind kind = (flags & 1) ? SKY_FEC_AUDIO : SKY_FEC_VIDEO;
    int k, m;
    if (flags & 0x80) {
        k = (int8_t)data[1];
        m = (int8_t)data[2];
    } else if (kind == SKY_FEC_AUDIO) {
        k = 4;
        m = 2;
    } else {
        m = data[2] % 64;
        k = 1 + data[1] % (SKY_FEC_MAX_SHARDS - m);
    }
    size_t len = 1 + data[3] % ((flags & 0x40) ? 1500 : 64);
    const uint8_t *in = data + 4;
    size_t in_len = size - 4;

    bool valid = shape_valid(kind, k, m);
    int n = valid ? k + m : 8;
    uint8_t *mem = calloc((size_t)n, len);
    uint8_t *orig = malloc((size_t)n * len);
    uint8_t **p = calloc((size_t)n + 1, sizeof(*p));
    bool *present = calloc((size_t)n + 1, sizeof(*present));
    SKY_ASSERT(mem && orig && p && present);
    for (int i = 0; i < n; i++)
        p[i] = mem + (size_t)i * len;
    /* Shard bytes: the input, cycled and mixed with the position. */
    for (size_t i = 0; i < (size_t)n * len; i++)
        mem[i] = in_len ? (uint8_t)(in[i % in_len] + i / in_len) : (uint8_t)i;

    if (!valid) {
        SKY_ASSERT(sky_fec_encode(fec, kind, k, m, p, p, len) == SKY_ERR(EINVAL));
        SKY_ASSERT(sky_fec_reconstruct(fec, kind, k, m, p, present, len) == SKY_ERR(EINVAL));
        goto done;
    }
    bool arbitrary = flags & 0x20;
    if (!arbitrary)
        SKY_ASSERT(sky_fec_encode(fec, kind, k, m, p, p + k, len) == 0);
    memcpy(orig, mem, (size_t)n * len);

    /* Presence: one bit per shard from the input's tail (all present if it is short). */
    int count = 0, missing_data = 0;
    for (int i = 0; i < n; i++) {
        size_t bit = (size_t)i;
        present[i] = in_len * 8 <= bit || !((in[in_len - 1 - bit / 8] >> (bit % 8)) & 1);
        count += present[i];
        if (!present[i]) {
            memset(p[i], 0xa5, len);
            missing_data += i < k;
        }
    }
    uint8_t *before = malloc((size_t)n * len);
    SKY_ASSERT(before);
    memcpy(before, mem, (size_t)n * len);
    int r = sky_fec_reconstruct(fec, kind, k, m, p, present, len);
    if (missing_data == 0) {
        SKY_ASSERT(r == 0);
        SKY_ASSERT(memcmp(mem, before, (size_t)n * len) == 0);
    } else if (count < k) {
        SKY_ASSERT(r == SKY_ERR(EAGAIN));
        SKY_ASSERT(memcmp(mem, before, (size_t)n * len) == 0);
    } else if (!arbitrary) {
        SKY_ASSERT(r == 0);
        SKY_ASSERT(memcmp(mem, orig, (size_t)k * len) == 0);
    } else {
        SKY_ASSERT(r == 0);
        /* Present shards are untouched; the data now agrees with the parity that was used. */
        for (int i = 0; i < n; i++)
            if (present[i])
                SKY_ASSERT(memcmp(p[i], orig + (size_t)i * len, len) == 0);
        uint8_t *parity = malloc((size_t)m * len);
        uint8_t **pp = calloc((size_t)m, sizeof(*pp));
        SKY_ASSERT(parity && pp);
        for (int j = 0; j < m; j++)
            pp[j] = parity + (size_t)j * len;
        SKY_ASSERT(sky_fec_encode(fec, kind, k, m, p, pp, len) == 0);
        for (int j = 0, used = 0; j < m && used < missing_data; j++) {
            if (!present[k + j])
                continue;
            SKY_ASSERT(memcmp(pp[j], p[k + j], len) == 0);
            used++;
        }
        free(parity);
        free(pp);
    }
    free(before);
done:
    free(mem);
    free(orig);
    free(p);
    free(present);
    return 0;
}
