/* --video-file: a pre-encoded clip read into memory and sent in a loop (clip.h). */
#include "tests/host/clip.h"

#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "common/core/error.h"
#include "common/core/log.h"
#include "common/proto/sdp.h"

#define TAG "th-clip"
/* Enough for a few seconds at 150 Mb/s; a longer clip is refused rather than swapped out. */
#define MAX_CLIP_BYTES (256u << 20)

typedef struct Unit {
    size_t off, len;
    bool keyframe;
} Unit;

struct SkyThClip {
    uint8_t *data;
    size_t len, cap;
    Unit *units;
    size_t n, units_cap;
    size_t next;
};

static enum AVCodecID codec_id(int codec)
{
    return codec == SKY_SDP_CODEC_AV1    ? AV_CODEC_ID_AV1
           : codec == SKY_SDP_CODEC_HEVC ? AV_CODEC_ID_HEVC
                                         : AV_CODEC_ID_H264;
}

static int append(SkyThClip *c, const AVPacket *pkt)
{
    if (c->len + (size_t)pkt->size > MAX_CLIP_BYTES)
        return SKY_ERR(EFBIG);
    if (c->len + (size_t)pkt->size > c->cap) {
        size_t cap = c->cap ? c->cap : 1u << 20;
        while (cap < c->len + (size_t)pkt->size)
            cap *= 2;
        uint8_t *d = realloc(c->data, cap);
        if (!d)
            return SKY_ERR(ENOMEM);
        c->data = d;
        c->cap = cap;
    }
    if (c->n == c->units_cap) {
        size_t cap = c->units_cap ? c->units_cap * 2 : 256;
        Unit *u = realloc(c->units, cap * sizeof(*u));
        if (!u)
            return SKY_ERR(ENOMEM);
        c->units = u;
        c->units_cap = cap;
    }
    memcpy(c->data + c->len, pkt->data, (size_t)pkt->size);
    c->units[c->n++] = (Unit){c->len, (size_t)pkt->size, (pkt->flags & AV_PKT_FLAG_KEY) != 0};
    c->len += (size_t)pkt->size;
    return 0;
}

int sky_th_clip_open(SkyThClip **out, const char *path, int codec)
{
    *out = NULL;
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    SkyThClip *c = calloc(1, sizeof(*c));
    int ret = !pkt || !c ? SKY_ERR(ENOMEM) : 0;
    if (ret == 0 && (ret = avformat_open_input(&fmt, path, NULL, NULL)) == 0)
        ret = avformat_find_stream_info(fmt, NULL);
    int stream = ret < 0 ? ret : av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (ret < 0 || stream < 0) {
        SKY_LOGE(TAG, "--video-file %s: %s", path,
                 ret < 0 ? sky_strerror(ret) : "no video stream");
        ret = ret < 0 ? ret : SKY_ERR(EINVAL);
        goto done;
    }
    if (fmt->streams[stream]->codecpar->codec_id != codec_id(codec)) {
        SKY_LOGE(TAG, "--video-file %s is %s, the client asked for %s", path,
                 avcodec_get_name(fmt->streams[stream]->codecpar->codec_id),
                 avcodec_get_name(codec_id(codec)));
        ret = SKY_ERR(EINVAL);
        goto done;
    }
    while ((ret = av_read_frame(fmt, pkt)) >= 0) {
        if (pkt->stream_index == stream)
            ret = append(c, pkt);
        av_packet_unref(pkt);
        if (ret < 0)
            break;
    }
    if (ret == AVERROR_EOF)
        ret = 0;
    if (ret == 0 && (c->n == 0 || !c->units[0].keyframe)) {
        SKY_LOGE(TAG, "--video-file %s does not start with a keyframe", path);
        ret = SKY_ERR(EINVAL);
    }
    if (ret < 0) {
        if (ret != SKY_ERR(EINVAL))
            SKY_LOGE(TAG, "--video-file %s: %s", path, sky_strerror(ret));
        goto done;
    }
    SKY_LOGI(TAG, "%s: %zu access units, %zu bytes", path, c->n, c->len);
    *out = c;
    c = NULL;
done:
    sky_th_clip_free(&c);
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
    return ret;
}

void sky_th_clip_free(SkyThClip **pc)
{
    SkyThClip *c = *pc;
    if (!c)
        return;
    free(c->data);
    free(c->units);
    free(c);
    *pc = NULL;
}

void sky_th_clip_next(SkyThClip *c, bool restart, const uint8_t **data, size_t *len,
                      bool *keyframe)
{
    if (restart || c->next >= c->n)
        c->next = 0;
    const Unit *u = &c->units[c->next++];
    *data = c->data + u->off;
    *len = u->len;
    *keyframe = u->keyframe;
}
