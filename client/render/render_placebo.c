/* The `placebo` renderer driver: libplacebo on a Vulkan swapchain on the SDL window (Debian 12's
 * libplacebo 4.208), or on OpenGL where Vulkan does not work. Pictures are mapped with
 * pl_map_avframe (hardware frames without a copy where libplacebo can import them: VAAPI and
 * DRM PRIME as dma-bufs, Vulkan frames; software frames uploaded into reused textures), drawn
 * letterboxed with their own colour signalling (matrix, range, primaries, transfer, bit depth,
 * chroma siting), HDR either passed to an HDR swapchain or tone-mapped to SDR, and the overlay
 * drawn over them (driver.h). Runs on the render thread after `open`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_vulkan.h>
#include <libavutil/pixdesc.h>
#include <libplacebo/opengl.h>
#include <libplacebo/renderer.h>
#include <libplacebo/utils/libav.h>
#include <libplacebo/vulkan.h>

#include "client/render/driver.h"
#include "client/render/placebo_frames.h"
#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "placebo"
#define MAX_INSTANCE_EXTENSIONS 16

typedef struct Placebo {
    pl_log log;
    SDL_Window *window;
    bool vsync;
    /* Vulkan. */
    pl_vk_inst inst;
    VkSurfaceKHR surface;
    pl_vulkan vk;
    /* OpenGL. */
    SDL_GLContext gl_context;
    pl_opengl gl;
    bool gl_current;          /* the context is current on the drawing thread */

    pl_gpu gpu;
    pl_swapchain swapchain;
    pl_renderer renderer;
    bool software;
    SkyPlaceboFrames frames;  /* pictures to libplacebo frames */
    struct pl_render_params params;       /* params.color_map_params points at color_map */
    struct pl_color_map_params color_map;
    pl_tex overlay_tex;
    uint64_t overlay_serial;
    AVFrame *last;            /* the picture shown, for redraws */
    struct pl_color_space hint; /* what the swapchain was told the pictures are */
    struct pl_hdr_metadata host_hdr; /* the host's HDR mode message: its mastering display */
    bool host_hdr_set;
    bool frame_started;
} Placebo;

/* libplacebo's messages through our logger, a level lower: its warnings are about its own
 * choices more often than about ours. */
static void log_cb(void *priv, enum pl_log_level level, const char *msg)
{
    (void)priv;
    SkyLogLevel ours = level <= PL_LOG_ERR    ? SKY_LOG_WARN
                       : level <= PL_LOG_WARN ? SKY_LOG_VERBOSE
                                              : SKY_LOG_DEBUG;
    if ((int)ours <= (int)sky_log_get_level())
        sky_log(ours, TAG, "%s", msg);
}

static void placebo_close(void **priv)
{
    Placebo *p = *priv;
    if (!p)
        return;
    if (p->gl_context)
        SDL_GL_MakeCurrent(p->window, p->gl_context); /* this thread tears GL down */
    av_frame_free(&p->last);
    if (p->gpu)
        sky_placebo_frames_cleanup(&p->frames);
    pl_tex_destroy(p->gpu, &p->overlay_tex);
    pl_renderer_destroy(&p->renderer);
    pl_swapchain_destroy(&p->swapchain);
    pl_vulkan_destroy(&p->vk);
    if (p->surface) {
        PFN_vkDestroySurfaceKHR destroy_surface =
            (PFN_vkDestroySurfaceKHR)p->inst->get_proc_addr(p->inst->instance,
                                                            "vkDestroySurfaceKHR");
        if (destroy_surface)
            destroy_surface(p->inst->instance, p->surface, NULL);
    }
    pl_vk_inst_destroy(&p->inst);
    pl_opengl_destroy(&p->gl);
    if (p->gl_context) {
        SDL_GL_MakeCurrent(p->window, NULL);
        SDL_GL_DeleteContext(p->gl_context);
    }
    pl_log_destroy(&p->log);
    free(p);
    *priv = NULL;
}

static Placebo *placebo_new(SDL_Window *win, const SkyRenderOpts *opts)
{
    Placebo *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->window = win;
    p->vsync = opts->vsync;
    p->last = av_frame_alloc();
    p->log = pl_log_create(PL_API_VER, pl_log_params(.log_cb = log_cb, .log_level = PL_LOG_INFO));
    if (!p->last || !p->log) {
        placebo_close((void **)&p);
        return NULL;
    }
    return p;
}

/* How pictures are drawn: libplacebo's fast preset on a software rasterizer, its default one on
 * GPUs. HDR pictures on an SDR target are tone-mapped with the ITU-R BT.2390 EETF at its own knee
 * (KS = 1.5 maxLum - 0.5; libplacebo's knee offset 0.5), which leaves what lies below the knee
 * alone: mid-grey stays where an SDR display shows an 18% grey and HDR reference white
 * (203 cd/m2) comes out near SDR white. libplacebo 4.208's automatic choice (BT.2446a for
 * 1000 cd/m2 masters, a spline without mastering metadata) showed reference white at 170 of
 * 255 and mid-grey at 89 (tests/integration/test_render.py, the pq cases). */
static void set_params(Placebo *p)
{
    p->params = p->software ? pl_render_fast_params : pl_render_default_params;
    p->color_map = pl_color_map_default_params;
    p->color_map.tone_mapping_function = &pl_tone_map_bt2390;
    p->color_map.tone_mapping_param = 0.5f;
    p->params.color_map_params = &p->color_map;
}

static int finish_open(Placebo *p, void **priv)
{
    set_params(p);
    p->renderer = pl_renderer_create(p->log, p->gpu);
    if (!p->renderer || sky_placebo_frames_init(&p->frames, p->gpu) < 0) {
        placebo_close((void **)&p);
        return SKY_ERR(ENODEV);
    }
    *priv = p;
    return 0;
}

static int vulkan_open(void **priv, SDL_Window *win, const SkyRenderOpts *opts,
                       SkyDriverInfo *info)
{
    *priv = NULL;
    Placebo *p = placebo_new(win, opts);
    if (!p)
        return SKY_ERR(ENOMEM);
    unsigned n = 0;
    const char *ext[MAX_INSTANCE_EXTENSIONS];
    if (!SDL_Vulkan_GetInstanceExtensions(win, &n, NULL) || n > MAX_INSTANCE_EXTENSIONS ||
        !SDL_Vulkan_GetInstanceExtensions(win, &n, ext)) {
        SKY_LOGV(TAG, "no Vulkan for this window: %s", SDL_GetError());
        placebo_close((void **)&p);
        return SKY_ERR(ENODEV);
    }
    p->inst = pl_vk_inst_create(p->log, pl_vk_inst_params(
        .extensions = ext, .num_extensions = (int)n,
        .get_proc_addr = (PFN_vkGetInstanceProcAddr)SDL_Vulkan_GetVkGetInstanceProcAddr()));
    if (!p->inst || !SDL_Vulkan_CreateSurface(win, p->inst->instance, &p->surface)) {
        SKY_LOGV(TAG, "no Vulkan instance or surface: %s", SDL_GetError());
        placebo_close((void **)&p);
        return SKY_ERR(ENODEV);
    }
    p->vk = pl_vulkan_create(p->log, pl_vulkan_params(.instance = p->inst->instance,
                                                      .get_proc_addr = p->inst->get_proc_addr,
                                                      .surface = p->surface,
                                                      .allow_software = true));
    if (!p->vk) {
        placebo_close((void **)&p);
        return SKY_ERR(ENODEV);
    }
    p->gpu = p->vk->gpu;
    p->swapchain = pl_vulkan_create_swapchain(p->vk, pl_vulkan_swapchain_params(
        .surface = p->surface,
        .present_mode = opts->vsync ? VK_PRESENT_MODE_FIFO_KHR : VK_PRESENT_MODE_MAILBOX_KHR));
    if (!p->swapchain) {
        placebo_close((void **)&p);
        return SKY_ERR(ENODEV);
    }
    VkPhysicalDeviceProperties props;
    PFN_vkGetPhysicalDeviceProperties get_props =
        (PFN_vkGetPhysicalDeviceProperties)p->inst->get_proc_addr(p->inst->instance,
                                                                  "vkGetPhysicalDeviceProperties");
    snprintf(info->api, sizeof(info->api), "vulkan");
    if (get_props) {
        get_props(p->vk->phys_device, &props);
        snprintf(info->device, sizeof(info->device), "%.255s", props.deviceName);
        p->software = info->software = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
    }
    return finish_open(p, priv);
}

static void gl_swap(void *priv)
{
    Placebo *p = priv;
    SDL_GL_SwapWindow(p->window);
}

static int opengl_open(void **priv, SDL_Window *win, const SkyRenderOpts *opts,
                       SkyDriverInfo *info)
{
    *priv = NULL;
    Placebo *p = placebo_new(win, opts);
    if (!p)
        return SKY_ERR(ENOMEM);
    p->gl_context = SDL_GL_CreateContext(win);
    if (!p->gl_context) {
        SKY_LOGV(TAG, "no OpenGL context: %s", SDL_GetError());
        placebo_close((void **)&p);
        return SKY_ERR(ENODEV);
    }
    SDL_GL_SetSwapInterval(opts->vsync ? 1 : 0);
    p->gl = pl_opengl_create(p->log, pl_opengl_params(.allow_software = true));
    if (p->gl)
        p->swapchain = pl_opengl_create_swapchain(
            p->gl, pl_opengl_swapchain_params(.swap_buffers = gl_swap, .priv = p));
    if (!p->gl || !p->swapchain) {
        placebo_close((void **)&p);
        return SKY_ERR(ENODEV);
    }
    p->gpu = p->gl->gpu;
    snprintf(info->api, sizeof(info->api), "opengl");
    const unsigned char *(*get_string)(unsigned) =
        (const unsigned char *(*)(unsigned))SDL_GL_GetProcAddress("glGetString");
    const char *name = get_string ? (const char *)get_string(0x1F01 /* GL_RENDERER */) : NULL;
    snprintf(info->device, sizeof(info->device), "%s", name ? name : "?");
    p->software = info->software = name && (strstr(name, "llvmpipe") ||
                                            strstr(name, "softpipe") || strstr(name, "Software"));
    int ret = finish_open(p, priv);
    /* The render thread takes the context over. */
    if (ret == 0)
        SDL_GL_MakeCurrent(win, NULL);
    return ret;
}

static bool placebo_takes_format(void *priv, int fmt)
{
    Placebo *p = priv;
    return sky_placebo_frames_takes(&p->frames, fmt);
}

/* The context is the drawing thread's from its first draw until release. */
static void make_current(Placebo *p)
{
    if (p->gl_context && !p->gl_current) {
        SDL_GL_MakeCurrent(p->window, p->gl_context);
        p->gl_current = true;
    }
}

/* The host's HDR mode message (0x010e). Its values are in the message's units: chromaticity
 * in 1/50000, minimum luminance in 1/10000 cd/m2, the others in cd/m2; 0 is unknown. */
static void placebo_hdr_mode(void *priv, const SkyControlHdrMode *m)
{
    Placebo *p = priv;
    p->host_hdr_set = m->enabled && m->has_metadata;
    if (!p->host_hdr_set)
        return;
    struct pl_cie_xy *xy[] = {&p->host_hdr.prim.red, &p->host_hdr.prim.green,
                              &p->host_hdr.prim.blue, &p->host_hdr.prim.white};
    const uint16_t *src[] = {m->primaries[0], m->primaries[1], m->primaries[2], m->white_point};
    /* A host's values are not trusted: a chromaticity outside the CIE diagram's square
     * (x + y <= 1) or a black level not below the peak is unknown (0), and the picture's own
     * value stands in. */
    for (int i = 0; i < 4; i++) {
        bool ok = src[i][0] + src[i][1] <= 50000;
        *xy[i] = ok ? (struct pl_cie_xy){src[i][0] / 50000.0f, src[i][1] / 50000.0f}
                    : (struct pl_cie_xy){0};
    }
    bool lum_ok = m->min_display_luminance / 10000.0f < m->max_display_luminance;
    p->host_hdr.min_luma = lum_ok ? m->min_display_luminance / 10000.0f : 0;
    p->host_hdr.max_luma = lum_ok ? m->max_display_luminance : 0;
    p->host_hdr.max_cll = m->max_content_light_level;
    p->host_hdr.max_fall = m->max_frame_average_light_level;
}

/* A PQ or HLG picture takes the host's mastering display (GameStream hosts send it in the HDR
 * mode message; their bitstreams may carry none), with the picture's own values where the
 * message has none. */
static void apply_host_hdr(Placebo *p, struct pl_frame *img)
{
    if (!p->host_hdr_set || !pl_color_transfer_is_hdr(img->color.transfer))
        return;
    struct pl_hdr_metadata hdr = p->host_hdr;
    pl_hdr_metadata_merge(&hdr, &img->color.hdr);
    img->color.hdr = hdr;
}

/* Tells the swapchain what the pictures are, so it can pick an HDR colour space where the
 * display has one. */
static void hint_colorspace(Placebo *p, const struct pl_frame *img)
{
    struct pl_color_space want = img->color;
    if (pl_color_space_equal(&want, &p->hint))
        return;
    p->hint = want;
    pl_swapchain_colorspace_hint(p->swapchain, &want);
}

static void set_overlay(Placebo *p, const SkyOverlayImage *ov, struct pl_overlay *out,
                        struct pl_overlay_part *part)
{
    if (ov->serial != p->overlay_serial) {
        pl_fmt fmt = pl_find_named_fmt(p->gpu, "rgba8");
        bool ok = fmt && pl_tex_recreate(p->gpu, &p->overlay_tex,
                                         pl_tex_params(.w = ov->w, .h = ov->h, .format = fmt,
                                                       .sampleable = true,
                                                       .host_writable = true));
        ok = ok && pl_tex_upload(p->gpu, pl_tex_transfer_params(.tex = p->overlay_tex,
                                                                .row_pitch = ov->stride,
                                                                .ptr = (void *)ov->rgba));
        p->overlay_serial = ok ? ov->serial : 0;
    }
    /* At the window's top-left corner. Coordinates are the upright picture's: libplacebo
     * flips what it draws into a flipped framebuffer (OpenGL's) itself. */
    struct pl_rect2df dst = {0, 0, (float)ov->w, (float)ov->h};
    *part = (struct pl_overlay_part){.src = {0, 0, (float)ov->w, (float)ov->h}, .dst = dst};
    *out = (struct pl_overlay){
        .tex = p->overlay_tex,
        .mode = PL_OVERLAY_NORMAL,
        .coords = PL_OVERLAY_COORDS_DST_FRAME,
        .repr = pl_color_repr_rgb,
        .color = pl_color_space_srgb,
        .parts = part,
        .num_parts = 1,
    };
    out->repr.alpha = PL_ALPHA_INDEPENDENT;
}

static int placebo_draw(void *priv, const AVFrame *frame, int out_w, int out_h,
                        const SkyOverlayImage *ov)
{
    Placebo *p = priv;
    make_current(p);
    if (frame && frame != p->last) {
        av_frame_unref(p->last);
        if (av_frame_ref(p->last, frame) < 0)
            return SKY_ERR(ENOMEM);
    }
    int w = out_w, h = out_h;
    if (w <= 0 || h <= 0 || !pl_swapchain_resize(p->swapchain, &w, &h) || w <= 0 || h <= 0)
        return SKY_ERR(EAGAIN); /* minimised or not shown: nothing to draw on */
    struct pl_frame img = {0};
    bool have = p->last->format != AV_PIX_FMT_NONE && p->last->width > 0;
    if (have && !sky_placebo_frames_map(&p->frames, p->last, &img))
        return SKY_ERR(ENOSYS);
    if (have) {
        apply_host_hdr(p, &img);
        hint_colorspace(p, &img);
    }
    struct pl_swapchain_frame swf;
    if (!pl_swapchain_start_frame(p->swapchain, &swf)) {
        if (have)
            pl_unmap_avframe(p->gpu, &img);
        return SKY_ERR(EAGAIN);
    }
    struct pl_frame target;
    pl_frame_from_swapchain(&target, &swf);
    struct pl_overlay overlay;
    struct pl_overlay_part part;
    if (ov) {
        set_overlay(p, ov, &overlay, &part);
        if (p->overlay_tex) {
            target.overlays = &overlay;
            target.num_overlays = 1;
        }
    }
    bool ok;
    if (have) {
        int x, y, lw, lh;
        sky_render_letterbox(swf.fbo->params.w, swf.fbo->params.h, sky_render_frame_dar(p->last),
                             &x, &y, &lw, &lh);
        /* In the upright picture's coordinates, flipped framebuffer or not (set_overlay). */
        target.crop = (struct pl_rect2df){(float)x, (float)y, (float)(x + lw), (float)(y + lh)};
        ok = pl_render_image(p->renderer, &img, &target, &p->params);
        pl_unmap_avframe(p->gpu, &img);
    } else {
        pl_frame_clear_rgba(p->gpu, &target, (float[4]){0, 0, 0, 1});
        ok = target.num_overlays == 0 ||
             pl_render_image(p->renderer, NULL, &target, &pl_render_fast_params);
    }
    p->frame_started = true;
    if (!pl_swapchain_submit_frame(p->swapchain) || !ok)
        return SKY_ERR(EIO);
    return 0;
}

static int placebo_present(void *priv)
{
    Placebo *p = priv;
    if (!p->frame_started)
        return SKY_ERR(EAGAIN);
    p->frame_started = false;
    pl_swapchain_swap_buffers(p->swapchain);
    return 0;
}

static void placebo_release(void *priv)
{
    Placebo *p = priv;
    if (p->gl_context && p->gl_current) {
        pl_gpu_finish(p->gpu);
        SDL_GL_MakeCurrent(p->window, NULL);
        p->gl_current = false;
    }
}

const SkyRenderDriver sky_render_driver_placebo_vulkan = {
    .name = "placebo",
    .main_thread = false,
    .window_flags = SDL_WINDOW_VULKAN,
    .open = vulkan_open,
    .takes_format = placebo_takes_format,
    .draw = placebo_draw,
    .hdr_mode = placebo_hdr_mode,
    .present = placebo_present,
    .release = placebo_release,
    .close = placebo_close,
};

const SkyRenderDriver sky_render_driver_placebo_opengl = {
    .name = "placebo",
    .main_thread = false,
    .window_flags = SDL_WINDOW_OPENGL,
    .open = opengl_open,
    .takes_format = placebo_takes_format,
    .draw = placebo_draw,
    .hdr_mode = placebo_hdr_mode,
    .present = placebo_present,
    .release = placebo_release,
    .close = placebo_close,
};
