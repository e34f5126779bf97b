/* Reed-Solomon erasure coding on ISA-L with the hosts' generator matrices (see fec.h).
 *
 * Encoding multiplies the data by the m x k parity matrix; ISA-L wants that matrix expanded
 * into 32 bytes of lookup tables per coefficient (ec_init_tables), which costs more than a
 * small encode, so the tables of the last few (kind, k, m) pairs are kept.
 *
 * Decoding with W data shards missing (W <= m) solves only for the missing ones, as nanors
 * does, instead of inverting a k x k matrix: with J the first W parity shards received and M
 * the missing data columns,
 *     p_J = P[J][M] d_M + P[J][~M] d_~M   =>   d_M = Q (p_J + P[J][~M] d_~M),  Q = P[J][M]^-1
 * so each missing shard is a combination of the k sources (k - W data shards, W parity) with
 * coefficients Q for parity and Q P[J][~M] for data. Any W x W submatrix of either matrix is
 * invertible (Cauchy; the audio matrix is a systematic Vandermonde one), so the choice of J
 * does not change the result. The video matrix's inverse has a closed form (W^2); the audio
 * one (W <= 2) goes through gf_invert_matrix. The product Q P[J][~M] (W^2 (k - W)) runs
 * through ec_encode_data like any other. */
#include "common/proto/fec.h"

#include <stdlib.h>
#include <string.h>

#include <isa-l/erasure_code.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "fec"

#define ENC_SLOTS 4
/* min(k, m) <= 127 and k * m <= 127 * 128 when k + m <= 255. */
#define MAX_W 127
#define MAX_KM (127 * 128)
#define TABLE_BYTES_PER_COEF 32

/* Sunshine's audio parity matrix (4 data, 2 parity). */
static const uint8_t audio_matrix[2][4] = {
    {0x77, 0x40, 0x38, 0x0e},
    {0xc7, 0xa7, 0x0d, 0x6c},
};

typedef struct EncSlot {
    bool used;
    SkyFecKind kind;
    int k, m;
    uint64_t last_use;
    uint8_t *tables; /* 32 * k * m bytes, owned */
    size_t cap;
} EncSlot;

struct SkyFec {
    /* GF(2^8) logarithms for the closed-form Cauchy inverse. */
    uint8_t gf_log[256];
    uint8_t gf_exp[255];

    EncSlot enc[ENC_SLOTS];
    uint64_t use_clock;

    /* Decode scratch. */
    uint8_t sub[MAX_W * MAX_W];     /* P[J][M] (audio), destroyed by the inversion */
    uint8_t sub_inv[MAX_W * MAX_W]; /* Q */
    uint8_t rows[MAX_KM];           /* W x k decode rows, or m x k parity matrix */
    uint8_t pjm[MAX_KM];            /* P[J][~M], W x (k - W) */
    uint8_t *mat_src[MAX_W];
    uint8_t *mat_dst[MAX_W];
    uint8_t *q_tables; /* 32 * W * W bytes, owned: ISA-L tables of Q */
    size_t q_cap;
    int missing[MAX_W];
    int parity_rows[MAX_W];
    uint8_t *src[SKY_FEC_MAX_SHARDS];
    uint8_t *dst[SKY_FEC_MAX_SHARDS];

    /* Decode tables of the last loss pattern, and what they were built for. */
    uint8_t *dec_tables; /* 32 * k * W bytes, owned */
    size_t dec_cap;
    bool dec_valid;
    SkyFecKind dec_kind;
    int dec_k, dec_m;
    uint8_t dec_present[(SKY_FEC_MAX_SHARDS + 7) / 8];
};

/* Parity matrix coefficient: row j (0..m-1), column i (0..k-1). */
static uint8_t coef(const SkyFec *f, SkyFecKind kind, int m, int j, int i)
{
    if (kind == SKY_FEC_AUDIO)
        return audio_matrix[j][i];
    /* 1 / ((m + i) ^ j): (m + i) >= m > j, so the XOR is never 0, and it stays below 256 as
     * k + m <= 255. */
    return f->gf_exp[(255 - f->gf_log[(m + i) ^ j]) % 255];
}

static int check_shape(SkyFecKind kind, int k, int m, size_t len)
{
    if (len < 1 || len > SKY_FEC_MAX_LEN)
        return SKY_ERR(EINVAL);
    switch (kind) {
    case SKY_FEC_VIDEO:
        if (k < 1 || m < 0 || k > SKY_FEC_MAX_SHARDS || m > SKY_FEC_MAX_SHARDS ||
            k + m > SKY_FEC_MAX_SHARDS)
            return SKY_ERR(EINVAL);
        return 0;
    case SKY_FEC_AUDIO:
        return k == 4 && m == 2 ? 0 : SKY_ERR(EINVAL);
    }
    return SKY_ERR(EINVAL);
}

/* Makes *buf hold at least need bytes, keeping its contents undefined. */
static int reserve(uint8_t **buf, size_t *cap, size_t need)
{
    if (*cap >= need)
        return 0;
    uint8_t *n = malloc(need);
    if (!n)
        return SKY_ERR(ENOMEM);
    free(*buf);
    *buf = n;
    *cap = need;
    return 0;
}

int sky_fec_create(SkyFec **out)
{
    if (!out)
        return SKY_ERR(EINVAL);
    *out = NULL;
    SkyFec *f = calloc(1, sizeof(*f));
    if (!f)
        return SKY_ERR(ENOMEM);
    unsigned x = 1;
    for (int i = 0; i < 255; i++) {
        f->gf_exp[i] = (uint8_t)x;
        f->gf_log[x] = (uint8_t)i;
        x = (x << 1) ^ ((x & 0x80) ? 0x11d : 0);
    }
    *out = f;
    return 0;
}

void sky_fec_destroy(SkyFec **pf)
{
    if (!pf || !*pf)
        return;
    SkyFec *f = *pf;
    for (int i = 0; i < ENC_SLOTS; i++)
        free(f->enc[i].tables);
    free(f->dec_tables);
    free(f->q_tables);
    free(f);
    *pf = NULL;
}

/* The encode tables for (kind, k, m), from the cache or built into the least recently used
 * slot. Returns NULL only when memory runs out. */
static const uint8_t *enc_tables(SkyFec *f, SkyFecKind kind, int k, int m)
{
    EncSlot *slot = NULL;
    for (int i = 0; i < ENC_SLOTS; i++) {
        EncSlot *s = &f->enc[i];
        if (s->used && s->kind == kind && s->k == k && s->m == m) {
            s->last_use = ++f->use_clock;
            return s->tables;
        }
        if (!slot || !s->used || (slot->used && s->last_use < slot->last_use))
            slot = s;
    }
    slot->used = false;
    if (reserve(&slot->tables, &slot->cap, (size_t)TABLE_BYTES_PER_COEF * (size_t)(k * m)) < 0)
        return NULL;
    for (int j = 0; j < m; j++)
        for (int i = 0; i < k; i++)
            f->rows[j * k + i] = coef(f, kind, m, j, i);
    ec_init_tables(k, m, f->rows, slot->tables);
    slot->used = true;
    slot->kind = kind;
    slot->k = k;
    slot->m = m;
    slot->last_use = ++f->use_clock;
    return slot->tables;
}

int sky_fec_encode(SkyFec *f, SkyFecKind kind, int k, int m, uint8_t *const *data,
                   uint8_t *const *parity, size_t len)
{
    int r = check_shape(kind, k, m, len);
    if (r < 0)
        return r;
    if (!f || !data || (m > 0 && !parity))
        return SKY_ERR(EINVAL);
    for (int i = 0; i < k; i++) {
        if (!data[i])
            return SKY_ERR(EINVAL);
        f->src[i] = data[i];
    }
    for (int j = 0; j < m; j++) {
        if (!parity[j])
            return SKY_ERR(EINVAL);
        f->dst[j] = parity[j];
    }
    if (m == 0)
        return 0;
    const uint8_t *tables = enc_tables(f, kind, k, m);
    if (!tables) {
        SKY_LOGE(TAG, "out of memory for the tables of %d + %d shards", k, m);
        return SKY_ERR(ENOMEM);
    }
    ec_encode_data((int)len, k, m, (unsigned char *)tables, f->src, f->dst);
    return 0;
}

/* Q = P[J][M]^-1 for the video matrix in O(W^2): P[J][M] is the Cauchy matrix
 * 1 / (x_a + y_b) with x_a = J[a], y_b = m + M[b], whose inverse is
 *     Q[b][a] = A(y_b) B(x_a) / ((x_a + y_b) A'(x_a) B'(y_b)),
 * A(t) = prod_k (t + x_k), B(t) = prod_k (t + y_k), A'(x_a) = prod_{k != a} (x_a + x_k),
 * B'(y_b) = prod_{k != b} (y_b + y_k) (Schechter's formula; signs vanish in GF(2^8)).
 * Products are sums of logarithms; no factor is 0 as the x and y are distinct and x < m <= y. */
static void cauchy_inverse(SkyFec *f, int m, int w)
{
    int log_ay[MAX_W], log_bd[MAX_W], log_bx[MAX_W], log_ad[MAX_W];
    for (int b = 0; b < w; b++) {
        int y = m + f->missing[b], sa = 0, sb = 0;
        for (int k = 0; k < w; k++) {
            sa += f->gf_log[y ^ f->parity_rows[k]];
            if (k != b)
                sb += f->gf_log[y ^ (m + f->missing[k])];
        }
        log_ay[b] = sa % 255;
        log_bd[b] = sb % 255;
    }
    for (int a = 0; a < w; a++) {
        int x = f->parity_rows[a], sb = 0, sa = 0;
        for (int k = 0; k < w; k++) {
            sb += f->gf_log[x ^ (m + f->missing[k])];
            if (k != a)
                sa += f->gf_log[x ^ f->parity_rows[k]];
        }
        log_bx[a] = sb % 255;
        log_ad[a] = sa % 255;
    }
    for (int b = 0; b < w; b++) {
        int y = m + f->missing[b];
        for (int a = 0; a < w; a++) {
            int x = f->parity_rows[a];
            int e = log_ay[b] + log_bx[a] + 3 * 255 - f->gf_log[x ^ y] - log_ad[a] - log_bd[b];
            f->sub_inv[b * w + a] = f->gf_exp[e % 255];
        }
    }
}

/* Builds the decode rows for the current f->missing / f->parity_rows (W of each), with
 * columns in source order: the present data shards ascending, then the parity rows. Row b is
 * [ (Q P[J][~M])[b] | Q[b] ]; the product runs on ISA-L too (W sources of k - W bytes). */
static int build_decode_rows(SkyFec *f, SkyFecKind kind, int k, int m, int w)
{
    int kd = k - w; /* present data shards */
    for (int a = 0; a < w; a++) {
        if (kind == SKY_FEC_AUDIO)
            for (int b = 0; b < w; b++)
                f->sub[a * w + b] = coef(f, kind, m, f->parity_rows[a], f->missing[b]);
        int col = 0, next_missing = 0;
        for (int i = 0; i < k; i++) {
            if (next_missing < w && f->missing[next_missing] == i) {
                next_missing++;
                continue;
            }
            f->pjm[a * kd + col++] = coef(f, kind, m, f->parity_rows[a], i);
        }
    }
    if (kind == SKY_FEC_VIDEO) {
        cauchy_inverse(f, m, w);
    } else if (gf_invert_matrix(f->sub, f->sub_inv, w) != 0) {
        /* Cannot happen with these matrices; a failure here is a bug, not peer data. */
        SKY_LOGE(TAG, "singular decode matrix (k %d, m %d, %d missing)", k, m, w);
        return SKY_ERR(EIO);
    }
    if (kd > 0) {
        int r = reserve(&f->q_tables, &f->q_cap, (size_t)TABLE_BYTES_PER_COEF * (size_t)(w * w));
        if (r < 0)
            return r;
        for (int a = 0; a < w; a++) {
            f->mat_src[a] = &f->pjm[a * kd];
            f->mat_dst[a] = &f->rows[a * k];
        }
        ec_init_tables(w, w, f->sub_inv, f->q_tables);
        ec_encode_data(kd, w, w, f->q_tables, f->mat_src, f->mat_dst);
    }
    for (int b = 0; b < w; b++)
        memcpy(&f->rows[b * k + kd], &f->sub_inv[b * w], (size_t)w);
    return 0;
}

int sky_fec_reconstruct(SkyFec *f, SkyFecKind kind, int k, int m, uint8_t *const *shards,
                        const bool *present, size_t len)
{
    int r = check_shape(kind, k, m, len);
    if (r < 0)
        return r;
    if (!f || !shards || !present)
        return SKY_ERR(EINVAL);

    uint8_t bits[sizeof(f->dec_present)] = {0};
    int count = 0;
    int w = 0;
    for (int i = 0; i < k + m; i++) {
        if (present[i]) {
            if (!shards[i])
                return SKY_ERR(EINVAL);
            count++;
            bits[i / 8] |= (uint8_t)(1u << (i % 8));
        } else if (i < k) {
            if (!shards[i])
                return SKY_ERR(EINVAL);
            if (w < MAX_W)
                f->missing[w] = i;
            w++;
        }
    }
    if (w == 0)
        return 0;
    if (count < k)
        return SKY_ERR(EAGAIN);
    /* count >= k means w <= m, and w <= k, so w <= MAX_W. */
    SKY_ASSERT(w <= MAX_W && w <= m);

    /* Sources: the present data shards, then the first w parity shards received. */
    int nsrc = 0;
    for (int i = 0; i < k; i++)
        if (present[i])
            f->src[nsrc++] = shards[i];
    int np = 0;
    for (int j = 0; j < m && np < w; j++) {
        if (present[k + j]) {
            f->parity_rows[np++] = j;
            f->src[nsrc++] = shards[k + j];
        }
    }
    SKY_ASSERT(np == w && nsrc == k);
    for (int b = 0; b < w; b++)
        f->dst[b] = shards[f->missing[b]];

    bool hit = f->dec_valid && f->dec_kind == kind && f->dec_k == k && f->dec_m == m &&
               memcmp(f->dec_present, bits, sizeof(bits)) == 0;
    if (!hit) {
        f->dec_valid = false;
        r = reserve(&f->dec_tables, &f->dec_cap, (size_t)TABLE_BYTES_PER_COEF * (size_t)(k * w));
        if (r < 0) {
            SKY_LOGE(TAG, "out of memory for decode tables (k %d, %d missing)", k, w);
            return r;
        }
        r = build_decode_rows(f, kind, k, m, w);
        if (r < 0)
            return r;
        ec_init_tables(k, w, f->rows, f->dec_tables);
        f->dec_valid = true;
        f->dec_kind = kind;
        f->dec_k = k;
        f->dec_m = m;
        memcpy(f->dec_present, bits, sizeof(bits));
    }
    ec_encode_data((int)len, k, w, f->dec_tables, f->src, f->dst);
    return 0;
}
