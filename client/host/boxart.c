/* Box art: fetched from the host, checked, cached on disk (boxart.h). */
#include "client/host/boxart.h"

#include <SDL.h>
#include <SDL_image.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/fsutil.h"
#include "common/core/bytes.h"
#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "boxart"

static const uint8_t k_png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

int sky_boxart_path(const char *cache_dir, const char *uniqueid, uint32_t appid, char *out,
                    size_t cap)
{
    if (!sky_hosts_uniqueid_ok(uniqueid))
        return SKY_ERR(EINVAL);
    int n = snprintf(out, cap, "%s/boxart/%s/%" PRIu32 ".png", cache_dir, uniqueid, appid);
    return n < 0 || (size_t)n >= cap ? SKY_ERR(ENAMETOOLONG) : 0;
}

/* The size in the PNG's header: the signature, then IHDR first, width and height first in it. */
static bool png_size(const void *png, size_t len, uint32_t *w, uint32_t *h)
{
    SkyReader rd = sky_rd_init(png, len);
    const uint8_t *sig, *type;
    uint32_t ihdr_len;
    return sky_rd_view(&rd, &sig, sizeof(k_png_signature)) &&
           memcmp(sig, k_png_signature, sizeof(k_png_signature)) == 0 &&
           sky_rd_u32be(&rd, &ihdr_len) && ihdr_len == 13 && sky_rd_view(&rd, &type, 4) &&
           memcmp(type, "IHDR", 4) == 0 && sky_rd_u32be(&rd, w) && sky_rd_u32be(&rd, h);
}

int sky_boxart_decode(const void *png, size_t len, uint32_t *width, uint32_t *height,
                      SDL_Surface **surface, char *err, size_t errlen)
{
    uint32_t w = 0, h = 0;
    if (surface)
        *surface = NULL;
    *width = *height = 0;
    if (len > SKY_BOXART_MAX_BYTES) {
        snprintf(err, errlen, "larger than %u MiB", SKY_BOXART_MAX_BYTES >> 20);
        return SKY_ERR(EBADMSG);
    }
    if (!png_size(png, len, &w, &h)) {
        snprintf(err, errlen, "not a PNG picture");
        return SKY_ERR(EBADMSG);
    }
    if (w == 0 || h == 0 || w > SKY_BOXART_MAX_SIDE || h > SKY_BOXART_MAX_SIDE) {
        snprintf(err, errlen, "%" PRIu32 "x%" PRIu32 " pixels (at most %ux%u)", w, h,
                 SKY_BOXART_MAX_SIDE, SKY_BOXART_MAX_SIDE);
        return SKY_ERR(EBADMSG);
    }
    SDL_RWops *rw = SDL_RWFromConstMem(png, (int)len);
    SDL_Surface *s = rw ? IMG_LoadPNG_RW(rw) : NULL;
    if (rw)
        SDL_RWclose(rw);
    if (!s || (uint32_t)s->w != w || (uint32_t)s->h != h) {
        snprintf(err, errlen, "the PNG does not decode: %s", s ? "wrong size" : IMG_GetError());
        SDL_FreeSurface(s);
        return SKY_ERR(EBADMSG);
    }
    *width = w;
    *height = h;
    if (surface)
        *surface = s;
    else
        SDL_FreeSurface(s);
    return 0;
}

void sky_boxart_clear(SkyBoxArt *art)
{
    free(art->png);
    SDL_FreeSurface(art->surface);
    memset(art, 0, sizeof(*art));
}

/* Fills art from the bytes in png (taken over, freed on failure). */
static int take(SkyBoxArt *art, uint8_t *png, size_t len, bool decode, char *err, size_t errlen)
{
    int ret = sky_boxart_decode(png, len, &art->width, &art->height,
                                decode ? &art->surface : NULL, err, errlen);
    if (ret < 0) {
        free(png);
        return ret;
    }
    art->png = png;
    art->png_len = len;
    return 0;
}

/* From the cache: 0, or SKY_ERR(ENOENT) when there is nothing usable (a broken file is
 * deleted). */
static int from_cache(const char *path, bool decode, SkyBoxArt *art)
{
    char *data = NULL, why[200];
    size_t len = 0;
    int ret = sky_read_file(path, SKY_BOXART_MAX_BYTES, &data, &len);
    if (ret == 0)
        ret = take(art, (uint8_t *)data, len, decode, why, sizeof(why));
    else
        snprintf(why, sizeof(why), "%s", sky_strerror(ret));
    if (ret == 0) {
        art->from_cache = true;
        return 0;
    }
    if (ret != SKY_ERR(ENOENT)) {
        SKY_LOGW(TAG, "%s: %s; fetching it again", path, why);
        unlink(path);
    }
    return SKY_ERR(ENOENT);
}

static void to_cache(const char *path, const SkyBoxArt *art)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int ret = sky_mkdirs(dir, 0700);
    if (ret == 0)
        ret = sky_write_file_atomic(path, art->png, art->png_len, 0644);
    if (ret < 0)
        SKY_LOGW(TAG, "cannot cache %s: %s", path, sky_strerror(ret));
}

int sky_boxart_get(SkyHostClient *hc, const char *cache_dir, uint32_t appid, bool decode,
                   SkyBoxArt *out, char *err, size_t errlen)
{
    char path[4096], why[300];
    memset(out, 0, sizeof(*out));
    const char *host = sky_host_client_address(hc);
    if (!sky_host_client_paired(hc)) {
        snprintf(err, errlen, "not paired with %s: run 'skylight pair' first", host);
        return SKY_ERR(EACCES);
    }
    int ret = sky_boxart_path(cache_dir, sky_host_client_info(hc)->uniqueid, appid, path,
                              sizeof(path));
    if (ret < 0) {
        snprintf(err, errlen, "no cache file name for %s's app %" PRIu32, host, appid);
        return ret;
    }
    if (from_cache(path, decode, out) == 0) {
        SKY_LOGV(TAG, "app %" PRIu32 " of %s: %s", appid, host, path);
        return 0;
    }
    SkyHttpResponse resp;
    ret = sky_host_client_appasset(hc, appid, SKY_BOXART_MAX_BYTES, &resp, err, errlen);
    if (ret == SKY_ERR(EPROTO) || (ret == 0 && resp.len == 0)) {
        if (ret == 0)
            snprintf(err, errlen, "%s has no box art for app %" PRIu32 " (an empty reply)", host,
                     appid);
        else
            snprintf(err, errlen, "%s has no box art for app %" PRIu32 " (HTTP %ld)", host,
                     appid, resp.status);
        sky_http_response_free(&resp);
        return SKY_ERR(ENOENT);
    }
    if (ret == SKY_ERR(E2BIG)) {
        snprintf(err, errlen, "the box art of app %" PRIu32 " on %s is broken: larger than %u MiB",
                 appid, host, SKY_BOXART_MAX_BYTES >> 20);
        return SKY_ERR(EBADMSG);
    }
    if (ret < 0)
        return ret;
    ret = take(out, (uint8_t *)resp.body, resp.len, decode, why, sizeof(why));
    resp.body = NULL; /* taken */
    if (ret < 0) {
        snprintf(err, errlen, "the box art of app %" PRIu32 " on %s is broken: %s", appid, host,
                 why);
        return ret;
    }
    to_cache(path, out);
    return 0;
}
