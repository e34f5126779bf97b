/* Decoded pictures (AVFrames) to libplacebo frames, for the placebo renderer: which hardware
 * pixel formats libplacebo maps without a copy on a given GPU, and the mapping itself, with a
 * fall-back that downloads a hardware picture once mapping it has failed (said once in the log,
 * then every later hardware picture is downloaded: never a failure per picture).
 *
 * One thread uses a SkyPlaceboFrames (the drawing thread). */
#ifndef SKY_CLIENT_RENDER_PLACEBO_FRAMES_H
#define SKY_CLIENT_RENDER_PLACEBO_FRAMES_H

#include <stdbool.h>

#include <libavutil/frame.h>
#include <libplacebo/gpu.h>
#include <libplacebo/renderer.h>

/* Whether pictures in av_pix_fmt, a hardware format, map on gpu without a copy: VAAPI and DRM
 * PRIME where the GPU imports dma-bufs, Vulkan frames on a Vulkan GPU. Software formats:
 * false (they are uploaded, never "taken"). */
bool sky_placebo_maps_hw_format(pl_gpu gpu, int av_pix_fmt);

typedef struct SkyPlaceboFrames {
    pl_gpu gpu;
    pl_tex planes[4];     /* upload targets, reused from picture to picture */
    AVFrame *download;    /* a hardware picture that could not be mapped */
    bool hw_broken;       /* mapping a hardware picture failed: download them all */
    bool unmappable_logged;
} SkyPlaceboFrames;

/* Returns 0 or SKY_ERR(ENOMEM). */
int sky_placebo_frames_init(SkyPlaceboFrames *pf, pl_gpu gpu);
void sky_placebo_frames_cleanup(SkyPlaceboFrames *pf);

/* Maps f into *out (colour from f's own signalling); undo with pl_unmap_avframe. Returns false
 * for a picture that cannot be shown at all (logged once). */
bool sky_placebo_frames_map(SkyPlaceboFrames *pf, const AVFrame *f, struct pl_frame *out);
/* Whether hardware pictures in av_pix_fmt are still mapped rather than downloaded. */
bool sky_placebo_frames_takes(const SkyPlaceboFrames *pf, int av_pix_fmt);

#endif
