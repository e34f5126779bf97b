/* One media stream's UDP side in the test host (video on 47998, audio on 48000): learns the
 * client's address from its pings, runs the impairment models, and sends each datagram at the
 * time the model delivers it.
 *
 *   producer thread (video or audio)        sender thread (this module's)
 *   ---------------------------------       -------------------------------------------------
 *   sky_th_udp_send(datagram, now)          wakes at the next due time or on a datagram:
 *     downstream model: drop / deliver at T   sends what is due (sendmmsg), returns buffers;
 *     copy into a pool buffer (dup: two)      reads pings: upstream model (drop or hold until
 *     -> delay queue (lock) -> wake           due), then the first valid one latches the client
 *
 * Pings (Sunshine): 16 bytes of the session's X-SS-Ping-Payload followed by a BE32 counter
 * (20 bytes or more, matched by the first 16), or the legacy 4 bytes "PING" (accepted only when
 * allow_legacy is set: the client did not announce session-id matching). The address:port of
 * the first valid ping is where everything goes; later pings only count.
 *
 * Memory: the pool of datagram buffers is allocated at creation; nothing is allocated per
 * datagram. A datagram that finds the pool empty is dropped and counted (`overflow`).
 * The socket is borrowed (the stream manager binds it once for the life of the program). */
#ifndef SKY_TESTHOST_UDP_SENDER_H
#define SKY_TESTHOST_UDP_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/host/impair/impair.h"

typedef struct SkyThUdpCfg {
    const char *name;            /* "video" or "audio": logs and the `client NAME=` event */
    int fd;                      /* bound UDP socket, borrowed; made non-blocking here */
    char ping_payload[17];       /* 16 characters */
    bool allow_legacy;           /* accept "PING" */
    const SkyImpairCfg *down;    /* what we send; NULL or "none": delivered at once */
    const SkyImpairCfg *up;      /* the pings we receive; NULL or "none": as they come */
    size_t max_datagram;         /* largest datagram that will be sent (bytes) */
    size_t pool;                 /* datagram buffers (>= 16) */
} SkyThUdpCfg;

typedef struct SkyThUdp SkyThUdp;

/* Copies cfg, allocates the pool and starts the sender thread. Returns 0, SKY_ERR(EINVAL),
 * SKY_ERR(ENOMEM) or the error of creating the thread (logged). */
int sky_th_udp_create(SkyThUdp **out, const SkyThUdpCfg *cfg);
/* Stops and joins the sender thread (what is still queued is not sent); the counters stay
 * readable. The thread that created u; idempotent. */
void sky_th_udp_stop(SkyThUdp *u);
/* Stops (as above) and frees everything. Accepts NULL; NULLs the pointer. */
void sky_th_udp_destroy(SkyThUdp **u);

/* Wakes sky_th_udp_wait_client() for good (it returns SKY_ERR(ESHUTDOWN)). Any thread. */
void sky_th_udp_abort(SkyThUdp *u);
/* Blocks until the first valid ping. Returns 0 or SKY_ERR(ESHUTDOWN). Any thread. */
int sky_th_udp_wait_client(SkyThUdp *u);
bool sky_th_udp_has_client(SkyThUdp *u);

/* Producer (one thread): offers one datagram sent at now_us to the downstream model and queues
 * what it delivers. The bytes are copied. Returns 0 (also when the model dropped it),
 * SKY_ERR(ENOBUFS) when the pool was empty (dropped, counted), SKY_ERR(EINVAL) if len exceeds
 * max_datagram. */
int sky_th_udp_send(SkyThUdp *u, const uint8_t *data, size_t len, int64_t now_us);

/* Counters since creation; any thread. */
typedef struct SkyThUdpStats {
    uint64_t offered;            /* datagrams given to sky_th_udp_send */
    uint64_t sent, sent_bytes;   /* datagrams handed to the kernel (duplicates included) */
    uint64_t impair_dropped;     /* dropped by the downstream model */
    uint64_t overflow;           /* dropped: no free buffer */
    uint64_t send_errors;
    uint64_t pings;              /* valid pings received (after the upstream model) */
    uint64_t pings_dropped;      /* pings the upstream model dropped */
} SkyThUdpStats;

void sky_th_udp_stats(SkyThUdp *u, SkyThUdpStats *out);

#endif
