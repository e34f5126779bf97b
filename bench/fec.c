/* Reed-Solomon throughput (figures, not pass/fail): video frames of k data shards of 1040 bytes
 * (packetSize 1024 + 16) with 20 % parity (at least 2, as Sunshine sends them), through
 *   encode                     all parity of a frame (what a host does; tables cached)
 *   rebuild 1, same pattern    one data shard lost, the same one every frame (tables cached)
 *   rebuild 1, new pattern     one data shard lost, a different one each frame
 *   rebuild all parity         as many data shards lost as there is parity, pattern changing
 * MB/s counts the frame's data bytes (k x 1040) per second of wall time; each row is the best
 * of 5 runs of ITERATIONS frames.
 * Usage: bench_fec [ITERATIONS]  (default 2000 per run; a quarter for k >= 100) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "common/proto/fec.h"
#include "common/core/time.h"

#define SHARD_LEN 1040
#define REPEATS 5

typedef enum Mode { ENCODE, REBUILD_SAME, REBUILD_NEW, REBUILD_ALL } Mode;

static const char *const mode_names[] = {"encode", "rebuild 1, same pattern",
                                         "rebuild 1, new pattern", "rebuild all parity"};

/* Runs `iters` frames and returns the microseconds they took (the loss-pattern set-up in the
 * loop is a few hundred byte stores: noise next to the FEC call). */
static double run(SkyFec *f, Mode mode, int k, int m, uint8_t **shards, int iters)
{
    bool present[SKY_FEC_MAX_SHARDS];
    int64_t t0 = sky_time_us();
    for (int it = 0; it < iters; it++) {
        for (int i = 0; i < k + m; i++)
            present[i] = true;
        int lose = mode == REBUILD_ALL ? (m < k ? m : k) : 1;
        for (int l = 0; l < lose; l++) {
            int d = mode == REBUILD_SAME ? l : (it * 7 + l * 13) % k;
            while (!present[d])
                d = (d + 1) % k;
            present[d] = false;
        }
        int r = mode == ENCODE
                    ? sky_fec_encode(f, SKY_FEC_VIDEO, k, m, shards, shards + k, SHARD_LEN)
                    : sky_fec_reconstruct(f, SKY_FEC_VIDEO, k, m, shards, present, SHARD_LEN);
        if (r < 0) {
            fprintf(stderr, "bench_fec: %s k=%d m=%d: %s\n", mode_names[mode], k, m,
                    sky_strerror(r));
            exit(1);
        }
    }
    return (double)(sky_time_us() - t0);
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 2000;
    if (iters < 1) {
        fprintf(stderr, "usage: bench_fec [ITERATIONS]\n");
        return 2;
    }
    static const int ks[] = {10, 20, 50, 100, 150, 200};
    SkyFec *f = NULL;
    if (sky_fec_create(&f) < 0)
        return 1;
    uint8_t *mem = malloc((size_t)SKY_FEC_MAX_SHARDS * SHARD_LEN);
    uint8_t *shards[SKY_FEC_MAX_SHARDS];
    if (!mem)
        return 1;
    for (size_t i = 0; i < (size_t)SKY_FEC_MAX_SHARDS * SHARD_LEN; i++)
        mem[i] = (uint8_t)(i * 2654435761u >> 13);
    for (int i = 0; i < SKY_FEC_MAX_SHARDS; i++)
        shards[i] = mem + (size_t)i * SHARD_LEN;

    printf("Reed-Solomon (ISA-L, Sunshine's video matrix), %d-byte shards, 20%% parity (min 2)\n",
           SHARD_LEN);
    printf("%-4s %-3s  %-24s %10s %12s %14s\n", "k", "m", "operation", "MB/s", "us/frame",
           "us/data shard");
    for (size_t t = 0; t < sizeof(ks) / sizeof(ks[0]); t++) {
        int k = ks[t];
        int m = (k * 20 + 99) / 100;
        if (m < 2)
            m = 2;
        int n = k >= 100 ? iters / 4 + 1 : iters;
        for (int mode = ENCODE; mode <= REBUILD_ALL; mode++) {
            run(f, (Mode)mode, k, m, shards, 2); /* warm the caches */
            double per_frame = 0;
            for (int rep = 0; rep < REPEATS; rep++) { /* the best of a few: less noise */
                double us = run(f, (Mode)mode, k, m, shards, n) / n;
                if (rep == 0 || us < per_frame)
                    per_frame = us;
            }
            double mbps = per_frame > 0 ? (double)k * SHARD_LEN / per_frame : 0;
            printf("%-4d %-3d  %-24s %10.0f %12.2f %14.3f\n", k, m, mode_names[mode], mbps,
                   per_frame, per_frame / k);
        }
    }
    free(mem);
    sky_fec_destroy(&f);
    return 0;
}
