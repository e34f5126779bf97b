/* Fuzzes every parser of host replies (server info, app list, launch) and of the addresses a
 * host names (session URLs). The first byte picks the parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "common/proto/hostapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool clean(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20)
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    char err[256];
    switch (data[0] % 4) {
    case 0: {
        SkyServerInfo si;
        if (sky_hostapi_serverinfo(body, len, &si, err, sizeof(err)) == 0) {
            SKY_ASSERT(si.uniqueid[0] && clean(si.uniqueid) && clean(si.hostname));
            SKY_ASSERT(si.n_modes <= SKY_SERVERINFO_MAX_MODES && si.https_port > 0);
            SKY_ASSERT(si.busy || si.current_game == 0);
        }
        break;
    }
    case 1: {
        SkyAppList l;
        if (sky_hostapi_applist(body, len, &l, err, sizeof(err)) == 0) {
            SKY_ASSERT(l.count <= SKY_APPLIST_MAX);
            for (size_t i = 0; i < l.count; i++)
                SKY_ASSERT(clean(l.apps[i].title) && l.apps[i].id <= INT32_MAX);
            if (l.count)
                SKY_ASSERT(sky_applist_find(&l, l.apps[0].title) != NULL);
            sky_applist_free(&l);
        }
        break;
    }
    case 2: {
        SkySessionUrl u;
        if (sky_hostapi_launch(body, len, data[0] & 4 ? "resume" : "gamesession", &u, err,
                               sizeof(err)) == 0 &&
            u.port)
            SKY_ASSERT(u.host[0]);
        break;
    }
    case 3: {
        char s[512];
        size_t n = len < sizeof(s) - 1 ? len : sizeof(s) - 1;
        memcpy(s, body, n);
        s[n] = '\0';
        SkyHostAddr a;
        if (sky_host_addr_parse(s, &a) == 0) {
            char url[1024];
            SKY_ASSERT(a.host[0]);
            SKY_ASSERT(sky_hostapi_url(url, sizeof(url), true, a.host, a.ipv6, 1, "x", "u", "v",
                                       NULL) == 0);
            SKY_ASSERT(!strpbrk(url, " \r\n\"<>"));
        }
        SkySessionUrl u;
        if (sky_session_url_parse(s, &u) == 0)
            SKY_ASSERT(u.port > 0);
        break;
    }
    }
    return 0;
}
