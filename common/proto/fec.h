/* Reed-Solomon erasure coding over GF(2^8) (polynomial 0x11d) as GameStream hosts compute it,
 * on ISA-L. The code is systematic: k data shards go out as they are, followed by m parity
 * shards; any k of the k + m shards rebuild the rest.
 *
 * Two generator matrices, both fixed by the hosts:
 *   SKY_FEC_VIDEO: nanors' Cauchy matrix, parity row j, column i = 1 / ((m + i) XOR j)
 *                  (inverse in GF(2^8)); k + m <= 255. This is not ISA-L's own Cauchy matrix.
 *   SKY_FEC_AUDIO: Sunshine's audio FEC, k = 4, m = 2, rows 77 40 38 0e / c7 a7 0d 6c.
 *
 * Shards are plain byte arrays of one length; what they cover (whole video datagrams, the
 * audio payload after the RTP header) is the caller's business.
 *
 * Not thread-safe: one SkyFec per thread. No allocation per call once the tables for a (k, m)
 * pair are cached (a few pairs are kept; a frame size seen again costs nothing). Decoding
 * inverts a small matrix for each new loss pattern, in scratch space the SkyFec keeps; the
 * tables of the last pattern are kept too. */
#ifndef SKY_COMMON_FEC_H
#define SKY_COMMON_FEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SKY_FEC_MAX_SHARDS 255
/* Largest shard length accepted (a UDP datagram). */
#define SKY_FEC_MAX_LEN 65536

typedef enum SkyFecKind {
    SKY_FEC_VIDEO = 0,
    SKY_FEC_AUDIO,
} SkyFecKind;

typedef struct SkyFec SkyFec;

/* Returns 0 with *out set (the caller owns it), or SKY_ERR(EINVAL)/SKY_ERR(ENOMEM). */
int sky_fec_create(SkyFec **out);
/* Accepts NULL and a pointer to NULL; sets *f to NULL. */
void sky_fec_destroy(SkyFec **f);

/* Computes the m parity shards of k data shards, each len bytes (1..SKY_FEC_MAX_LEN).
 * data[0..k-1] and parity[0..m-1] are the caller's buffers (all non-NULL, parity not
 * overlapping data); only parity is written. m = 0 writes nothing. Returns 0,
 * SKY_ERR(EINVAL) for sizes the kind does not allow (k < 1, m < 0, k + m > 255; audio only
 * 4 + 2), NULL pointers or a bad len, SKY_ERR(ENOMEM) when the tables of a new (k, m) pair
 * cannot be allocated. */
int sky_fec_encode(SkyFec *f, SkyFecKind kind, int k, int m, uint8_t *const *data,
                   uint8_t *const *parity, size_t len);

/* Rebuilds the missing data shards. shards[0..k+m-1] are the caller's buffers of len bytes
 * (data first, then parity, distinct buffers); present[i] says which hold received bytes.
 * Missing data shards are written in place (their buffers must not be NULL); missing parity
 * shards are neither read nor written (their pointers may be NULL). Which k shards are used
 * does not matter: any k give the same bytes. Returns 0 (also when nothing was missing),
 * SKY_ERR(EAGAIN) when fewer than k shards are present (nothing is written), or
 * SKY_ERR(EINVAL) (bad sizes as for encode, NULL arrays, a NULL buffer that is needed),
 * SKY_ERR(ENOMEM) when the decode tables cannot grow to a new size. */
int sky_fec_reconstruct(SkyFec *f, SkyFecKind kind, int k, int m, uint8_t *const *shards,
                        const bool *present, size_t len);

#endif
