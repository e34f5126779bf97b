/* Unit tests of client/ui/canvas: sizes follow the window, fills blend and round their
 * corners, focus frames, text cleaned of control characters and cut with an ellipsis to its
 * box, pictures fitted with their aspect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/ui/canvas.h"

static const uint8_t *px(const SkyCanvas *c, int x, int y)
{
    return (const uint8_t *)c->surface->pixels + (size_t)y * c->surface->pitch + (size_t)x * 4;
}

static void assert_px(const SkyCanvas *c, int x, int y, int r, int g, int b, int a)
{
    const uint8_t *p = px(c, x, y);
    if (p[0] != r || p[1] != g || p[2] != b || p[3] != a)
        fail_msg("pixel (%d,%d) is %d,%d,%d,%d, expected %d,%d,%d,%d", x, y, p[0], p[1], p[2],
                 p[3], r, g, b, a);
}

static int setup(void **state)
{
    (void)state;
    return TTF_Init();
}

static int teardown(void **state)
{
    (void)state;
    TTF_Quit();
    return 0;
}

static void test_sizes(void **state)
{
    (void)state;
    SkyCanvas *c = NULL;
    assert_int_equal(sky_canvas_create(&c, 1920, 1080), 0);
    assert_int_equal(c->unit, 20);
    assert_int_equal(c->surface->w, 1920);
    assert_int_equal(sky_canvas_resize(c, 1280, 800), 0);
    assert_int_equal(c->unit, 14);
    assert_int_equal(c->surface->h, 800);
    assert_int_equal(sky_canvas_resize(c, 3840, 2160), 0);
    assert_int_equal(c->unit, 40);
    assert_int_equal(sky_canvas_resize(c, 1, 100000), 0); /* clamped */
    assert_int_equal(c->surface->w, 64);
    assert_int_equal(c->surface->h, 8192);
    assert_int_equal(c->unit, 8);
    sky_canvas_destroy(&c);
    assert_null(c);
    sky_canvas_destroy(&c);
}

static void test_fill_and_frame(void **state)
{
    (void)state;
    SkyCanvas *c = NULL;
    assert_int_equal(sky_canvas_create(&c, 200, 100), 0);
    sky_canvas_clear(c, 0x000000ff);
    assert_px(c, 0, 0, 0, 0, 0, 255);
    sky_canvas_fill(c, (SDL_Rect){10, 10, 40, 30}, 0, 0xff8000ff);
    assert_px(c, 10, 10, 255, 128, 0, 255);
    assert_px(c, 49, 39, 255, 128, 0, 255);
    assert_px(c, 50, 39, 0, 0, 0, 255);
    /* Half-transparent white over black: mid grey. */
    sky_canvas_fill(c, (SDL_Rect){100, 10, 20, 20}, 0, 0xffffff80);
    assert_px(c, 110, 20, 128, 128, 128, 255);
    /* Rounded: the corner pixel stays, the middle of the edge is filled. */
    sky_canvas_fill(c, (SDL_Rect){10, 50, 60, 40}, 10, 0x00ff00ff);
    assert_px(c, 10, 50, 0, 0, 0, 255);
    assert_px(c, 40, 50, 0, 255, 0, 255);
    assert_px(c, 10, 70, 0, 255, 0, 255);
    /* Off the canvas: clipped, no crash. */
    sky_canvas_fill(c, (SDL_Rect){-50, -50, 400, 300}, 20, 0x0000ff40);
    sky_canvas_fill(c, (SDL_Rect){150, 90, 0, 0}, 5, 0xffffffff);
    /* A frame leaves its inside alone. */
    sky_canvas_clear(c, 0x000000ff);
    sky_canvas_frame(c, (SDL_Rect){100, 20, 60, 60}, 8, 3, 0xffffffff);
    assert_px(c, 130, 20, 255, 255, 255, 255);
    assert_px(c, 130, 22, 255, 255, 255, 255);
    assert_px(c, 130, 23, 0, 0, 0, 255);
    assert_px(c, 100, 50, 255, 255, 255, 255);
    assert_px(c, 130, 50, 0, 0, 0, 255);
    assert_px(c, 159, 50, 255, 255, 255, 255);
    sky_canvas_destroy(&c);
}

static void test_clean_text(void **state)
{
    (void)state;
    char out[64];
    assert_false(sky_canvas_clean_text("Desktop", out, sizeof(out), 20));
    assert_string_equal(out, "Desktop");
    /* Control characters, a stray byte, an overlong slash and a surrogate become U+FFFD. */
    assert_false(sky_canvas_clean_text("a\x1b[2Jb\xffz\xc0\xaf\xed\xa0\x80", out, sizeof(out), 20));
    /* (each byte of a bad sequence is one) */
    assert_string_equal(out, "a\xef\xbf\xbd[2Jb\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                             "\xef\xbf\xbd\xef\xbf\xbd");
    /* Kept: multi-byte characters. Cut at max_chars. */
    assert_true(sky_canvas_clean_text("\xc3\xa9t\xc3\xa9 \xe2\x9c\x93 long", out, sizeof(out), 5));
    assert_string_equal(out, "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93");
    assert_false(sky_canvas_clean_text(NULL, out, sizeof(out), 5));
    assert_string_equal(out, "");
}

static void test_text(void **state)
{
    (void)state;
    SkyCanvas *c = NULL;
    assert_int_equal(sky_canvas_create(&c, 640, 360), 0);
    sky_canvas_clear(c, 0x000000ff);
    SDL_Rect box = {10, 10, 300, 40};
    int w = sky_canvas_text(c, SKY_FONT_BODY, "Desktop", box, SKY_ALIGN_LEFT, 0xffffffff);
    assert_true(w > 0 && w < 300);
    /* Something was drawn inside the box, nothing outside it. */
    int lit = 0, outside = 0;
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 640; x++) {
            bool in = x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h;
            if (px(c, x, y)[0] > 128)
                in ? lit++ : outside++;
        }
    assert_true(lit > 20);
    assert_int_equal(outside, 0);
    /* Far too long, with control characters: cut to the box. */
    char lng[2000];
    memset(lng, 'W', sizeof(lng) - 1);
    lng[sizeof(lng) - 1] = '\0';
    lng[5] = '\n';
    SDL_Rect small = {10, 60, 120, 40};
    w = sky_canvas_text(c, SKY_FONT_TITLE, lng, small, SKY_ALIGN_CENTRE, 0xffffffff);
    assert_true(w > 0 && w <= 120);
    /* Empty text draws nothing. */
    assert_int_equal(sky_canvas_text(c, SKY_FONT_HUGE, "", small, SKY_ALIGN_RIGHT, 0xffffffff), 0);
    sky_canvas_destroy(&c);
}

static void test_image(void **state)
{
    (void)state;
    SkyCanvas *c = NULL;
    assert_int_equal(sky_canvas_create(&c, 200, 200), 0);
    sky_canvas_clear(c, 0x000000ff);
    /* A 2:1 red picture into a 100x100 box: 100x50, centred vertically. */
    SDL_Surface *img = SDL_CreateRGBSurfaceWithFormat(0, 40, 20, 32, SDL_PIXELFORMAT_ARGB8888);
    assert_non_null(img);
    SDL_FillRect(img, NULL, SDL_MapRGBA(img->format, 255, 0, 0, 255));
    sky_canvas_image(c, img, (SDL_Rect){50, 50, 100, 100});
    assert_px(c, 100, 100, 255, 0, 0, 255);
    assert_px(c, 50, 76, 255, 0, 0, 255);
    assert_px(c, 100, 74, 0, 0, 0, 255);
    assert_px(c, 100, 125, 0, 0, 0, 255);
    sky_canvas_image(c, NULL, (SDL_Rect){0, 0, 10, 10});
    sky_canvas_image(c, img, (SDL_Rect){0, 0, 0, 10});
    SDL_FreeSurface(img);
    sky_canvas_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),      cmocka_unit_test(test_fill_and_frame),
        cmocka_unit_test(test_clean_text), cmocka_unit_test(test_text),
        cmocka_unit_test(test_image),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
