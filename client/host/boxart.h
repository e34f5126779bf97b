/* Box art: an app's picture from its host (/appasset, over HTTPS with the client certificate),
 * checked and cached on disk, for the launcher's app grid and `skylight boxart`.
 *
 * Cache: <cache dir>/boxart/<host uniqueid>/<appid>.png (client/fsutil.h's sky_cache_dir),
 * written atomically and only after the picture decoded. A cached file is used without asking
 * the host again; one that no longer decodes is deleted and fetched again. Nothing is
 * remembered of a host that has no box art or sends a broken one: the next call asks again
 * (at most SKY_BOXART_MAX_BYTES each time), so art added on the host later shows up; a caller
 * that lists apps often keeps its own "none" per app for as long as it shows them.
 *
 * Only PNG is accepted (Sunshine sends nothing else, and the cache file is a .png). A picture
 * over SKY_BOXART_MAX_BYTES, or over SKY_BOXART_MAX_SIDE pixels a side (read from its header,
 * before anything is decoded), is broken.
 *
 * Threads: synchronous; any thread may call these, each with its own SkyHostClient. Decoding
 * uses SDL_image: call IMG_Init(IMG_INIT_PNG) once before threads use it (a build of SDL_image
 * that loads libpng at run time does so there, unsynchronised). Two threads fetching the same
 * app both write the same file atomically: the last rename wins, readers never see half a file. */
#ifndef SKY_CLIENT_BOXART_H
#define SKY_CLIENT_BOXART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/host/host_client.h"

struct SDL_Surface;

#define SKY_BOXART_MAX_BYTES (4u * 1024 * 1024)
#define SKY_BOXART_MAX_SIDE 4096u

typedef struct SkyBoxArt {
    uint8_t *png;                   /* the PNG file (malloc'd) */
    size_t png_len;
    uint32_t width, height;
    struct SDL_Surface *surface;    /* decoded, when asked for; else NULL */
    bool from_cache;                /* read from the cache, the host was not asked */
} SkyBoxArt;

/* The cache file of an app: <cache_dir>/boxart/<uniqueid>/<appid>.png. SKY_ERR(EINVAL) when
 * uniqueid is not a safe file name (sky_hosts_uniqueid_ok), SKY_ERR(ENAMETOOLONG). */
int sky_boxart_path(const char *cache_dir, const char *uniqueid, uint32_t appid, char *out,
                    size_t cap);

/* Checks that png (len bytes, borrowed) is box art Skylight shows: a PNG of at most
 * SKY_BOXART_MAX_BYTES and SKY_BOXART_MAX_SIDE pixels a side that decodes. Returns 0 with its
 * size in *width, *height and, if surface is not NULL, the picture in *surface (the caller's:
 * SDL_FreeSurface); SKY_ERR(EBADMSG) with the reason in err otherwise (*surface NULL). */
int sky_boxart_decode(const void *png, size_t len, uint32_t *width, uint32_t *height,
                      struct SDL_Surface **surface, char *err, size_t errlen);

/* The box art of app appid on the paired host hc: from the cache, else from the host (then
 * cached; a failure to write the cache is logged, not returned). cache_dir is sky_cache_dir's.
 * decode: also fill out->surface. On success out is the caller's (sky_boxart_clear); on failure
 * it is empty and the UI shows its neutral tile. Errors, with a one-line reason in err:
 *   SKY_ERR(ENOENT) the host has none (an empty reply or an HTTP error status),
 *   SKY_ERR(EBADMSG) it is broken: not a PNG, does not decode, too large in bytes or pixels,
 *   SKY_ERR(EACCES) not paired, and the network errors of sky_host_client_appasset
 *   (SKY_ERR(ETIMEDOUT), SKY_ERR(ECANCELED), ...). */
int sky_boxart_get(SkyHostClient *hc, const char *cache_dir, uint32_t appid, bool decode,
                   SkyBoxArt *out, char *err, size_t errlen);
void sky_boxart_clear(SkyBoxArt *art);

#endif
