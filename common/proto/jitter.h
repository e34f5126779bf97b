/* The video jitter buffer's clock: when each whole frame should go to the decoder.
 *
 *   lowest    a frame goes to the decoder the moment it is whole (the LAN default).
 *   balanced  frames are held so that network jitter does not reach the screen. Each frame's
 *             delay is "arrival - host timestamp" (with the two clocks' small rate difference
 *             taken out by a least-squares fit); over the recent frames (about two seconds)
 *             the 5th percentile of that delay is the network's quick path and the 95th what
 *             the buffer covers: a frame is released at its timestamp + the quick path +
 *             target, where target is the difference of the two (rising at once, falling
 *             slowly; capped). A frame later than that goes at once.
 *   smooth    as balanced, and presentation is paced: each frame also gets a present time
 *             (release + the 95th percentile of recent decode times), and the presenter shows
 *             frames in order, one per refresh, none before its present time, so neither
 *             network nor decode time variation reaches the cadence.
 * The reference is WebRTC's frame buffer (timestamp extrapolation, jitter estimate, target
 * delay), simplified. Pure: the caller passes every time in. */
#ifndef SKY_COMMON_JITTER_H
#define SKY_COMMON_JITTER_H

#include <stdbool.h>
#include <stdint.h>

typedef enum SkyLatencyMode {
    SKY_LATENCY_LOWEST = 0,
    SKY_LATENCY_BALANCED,
    SKY_LATENCY_SMOOTH,
} SkyLatencyMode;

typedef struct SkyJitterCfg {
    int mode;                  /* SkyLatencyMode */
    uint32_t clock_hz;         /* of the frame timestamps; 90000 for GameStream */
    int64_t max_delay_us;      /* cap on the target; 0 = 150 ms */
} SkyJitterCfg;

typedef struct SkyJitter SkyJitter;

int sky_jitter_create(SkyJitter **out, const SkyJitterCfg *cfg);
void sky_jitter_destroy(SkyJitter **j);

typedef struct SkyJitterTimes {
    int64_t release_us;        /* hand the frame to the decoder at (<= arrival: at once) */
    int64_t present_us;        /* smooth: show it no earlier than this; else 0 */
} SkyJitterTimes;

/* A whole frame with host timestamp ts arrived at arrival_us. */
SkyJitterTimes sky_jitter_frame(SkyJitter *j, uint32_t ts, int64_t arrival_us);
/* A decode took decode_us (decode start to picture ready). */
void sky_jitter_decoded(SkyJitter *j, int64_t decode_us);
/* The delay currently added to frames (0 in lowest mode). */
int64_t sky_jitter_target_us(const SkyJitter *j);
/* After a break in the stream (an IDR after loss, a host restart): forget the time base. */
void sky_jitter_reset(SkyJitter *j);

#endif
