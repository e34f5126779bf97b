/* The shipped files, installed or in the source tree (assets.h). */
#include "client/assets.h"

#include <stdio.h>

TTF_Font *sky_assets_open_font(const char *file, int size)
{
    const char *dirs[] = {SKY_INSTALL_DATADIR "/skylight", SKY_SOURCE_ASSETS};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char path[4096];
        if (snprintf(path, sizeof(path), "%s/%s", dirs[i], file) >= (int)sizeof(path))
            continue;
        TTF_Font *f = TTF_OpenFont(path, size);
        if (f)
            return f;
    }
    return NULL;
}
