/* AVFrames to libplacebo frames: the hardware formats mapped without a copy, and the mapping
 * with its download fall-back (placebo_frames.h). */
#include "client/render/placebo_frames.h"

#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_vulkan.h>
#include <libavutil/pixdesc.h>
#include <libplacebo/utils/libav.h>
#include <libplacebo/vulkan.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "placebo"

static bool is_hw(int fmt)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    return d && (d->flags & AV_PIX_FMT_FLAG_HWACCEL);
}

bool sky_placebo_maps_hw_format(pl_gpu gpu, int av_pix_fmt)
{
    switch (av_pix_fmt) {
    case AV_PIX_FMT_VAAPI:     /* through DRM PRIME */
    case AV_PIX_FMT_DRM_PRIME:
        return (gpu->import_caps.tex & PL_HANDLE_DMA_BUF) != 0;
    case AV_PIX_FMT_VULKAN:
        /* Only images of libplacebo's own VkDevice can be wrapped; the decoder makes its own
         * device (sharing libplacebo's is not done yet), so its pictures are downloaded. */
        return false;
    default:                   /* CUDA, VDPAU, ...: libplacebo 4.208 has no interop for them */
        return false;
    }
}

int sky_placebo_frames_init(SkyPlaceboFrames *pf, pl_gpu gpu)
{
    *pf = (SkyPlaceboFrames){.gpu = gpu};
    pf->download = av_frame_alloc();
    return pf->download ? 0 : SKY_ERR(ENOMEM);
}

void sky_placebo_frames_cleanup(SkyPlaceboFrames *pf)
{
    for (int i = 0; i < 4; i++)
        pl_tex_destroy(pf->gpu, &pf->planes[i]);
    av_frame_free(&pf->download);
}

bool sky_placebo_frames_takes(const SkyPlaceboFrames *pf, int av_pix_fmt)
{
    return !pf->hw_broken && sky_placebo_maps_hw_format(pf->gpu, av_pix_fmt);
}

/* pl_map_avframe wraps a Vulkan picture's images without asking whose they are: an image of
 * another VkDevice must never reach it. */
static bool foreign_vulkan(pl_gpu gpu, const AVFrame *f)
{
    if (f->format != AV_PIX_FMT_VULKAN || !f->hw_frames_ctx)
        return false;
    const AVHWFramesContext *fc = (const AVHWFramesContext *)f->hw_frames_ctx->data;
    const AVVulkanDeviceContext *dev = fc->device_ctx->hwctx;
    pl_vulkan vk = pl_vulkan_get(gpu);
    return !vk || dev->act_dev != vk->device;
}

bool sky_placebo_frames_map(SkyPlaceboFrames *pf, const AVFrame *f, struct pl_frame *out)
{
    if (!foreign_vulkan(pf->gpu, f) &&
        pl_map_avframe_ex(pf->gpu, out, pl_avframe_params(.frame = f, .tex = pf->planes)))
        return true;
    if (!is_hw(f->format)) {
        if (!pf->unmappable_logged)
            SKY_LOGE(TAG, "cannot show %s pictures", av_get_pix_fmt_name(f->format));
        pf->unmappable_logged = true;
        return false;
    }
    if (!pf->hw_broken)
        SKY_LOGW(TAG, "%s pictures cannot be mapped here: copying them through system memory",
                 av_get_pix_fmt_name(f->format));
    pf->hw_broken = true;
    av_frame_unref(pf->download);
    if (av_hwframe_transfer_data(pf->download, f, 0) < 0 ||
        av_frame_copy_props(pf->download, f) < 0)
        return false;
    return pl_map_avframe_ex(pf->gpu, out,
                             pl_avframe_params(.frame = pf->download, .tex = pf->planes));
}
