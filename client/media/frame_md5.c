/* --frame-md5: the MD5 of every decoded picture in ffmpeg's framemd5 format (frame_md5.h). */
#include "client/media/frame_md5.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/imgutils.h>
#include <libavutil/md5.h>
#include <libavutil/pixdesc.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "md5"

struct SkyFrameMd5 {
    /* Used by the decoder thread only, after open. */
    FILE *f;
    struct AVMD5 *md5;
    AVRational tb;
    int last_w, last_h;
    int error;
};

int sky_frame_md5_open(SkyFrameMd5 **out, const char *path, AVRational tb)
{
    *out = NULL;
    SkyFrameMd5 *m = calloc(1, sizeof(*m));
    if (!m)
        return SKY_ERR(ENOMEM);
    m->md5 = av_md5_alloc();
    if (!m->md5) {
        free(m);
        return SKY_ERR(ENOMEM);
    }
    m->f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!m->f) {
        int err = SKY_ERR(errno);
        SKY_LOGE(TAG, "cannot write %s: %s", path, sky_strerror(err));
        av_free(m->md5);
        free(m);
        return err;
    }
    m->tb = tb.num > 0 && tb.den > 0 ? tb : (AVRational){1, 1000000};
    fprintf(m->f, "#format: frame checksums\n#version: 2\n#hash: MD5\n");
    *out = m;
    return 0;
}

static void header(SkyFrameMd5 *m, const AVFrame *frame)
{
    /* ffmpeg prints one header; we repeat the dimensions line when the size changes, as a
     * comment, so the file stays readable by the same tools. */
    if (m->last_w == 0) {
        fprintf(m->f, "#tb 0: %d/%d\n#media_type 0: video\n#codec_id 0: rawvideo\n", m->tb.num,
                m->tb.den);
        fprintf(m->f, "#dimensions 0: %dx%d\n#sar 0: %d/%d\n", frame->width, frame->height,
                frame->sample_aspect_ratio.num ? frame->sample_aspect_ratio.num : 0,
                frame->sample_aspect_ratio.num ? frame->sample_aspect_ratio.den : 1);
        fprintf(m->f, "#stream#, dts,        pts, duration,     size, hash\n");
    } else {
        fprintf(m->f, "#dimensions 0: %dx%d\n", frame->width, frame->height);
    }
    m->last_w = frame->width;
    m->last_h = frame->height;
}

int sky_frame_md5_write(SkyFrameMd5 *m, const AVFrame *frame, int64_t pts, int64_t duration)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(frame->format);
    if (!desc || (desc->flags & AV_PIX_FMT_FLAG_HWACCEL))
        return SKY_ERR(EINVAL);
    if (frame->width != m->last_w || frame->height != m->last_h)
        header(m, frame);

    int linesizes[4];
    if (av_image_fill_linesizes(linesizes, frame->format, frame->width) < 0)
        return SKY_ERR(EINVAL);
    int planes = av_pix_fmt_count_planes(frame->format);
    int size = 0;
    av_md5_init(m->md5);
    for (int p = 0; p < planes; p++) {
        int h = frame->height;
        if (p == 1 || p == 2)
            h = AV_CEIL_RSHIFT(frame->height, desc->log2_chroma_h);
        const uint8_t *row = frame->data[p];
        for (int y = 0; y < h; y++) {
            av_md5_update(m->md5, row, (size_t)linesizes[p]);
            row += frame->linesize[p];
        }
        size += linesizes[p] * h;
    }
    uint8_t digest[16];
    av_md5_final(m->md5, digest);
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (fprintf(m->f, "0, %10" PRId64 ", %10" PRId64 ", %8" PRId64 ", %8d, %s\n", pts, pts,
                duration, size, hex) < 0 &&
        !m->error)
        m->error = SKY_ERR(EIO);
    return m->error;
}

int sky_frame_md5_close(SkyFrameMd5 **pm)
{
    SkyFrameMd5 *m = *pm;
    if (!m)
        return 0;
    int err = m->error;
    if (m->f == stdout) {
        if (fflush(m->f) != 0 && !err)
            err = SKY_ERR(EIO);
    } else if (fclose(m->f) != 0 && !err) {
        err = SKY_ERR(EIO);
    }
    if (err < 0)
        SKY_LOGE(TAG, "writing the frame checksums failed: %s", sky_strerror(err));
    av_free(m->md5);
    free(m);
    *pm = NULL;
    return err;
}
