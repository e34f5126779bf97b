/* The test host's video stream: once the client's first video ping has arrived, a thread makes
 * frames at the announced rate (the test pattern, pattern.h), encodes them (encoder.h), cuts each
 * access unit into datagrams with FEC and optional encryption (proto/video_packetizer.h) and
 * hands them to the video socket's sender (udp_sender.h), which impairs and paces them.
 *
 * With a clip (--video-file, clip.h) its access units go out instead, one per frame interval.
 *
 * A format the encoder cannot make (4:4:4 with SVT-AV1) is not refused: as Sunshine, whose
 * capture loop then fails to make its encoder session and tries again and again, the stream
 * gets no video at all (the error is logged once) while the rest of the session runs.
 *
 * Frame n (from 1) shows barcode n, is encoded with pts n and goes out as frameIndex n: the
 * three numbers are the same, so a client's decoded picture tells which frame it is. Frame 1
 * and every frame after an IDR request are IDRs (frame type 2); all others are P (type 1).
 *
 * Owned by the session (session.c). The video thread owns the encoder, the packetizer and the
 * dump file; other threads talk to it through the atomics and the stop flag below. */
#ifndef SKY_TESTHOST_VIDEO_SENDER_H
#define SKY_TESTHOST_VIDEO_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/proto/input.h"

#include "tests/host/encoder.h"
#include "tests/host/udp_sender.h"

typedef struct SkyThVideoCfg {
    SkyThEncoderCfg enc;
    size_t packet_size;        /* the ANNOUNCE's packetSize */
    int fec_percent;
    int min_parity;            /* minRequiredFecPackets */
    const uint8_t *key;        /* 16-byte session key when video is encrypted, else NULL */
    SkyThUdp *udp;             /* borrowed; must outlive the video thread */
    const char *dump_path;     /* write every access unit here ("" or NULL: no) */
    const char *clip_path;     /* send this clip (clip.h) instead of the pattern ("" or NULL) */
    bool log_frames;           /* a `frame n=N type=T bytes=B` event per frame */
} SkyThVideoCfg;

typedef struct SkyThVideo SkyThVideo;

/* Opens the encoder, the packetizer and the dump file (synchronously, so a session that cannot
 * encode fails at ANNOUNCE). Returns 0 or an error (logged). */
int sky_th_video_create(SkyThVideo **out, const SkyThVideoCfg *cfg);
/* Starts the video thread: it waits for the client's first ping (sky_th_udp_wait_client), then
 * streams until stopped. */
int sky_th_video_start(SkyThVideo *v);
/* Stops and joins the thread (abort the udp sender first if it may still wait for a ping); the
 * counters stay readable. Idempotent. */
void sky_th_video_stop(SkyThVideo *v);
/* Stops (as above), closes the dump file, frees everything. Accepts NULL; NULLs the pointer. */
void sky_th_video_destroy(SkyThVideo **v);

/* From any thread. */
void sky_th_video_request_idr(SkyThVideo *v);
/* An input packet arrived (p: decoded, or NULL if it did not parse): the picture's input
 * region follows it. */
void sky_th_video_note_input(SkyThVideo *v, const SkyInputPacket *p);
/* The last frame index sent (0 before the first). */
uint32_t sky_th_video_last_frame(SkyThVideo *v);
/* When the first frame went out (0: not yet). */
int64_t sky_th_video_start_us(SkyThVideo *v);
/* Whether the capture has started (the client's first video ping came; Sunshine then makes its
 * encoder device and reports the display's HDR mode), even if no frame can be made. */
bool sky_th_video_capturing(SkyThVideo *v);
/* 0 while streaming or stopped normally; the error that ended the thread otherwise. */
int sky_th_video_error(SkyThVideo *v);

typedef struct SkyThVideoStats {
    uint64_t frames, idr_frames, bytes;  /* access units sent and their bytes */
    uint64_t packetize_errors;           /* frames too large for 4 FEC blocks (skipped) */
} SkyThVideoStats;

void sky_th_video_stats(SkyThVideo *v, SkyThVideoStats *out);

#endif
