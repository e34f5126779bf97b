/* Box art without a host (client/host/boxart.c): the cache path, the checks a picture passes
 * before it is shown or cached, the cache directory (client/fsutil.c). The pictures come from
 * the test host's encoder (tests/host/png.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <cmocka.h>

#include "client/fsutil.h"
#include "client/host/boxart.h"
#include "common/core/error.h"
#include "tests/host/png.h"

static void test_path(void **state)
{
    (void)state;
    char p[64];
    assert_int_equal(sky_boxart_path("/c", "AB-12", 4294967295u, p, sizeof(p)), 0);
    assert_string_equal(p, "/c/boxart/AB-12/4294967295.png");
    /* The unique id comes from the host: never a path of its own. */
    assert_int_equal(sky_boxart_path("/c", "../x", 1, p, sizeof(p)), SKY_ERR(EINVAL));
    assert_int_equal(sky_boxart_path("/c", "a/b", 1, p, sizeof(p)), SKY_ERR(EINVAL));
    assert_int_equal(sky_boxart_path("/c", "..", 1, p, sizeof(p)), SKY_ERR(EINVAL));
    assert_int_equal(sky_boxart_path("/c", "", 1, p, sizeof(p)), SKY_ERR(EINVAL));
    assert_int_equal(sky_boxart_path("/c", "AB", 1, p, 12), SKY_ERR(ENAMETOOLONG));
}

static void test_decode(void **state)
{
    (void)state;
    static const uint8_t rgb[3] = {10, 20, 30};
    uint8_t *png = NULL;
    size_t len = 0;
    uint32_t w = 1, h = 1;
    char err[200];
    SDL_Surface *s = NULL;
    assert_int_equal(sky_th_png_solid(7, 5, rgb, &png, &len), 0);
    assert_int_equal(sky_boxart_decode(png, len, &w, &h, &s, err, sizeof(err)), 0);
    assert_int_equal(w, 7);
    assert_int_equal(h, 5);
    assert_non_null(s);
    assert_int_equal(s->w, 7);
    uint32_t px = 0; /* the first pixel, read through the surface's format */
    uint8_t r, g, b;
    memcpy(&px, s->pixels, s->format->BytesPerPixel);
    SDL_GetRGB(px, s->format, &r, &g, &b);
    assert_int_equal(r, 10);
    assert_int_equal(g, 20);
    assert_int_equal(b, 30);
    SDL_FreeSurface(s);
    assert_int_equal(sky_boxart_decode(png, len, &w, &h, NULL, err, sizeof(err)), 0);

    /* Truncated: the header is fine, the pixels are not there. */
    assert_int_equal(sky_boxart_decode(png, len / 2, &w, &h, &s, err, sizeof(err)),
                     SKY_ERR(EBADMSG));
    assert_null(s);
    assert_int_equal(w, 0);
    assert_non_null(strstr(err, "does not decode"));
    /* Not a PNG at all, or empty. */
    assert_int_equal(sky_boxart_decode("GIF89a", 6, &w, &h, &s, err, sizeof(err)),
                     SKY_ERR(EBADMSG));
    assert_string_equal(err, "not a PNG picture");
    assert_int_equal(sky_boxart_decode("", 0, &w, &h, NULL, err, sizeof(err)), SKY_ERR(EBADMSG));
    /* Too many bytes: refused before anything is read. */
    assert_int_equal(sky_boxart_decode(png, SKY_BOXART_MAX_BYTES + 1, &w, &h, NULL, err,
                                       sizeof(err)),
                     SKY_ERR(EBADMSG));
    free(png);

    /* Too many pixels: refused from the header, before decoding (a real 4097x1 picture, and a
     * header that claims 100000x100000 over a 1x1 picture's data). */
    assert_int_equal(sky_th_png_solid(SKY_BOXART_MAX_SIDE + 1, 1, rgb, &png, &len), 0);
    assert_int_equal(sky_boxart_decode(png, len, &w, &h, NULL, err, sizeof(err)),
                     SKY_ERR(EBADMSG));
    assert_string_equal(err, "4097x1 pixels (at most 4096x4096)");
    free(png);
    assert_int_equal(sky_th_png_solid(1, 1, rgb, &png, &len), 0);
    static const uint8_t big[8] = {0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0};
    memcpy(png + 16, big, sizeof(big));
    assert_int_equal(sky_boxart_decode(png, len, &w, &h, NULL, err, sizeof(err)),
                     SKY_ERR(EBADMSG));
    assert_string_equal(err, "100000x100000 pixels (at most 4096x4096)");
    free(png);
}

static void test_cache_dir(void **state)
{
    (void)state;
    char d[64];
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    setenv("HOME", "/home/u", 1);
    assert_int_equal(sky_cache_dir(d, sizeof(d)), 0);
    assert_string_equal(d, "/x/cache/skylight");
    setenv("XDG_CACHE_HOME", "relative", 1); /* the XDG spec: ignored unless absolute */
    assert_int_equal(sky_cache_dir(d, sizeof(d)), 0);
    assert_string_equal(d, "/home/u/.cache/skylight");
    unsetenv("XDG_CACHE_HOME");
    assert_int_equal(sky_cache_dir(d, 8), SKY_ERR(ENAMETOOLONG));
    unsetenv("HOME");
    assert_int_equal(sky_cache_dir(d, sizeof(d)), SKY_ERR(ENOENT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_cache_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
