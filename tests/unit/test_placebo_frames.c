/* Unit tests for client/render/placebo_frames: software pictures in every format the decoders
 * hand out go through the same mapping the placebo renderer uses (pl_map_avframe into reused
 * textures) and are rendered offscreen with libplacebo on OpenGL (a surfaceless EGL context:
 * Mesa's llvmpipe here, no window): the colours come out as the picture's matrix and range say.
 * And the table of hardware formats that map without a copy, and the fall-back for hardware
 * pictures that do not map: Vulkan frames (FFmpeg's Vulkan device on lavapipe) on the OpenGL
 * GPU are downloaded, right, with one log line for all of them. Without EGL the tests are
 * skipped. (Not lavapipe: libplacebo 4.208 frees objects lavapipe's queue thread still uses,
 * which valgrind shows; the renderer does not use it on a software rasterizer either.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <libplacebo/opengl.h>
#include <libplacebo/renderer.h>
#include <libplacebo/utils/libav.h>
#include <libplacebo/vulkan.h>

#include "client/render/placebo_frames.h"
#include "tests/unit/stderr_capture.h"

#define W 64
#define H 32

typedef struct Gpu {
    pl_log log;
    EGLDisplay dpy;
    EGLContext ctx;
    pl_opengl gl;
    pl_gpu gpu;
    pl_renderer rr;
    pl_tex target;
} Gpu;

/* An OpenGL 3.3 core context with no surface (Mesa's surfaceless platform). */
static bool egl_context(Gpu *g)
{
    g->dpy = eglGetPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
    if (g->dpy == EGL_NO_DISPLAY || !eglInitialize(g->dpy, NULL, NULL) ||
        !eglBindAPI(EGL_OPENGL_API))
        return false;
    static const EGLint want[] = {EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE,
                                  EGL_OPENGL_BIT, EGL_NONE};
    EGLConfig cfg;
    EGLint n = 0;
    if (!eglChooseConfig(g->dpy, want, &cfg, 1, &n) || n < 1)
        return false;
    static const EGLint attrs[] = {EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, 3,
                                   EGL_CONTEXT_OPENGL_PROFILE_MASK,
                                   EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE};
    g->ctx = eglCreateContext(g->dpy, cfg, EGL_NO_CONTEXT, attrs);
    return g->ctx != EGL_NO_CONTEXT &&
           eglMakeCurrent(g->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, g->ctx);
}

static int setup(void **state)
{
    static Gpu g;
    memset(&g, 0, sizeof(g));
    g.log = pl_log_create(PL_API_VER, pl_log_params(.log_cb = pl_log_simple,
                                                    .log_level = PL_LOG_ERR));
    if (egl_context(&g))
        g.gl = pl_opengl_create(g.log, pl_opengl_params(.allow_software = true,
                                                        .egl_display = g.dpy,
                                                        .egl_context = g.ctx));
    if (g.gl) {
        g.gpu = g.gl->gpu;
        g.rr = pl_renderer_create(g.log, g.gpu);
        pl_fmt fmt = pl_find_named_fmt(g.gpu, "rgba8");
        g.target = pl_tex_create(g.gpu, pl_tex_params(.w = W, .h = H, .format = fmt,
                                                      .renderable = true,
                                                      .host_readable = true));
    }
    *state = &g;
    return 0;
}

static int teardown(void **state)
{
    Gpu *g = *state;
    if (g->gl) {
        pl_tex_destroy(g->gpu, &g->target);
        pl_renderer_destroy(&g->rr);
        pl_opengl_destroy(&g->gl);
    }
    if (g->ctx) {
        eglMakeCurrent(g->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
        eglDestroyContext(g->dpy, g->ctx);
    }
    /* No eglTerminate: it unloads Mesa's driver, whose own leaks LeakSanitizer could then not
     * attribute (and so not suppress). */
    pl_log_destroy(&g->log);
    return 0;
}

static Gpu *gpu_or_skip(void **state)
{
    Gpu *g = *state;
    if (!g->gl || !g->rr || !g->target)
        skip(); /* no EGL or OpenGL here (libegl-mesa0, libgl1-mesa-dri give llvmpipe) */
    return g;
}

/* An 8-bit R'G'B' colour as BT.709 Y'CbCr code values at `bits`, limited or full range. */
static void ycbcr(const int rgb[3], int bits, bool full, int out[3])
{
    double r = rgb[0] / 255.0, g = rgb[1] / 255.0, b = rgb[2] / 255.0;
    double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    double cb = (b - y) / 1.8556, cr = (r - y) / 1.5748;
    double scale = (double)(1 << (bits - 8));
    if (full) {
        double max = (double)((1 << bits) - 1);
        out[0] = (int)lround(y * max);
        out[1] = (int)lround((cb + 0.5) * max);
        out[2] = (int)lround((cr + 0.5) * max);
    } else {
        out[0] = (int)lround((16 + 219 * y) * scale);
        out[1] = (int)lround((128 + 224 * cb) * scale);
        out[2] = (int)lround((128 + 224 * cr) * scale);
    }
}

static void put(uint8_t *p, int bytes, int shift, int v)
{
    if (bytes == 1) {
        *p = (uint8_t)v;
    } else {
        uint16_t w = (uint16_t)(v << shift);
        memcpy(p, &w, 2);
    }
}

/* A picture of one colour in any planar or semi-planar YUV (or GBR) format. */
static AVFrame *solid(enum AVPixelFormat fmt, const int rgb[3], bool full)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    AVFrame *f = av_frame_alloc();
    assert_non_null(f);
    f->format = fmt;
    f->width = W;
    f->height = H;
    assert_int_equal(av_frame_get_buffer(f, 0), 0);
    f->color_range = full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    f->colorspace = AVCOL_SPC_BT709;
    f->color_primaries = AVCOL_PRI_BT709;
    f->color_trc = AVCOL_TRC_BT709;
    int bits = d->comp[0].depth;
    int v[3];
    bool rgb_planes = d->flags & AV_PIX_FMT_FLAG_RGB;
    if (rgb_planes) {
        f->colorspace = AVCOL_SPC_RGB;
        for (int i = 0; i < 3; i++)
            v[i] = rgb[i] << (bits - 8);
    } else {
        ycbcr(rgb, bits, full, v);
    }
    for (int c = 0; c < d->nb_components; c++) {
        const AVComponentDescriptor *cd = &d->comp[c];
        int cw = c == 0 || rgb_planes ? W : AV_CEIL_RSHIFT(W, d->log2_chroma_w);
        int ch = c == 0 || rgb_planes ? H : AV_CEIL_RSHIFT(H, d->log2_chroma_h);
        int bytes = (cd->depth + cd->shift + 7) / 8;
        /* (GBR formats describe R, G, B as components 0, 1, 2, in planes 2, 0, 1.) */
        int value = v[c];
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++)
                put(f->data[cd->plane] + (size_t)y * f->linesize[cd->plane] + cd->offset +
                        (size_t)x * cd->step,
                    bytes, cd->shift, value);
    }
    return f;
}

/* Maps, renders 1:1 to an RGBA8 target that stands for an SDR monitor (as the swapchain does)
 * and reads the centre pixel. */
static void render(Gpu *g, SkyPlaceboFrames *pf, const AVFrame *f, uint8_t out[4])
{
    struct pl_frame img;
    assert_true(sky_placebo_frames_map(pf, f, &img));
    struct pl_frame target = {
        .num_planes = 1,
        .planes = {{.texture = g->target, .components = 4, .component_mapping = {0, 1, 2, 3}}},
        .repr = pl_color_repr_rgb,
        .color = pl_color_space_monitor,
    };
    assert_true(pl_render_image(g->rr, &img, &target, &pl_render_fast_params));
    pl_unmap_avframe(g->gpu, &img);
    static uint8_t px[W * H * 4];
    assert_true(pl_tex_download(g->gpu, pl_tex_transfer_params(.tex = g->target, .ptr = px)));
    memcpy(out, px + ((H / 2) * W + W / 2) * 4, 4);
}

static void test_software_formats(void **state)
{
    Gpu *g = gpu_or_skip(state);
    SkyPlaceboFrames pf;
    assert_int_equal(sky_placebo_frames_init(&pf, g->gpu), 0);
    /* What the software and hardware decoders hand out (downloaded hardware pictures are NV12
     * or P010). */
    static const enum AVPixelFormat fmts[] = {
        AV_PIX_FMT_YUV420P, AV_PIX_FMT_NV12,      AV_PIX_FMT_P010LE,  AV_PIX_FMT_YUV420P10LE,
        AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUV444P10LE, AV_PIX_FMT_GBRP,  AV_PIX_FMT_YUV422P,
    };
    static const int colours[][3] = {{180, 40, 60}, {30, 160, 210}, {128, 128, 128}};
    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        bool rgb = av_pix_fmt_desc_get(fmts[i])->flags & AV_PIX_FMT_FLAG_RGB;
        for (int full = rgb; full < 2; full++) { /* RGB pictures are full range */
            for (size_t c = 0; c < sizeof(colours) / sizeof(colours[0]); c++) {
                AVFrame *f = solid(fmts[i], colours[c], full);
                uint8_t got[4];
                render(g, &pf, f, got);
                for (int k = 0; k < 3; k++)
                    if (abs(got[k] - colours[c][k]) > 2)
                        fail_msg("%s %s range: (%d, %d, %d) came out (%d, %d, %d)",
                                 av_get_pix_fmt_name(fmts[i]), full ? "full" : "limited",
                                 colours[c][0], colours[c][1], colours[c][2], got[0], got[1],
                                 got[2]);
                av_frame_free(&f);
            }
        }
        /* Software pictures are never "taken": they are uploaded. */
        assert_false(sky_placebo_frames_takes(&pf, fmts[i]));
    }
    sky_placebo_frames_cleanup(&pf);
}

static void test_hardware_table(void **state)
{
    Gpu *g = gpu_or_skip(state);
    pl_gpu gpu = g->gpu;
    bool dmabuf = (gpu->import_caps.tex & PL_HANDLE_DMA_BUF) != 0;
    assert_int_equal(sky_placebo_maps_hw_format(gpu, AV_PIX_FMT_VAAPI), dmabuf);
    assert_int_equal(sky_placebo_maps_hw_format(gpu, AV_PIX_FMT_DRM_PRIME), dmabuf);
    assert_false(sky_placebo_maps_hw_format(gpu, AV_PIX_FMT_VULKAN)); /* not its VkDevice */
    assert_false(sky_placebo_maps_hw_format(gpu, AV_PIX_FMT_CUDA));
    assert_false(sky_placebo_maps_hw_format(gpu, AV_PIX_FMT_VDPAU));
    assert_false(sky_placebo_maps_hw_format(gpu, AV_PIX_FMT_NV12));
    SkyPlaceboFrames pf;
    assert_int_equal(sky_placebo_frames_init(&pf, gpu), 0);
    assert_int_equal(sky_placebo_frames_takes(&pf, AV_PIX_FMT_DRM_PRIME), dmabuf);
    pf.hw_broken = true; /* after a failed mapping, everything is downloaded */
    assert_false(sky_placebo_frames_takes(&pf, AV_PIX_FMT_DRM_PRIME));
    assert_false(sky_placebo_frames_takes(&pf, AV_PIX_FMT_VAAPI));
    sky_placebo_frames_cleanup(&pf);
}

static int count(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* Hardware pictures the GPU cannot map are downloaded and shown right, with one warning for all
 * of them, and from then on not "taken" (the renderer downloads them first). */
static void test_unmappable_hw_falls_back_once(void **state)
{
    Gpu *g = gpu_or_skip(state);
    AVBufferRef *dev = NULL;
    if (av_hwdevice_ctx_create(&dev, AV_HWDEVICE_TYPE_VULKAN, NULL, NULL, 0) < 0)
        skip(); /* no Vulkan device for FFmpeg here (mesa-vulkan-drivers has lavapipe) */
    AVBufferRef *frames = av_hwframe_ctx_alloc(dev);
    assert_non_null(frames);
    AVHWFramesContext *fc = (AVHWFramesContext *)frames->data;
    fc->format = AV_PIX_FMT_VULKAN;
    fc->sw_format = AV_PIX_FMT_NV12;
    fc->width = W;
    fc->height = H;
    assert_int_equal(av_hwframe_ctx_init(frames), 0);
    static const int colour[3] = {180, 40, 60};
    AVFrame *sw = solid(AV_PIX_FMT_NV12, colour, false);
    AVFrame *hw = av_frame_alloc();
    assert_non_null(hw);
    assert_int_equal(av_hwframe_get_buffer(frames, hw, 0), 0);
    assert_int_equal(av_hwframe_transfer_data(hw, sw, 0), 0);
    assert_int_equal(av_frame_copy_props(hw, sw), 0);

    SkyPlaceboFrames pf;
    assert_int_equal(sky_placebo_frames_init(&pf, g->gpu), 0);
    tstderr_begin();
    uint8_t got[3][4];
    for (int i = 0; i < 3; i++)
        render(g, &pf, hw, got[i]);
    const char *log = tstderr_end();
    assert_int_equal(count(log, "cannot be mapped"), 1);
    assert_int_equal(count(log, "\n"), 1); /* and nothing else, once per picture */
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++)
            if (abs(got[i][k] - colour[k]) > 2)
                fail_msg("downloaded picture %d: (%d, %d, %d), expected (%d, %d, %d)", i,
                         got[i][0], got[i][1], got[i][2], colour[0], colour[1], colour[2]);
    assert_false(sky_placebo_frames_takes(&pf, AV_PIX_FMT_VULKAN));
    sky_placebo_frames_cleanup(&pf);
    av_frame_free(&hw);
    av_frame_free(&sw);
    av_buffer_unref(&frames);
    av_buffer_unref(&dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_software_formats),
        cmocka_unit_test(test_hardware_table),
        cmocka_unit_test(test_unmappable_hw_falls_back_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
