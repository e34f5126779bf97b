/* The files Skylight ships (assets/): found installed (share/skylight) or, for a build run in
 * place, in the source tree. */
#ifndef SKY_CLIENT_ASSETS_H
#define SKY_CLIENT_ASSETS_H

#include <SDL_ttf.h>

/* Opens a bundled font (a file name such as "DejaVuSans.ttf") at a point size; SDL_ttf must be
 * initialised. The caller owns the font (TTF_CloseFont). NULL when no copy opens. */
TTF_Font *sky_assets_open_font(const char *file, int size);

#endif
