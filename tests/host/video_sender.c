/* The test host's video thread: pattern, encoder, packetizer, into the video sender
 * (video_sender.h). */
#include "tests/host/video_sender.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/core/error.h"
#include "common/core/log.h"
#include "common/proto/sdp.h"
#include "common/core/time.h"
#include "common/proto/video_packet.h"
#include "tests/host/clip.h"
#include "tests/host/host.h"
#include "tests/host/proto/video_packetizer.h"

#define TAG "th-video"
/* Capture times of the frames inside the encoder (x265 and SVT-AV1 keep a few). */
#define CAPTURE_RING 64

struct SkyThVideo {
    SkyThVideoCfg cfg;           /* dump_path points into dump_name */
    char dump_name[1024];
    pthread_t thread;
    bool started;

    /* Video thread only (after start). */
    SkyThEncoder *enc;           /* NULL when sending a clip or when no encoder can be made */
    SkyThClip *clip;
    SkyVideoPacketizer *pkt;
    FILE *dump;
    uint32_t ivf_frames;
    int64_t capture_us[CAPTURE_RING];
    int64_t first_capture_us;

    pthread_mutex_t lock;
    pthread_cond_t cond;         /* CLOCK_MONOTONIC; stop */
    bool stopping;               /* lock */

    atomic_bool idr_requested;
    pthread_mutex_t input_lock;
    SkyThPatternInput input;     /* input_lock */
    atomic_uint last_frame;
    atomic_bool capturing;
    atomic_int_least64_t start_us;
    atomic_int error;
    atomic_uint_least64_t frames, idr_frames, bytes, packetize_errors;
};

void sky_th_video_request_idr(SkyThVideo *v)
{
    atomic_store(&v->idr_requested, true);
}

void sky_th_video_note_input(SkyThVideo *v, const SkyInputPacket *p)
{
    pthread_mutex_lock(&v->input_lock);
    SkyThPatternInput *in = &v->input;
    in->packets++;
    switch (p ? p->kind : SKY_IN_UNKNOWN) {
    case SKY_IN_KEY:
        if (p->u.key.down) {
            in->last_key = p->u.key.code;
            in->keys_down++;
        } else if (in->keys_down) {
            in->keys_down--;
        }
        break;
    case SKY_IN_MOUSE_BUTTON: {
        uint8_t bit = (uint8_t)(1u << (p->u.button.button - 1));
        in->mouse_buttons = p->u.button.down ? in->mouse_buttons | bit
                                             : in->mouse_buttons & (uint8_t)~bit;
        break;
    }
    case SKY_IN_MOUSE_REL:
        in->pointer_x += p->u.rel.dx;
        in->pointer_y += p->u.rel.dy;
        break;
    case SKY_IN_MOUSE_ABS:
        in->pointer_x = p->u.abs.x;
        in->pointer_y = p->u.abs.y;
        break;
    case SKY_IN_PAD:
        if (p->u.pad.number == 0)
            in->pad_buttons = p->u.pad.buttons;
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&v->input_lock);
}

uint32_t sky_th_video_last_frame(SkyThVideo *v)
{
    return atomic_load(&v->last_frame);
}

int64_t sky_th_video_start_us(SkyThVideo *v)
{
    return atomic_load(&v->start_us);
}

bool sky_th_video_capturing(SkyThVideo *v)
{
    return atomic_load(&v->capturing);
}

int sky_th_video_error(SkyThVideo *v)
{
    return atomic_load(&v->error);
}

void sky_th_video_stats(SkyThVideo *v, SkyThVideoStats *out)
{
    out->frames = atomic_load(&v->frames);
    out->idr_frames = atomic_load(&v->idr_frames);
    out->bytes = atomic_load(&v->bytes);
    out->packetize_errors = atomic_load(&v->packetize_errors);
}

/* ---- --dump-video: raw Annex B, or IVF for AV1 ---- */

static void put_le16(uint8_t *d, uint16_t v)
{
    d[0] = (uint8_t)v;
    d[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *d, uint32_t v)
{
    put_le16(d, (uint16_t)v);
    put_le16(d + 2, (uint16_t)(v >> 16));
}

static int dump_open(SkyThVideo *v)
{
    v->dump = fopen(v->cfg.dump_path, "wb");
    if (!v->dump) {
        int ret = SKY_ERR(errno);
        SKY_LOGE(TAG, "--dump-video %s: %s", v->cfg.dump_path, sky_strerror(ret));
        return ret;
    }
    if (v->cfg.enc.codec != SKY_SDP_CODEC_AV1)
        return 0;
    uint8_t h[32] = {'D', 'K', 'I', 'F'};
    put_le16(h + 4, 0);
    put_le16(h + 6, 32);
    memcpy(h + 8, "AV01", 4);
    put_le16(h + 12, (uint16_t)v->cfg.enc.width);
    put_le16(h + 14, (uint16_t)v->cfg.enc.height);
    put_le32(h + 16, (uint32_t)v->cfg.enc.fps); /* time base: 1/fps */
    put_le32(h + 20, 1);
    put_le32(h + 24, 0);                        /* frame count, fixed up at the end */
    return fwrite(h, 1, sizeof(h), v->dump) == sizeof(h) ? 0 : SKY_ERR(EIO);
}

static void dump_frame(SkyThVideo *v, const SkyThPacket *p)
{
    if (!v->dump)
        return;
    bool ok = true;
    if (v->cfg.enc.codec == SKY_SDP_CODEC_AV1) {
        uint8_t h[12];
        put_le32(h, (uint32_t)p->len);
        put_le32(h + 4, (uint32_t)p->pts);
        put_le32(h + 8, (uint32_t)((uint64_t)p->pts >> 32));
        ok = fwrite(h, 1, sizeof(h), v->dump) == sizeof(h);
        v->ivf_frames++;
    }
    ok = ok && fwrite(p->data, 1, p->len, v->dump) == p->len;
    if (!ok) {
        SKY_LOGE(TAG, "--dump-video: write failed; no more frames are written");
        fclose(v->dump);
        v->dump = NULL;
    }
}

static void dump_close(SkyThVideo *v)
{
    if (!v->dump)
        return;
    if (v->cfg.enc.codec == SKY_SDP_CODEC_AV1 && fseek(v->dump, 24, SEEK_SET) == 0) {
        uint8_t n[4];
        put_le32(n, v->ivf_frames);
        if (fwrite(n, 1, 4, v->dump) != 4)
            SKY_LOGE(TAG, "--dump-video: cannot write the IVF frame count");
    }
    if (fclose(v->dump) != 0)
        SKY_LOGE(TAG, "--dump-video: %s", sky_strerror(SKY_ERR(errno)));
    v->dump = NULL;
}

/* The picture's format and where its probe regions are (pattern.h), for tests. */
static void pattern_event(const SkyThVideoCfg *cfg)
{
    SkyThPatternLayout l;
    sky_th_pattern_layout(cfg->enc.width, cfg->enc.height, &l);
    sky_th_event("pattern width=%d height=%d chroma=%s depth=%d transfer=%s range=%s block=%d "
                 "probe_y=%d probe_h=%d columns_w=%d patch_x=%d patch_w=%d",
                 cfg->enc.width, cfg->enc.height, cfg->enc.yuv444 ? "444" : "420",
                 cfg->enc.ten_bit ? 10 : 8, cfg->enc.pq ? "pq" : "sdr",
                 cfg->enc.csc_mode & 1 ? "full" : "limited", l.block, l.probe_y, l.probe_h,
                 l.input_x, l.input_x, l.patch_w);
}

/* ---- The video thread ---- */

/* Sleeps until deadline_us unless stopped. Returns true if stopping. */
static bool wait_until(SkyThVideo *v, int64_t deadline_us)
{
    struct timespec ts = {.tv_sec = deadline_us / 1000000,
                          .tv_nsec = (long)(deadline_us % 1000000) * 1000};
    pthread_mutex_lock(&v->lock);
    while (!v->stopping && sky_time_us() < deadline_us)
        if (pthread_cond_timedwait(&v->cond, &v->lock, &ts) == ETIMEDOUT)
            break;
    bool stop = v->stopping;
    pthread_mutex_unlock(&v->lock);
    return stop;
}

/* Sends one access unit. */
static void send_frame(SkyThVideo *v, const SkyThPacket *p)
{
    int64_t now = sky_time_us();
    uint32_t index = (uint32_t)p->pts;
    int64_t capture = v->capture_us[index % CAPTURE_RING];
    int64_t lat = (now - capture + 50) / 100;
    SkyVideoFrameDesc f = {
        .frame_index = index,
        .frame_type = p->keyframe ? SKY_FRAME_TYPE_IDR : SKY_FRAME_TYPE_P,
        .host_latency_100us = (uint16_t)(lat < 0 ? 0 : lat > 65535 ? 65535 : lat),
        .rtp_ts = (uint32_t)((uint64_t)(capture - v->first_capture_us) * 9 / 100),
        .bitstream = p->data,
        .len = p->len,
    };
    const uint8_t *data;
    size_t dlen, count;
    int ret = sky_video_packetize(v->pkt, &f, &data, &dlen, &count);
    if (ret < 0) {
        /* Too big for 4 FEC blocks: the client sees a lost frame; an IDR follows. */
        SKY_LOGW(TAG, "frame %u (%zu bytes) cannot be sent: %s", index, p->len,
                 sky_strerror(ret));
        atomic_fetch_add(&v->packetize_errors, 1);
        sky_th_video_request_idr(v);
        return;
    }
    for (size_t i = 0; i < count; i++)
        sky_th_udp_send(v->cfg.udp, data + i * dlen, dlen, now);
    dump_frame(v, p);
    if (atomic_load(&v->start_us) == 0)
        atomic_store(&v->start_us, now);
    atomic_store(&v->last_frame, index);
    atomic_fetch_add(&v->frames, 1);
    atomic_fetch_add(&v->bytes, p->len);
    if (p->keyframe)
        atomic_fetch_add(&v->idr_frames, 1);
    if (v->cfg.log_frames)
        sky_th_event("frame n=%u type=%u bytes=%zu", index, f.frame_type, p->len);
}

/* Draws and encodes frame n and sends what the encoder gives back. */
static int encode_frame(SkyThVideo *v, uint32_t n)
{
    SkyThPicture pic;
    int ret = sky_th_encoder_picture(v->enc, &pic);
    if (ret < 0)
        return ret;
    pthread_mutex_lock(&v->input_lock);
    SkyThPatternInput in = v->input;
    pthread_mutex_unlock(&v->input_lock);
    sky_th_pattern_draw(&pic, n, &in);
    /* A request that came before the first frame (start A) is served by it. */
    bool idr = atomic_exchange(&v->idr_requested, false) || n == 1;
    if ((ret = sky_th_encoder_send(v->enc, n, idr)) < 0)
        return ret;
    SkyThPacket p;
    while ((ret = sky_th_encoder_receive(v->enc, &p)) == 0)
        send_frame(v, &p);
    return ret == SKY_ERR(EAGAIN) ? 0 : ret;
}

/* Sends the clip's next access unit as frame n (from its start after an IDR request). */
static void clip_frame(SkyThVideo *v, uint32_t n)
{
    SkyThPacket p = {.pts = n};
    sky_th_clip_next(v->clip, atomic_exchange(&v->idr_requested, false), &p.data, &p.len,
                     &p.keyframe);
    send_frame(v, &p);
}

static void *video_main(void *arg)
{
    SkyThVideo *v = arg;
    if (sky_th_udp_wait_client(v->cfg.udp) < 0)
        return NULL;
    atomic_store(&v->capturing, true);
    if (!v->enc && !v->clip) {
        SKY_LOGE(TAG, "%s: YUV 4:4:4 not supported: no video (as Sunshine, which keeps trying)",
                 sky_th_encoder_name(v->cfg.enc.codec));
        wait_until(v, INT64_MAX);
        return NULL;
    }
    const int64_t interval_us = 1000000 / v->cfg.enc.fps;
    int64_t start = sky_time_us(), next = start;
    v->first_capture_us = start;
    int ret = 0;
    for (uint32_t n = 1; n <= SKY_TH_PATTERN_MAX_FRAME; n++) {
        if (wait_until(v, next))
            break;
        v->capture_us[n % CAPTURE_RING] = sky_time_us();
        if (v->clip)
            clip_frame(v, n);
        else if ((ret = encode_frame(v, n)) < 0)
            break;
        /* Frame n + 1 is due at start + n intervals; after a stall, start again from now. */
        next = start + (int64_t)n * interval_us;
        int64_t now = sky_time_us();
        if (now > next + interval_us) {
            SKY_LOGV(TAG, "%lld ms behind: skipping ahead", (long long)(now - next) / 1000);
            start = now - (int64_t)n * interval_us;
            next = now;
        }
    }
    if (ret < 0) {
        SKY_LOGE(TAG, "encoding failed: %s", sky_strerror(ret));
        atomic_store(&v->error, ret);
    }
    return NULL;
}

void sky_th_video_stop(SkyThVideo *v)
{
    if (!v->started)
        return;
    pthread_mutex_lock(&v->lock);
    v->stopping = true;
    pthread_cond_broadcast(&v->cond);
    pthread_mutex_unlock(&v->lock);
    pthread_join(v->thread, NULL);
    v->started = false;
}

void sky_th_video_destroy(SkyThVideo **pv)
{
    SkyThVideo *v = *pv;
    if (!v)
        return;
    sky_th_video_stop(v);
    dump_close(v);
    sky_th_encoder_destroy(&v->enc);
    sky_th_clip_free(&v->clip);
    sky_video_packetizer_destroy(&v->pkt);
    pthread_cond_destroy(&v->cond);
    pthread_mutex_destroy(&v->lock);
    pthread_mutex_destroy(&v->input_lock);
    free(v);
    *pv = NULL;
}

int sky_th_video_create(SkyThVideo **out, const SkyThVideoCfg *cfg)
{
    *out = NULL;
    SkyThVideo *v = calloc(1, sizeof(*v));
    if (!v)
        return SKY_ERR(ENOMEM);
    v->cfg = *cfg;
    pthread_mutex_init(&v->lock, NULL);
    pthread_mutex_init(&v->input_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&v->cond, &ca);
    pthread_condattr_destroy(&ca);
    int ret;
    SkyVideoPacketizerCfg pc = {
        .packet_size = cfg->packet_size,
        .fec_percent = cfg->fec_percent,
        .min_parity = cfg->min_parity,
        .key = cfg->key,
    };
    if ((ret = sky_video_packetizer_create(&v->pkt, &pc)) < 0) {
        SKY_LOGE(TAG, "packetizer (packet size %zu, FEC %d%%, min parity %d): %s",
                 cfg->packet_size, cfg->fec_percent, cfg->min_parity, sky_strerror(ret));
        goto fail;
    }
    if (cfg->clip_path && cfg->clip_path[0])
        ret = sky_th_clip_open(&v->clip, cfg->clip_path, cfg->enc.codec);
    else if ((ret = sky_th_encoder_create(&v->enc, &cfg->enc)) == SKY_ERR(ENOTSUP))
        ret = 0; /* no video (see video_sender.h) */
    if (ret < 0)
        goto fail;
    if (v->enc)
        pattern_event(cfg);
    if (cfg->dump_path && cfg->dump_path[0]) {
        snprintf(v->dump_name, sizeof(v->dump_name), "%s", cfg->dump_path);
        v->cfg.dump_path = v->dump_name;
        if ((ret = dump_open(v)) < 0)
            goto fail;
    }
    *out = v;
    return 0;
fail:
    sky_th_video_destroy(&v);
    return ret;
}

int sky_th_video_start(SkyThVideo *v)
{
    int ret = pthread_create(&v->thread, NULL, video_main, v);
    if (ret != 0) {
        SKY_LOGE(TAG, "cannot start the video thread: %s", sky_strerror(SKY_ERR(ret)));
        return SKY_ERR(ret);
    }
    v->started = true;
    return 0;
}
