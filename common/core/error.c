/* Error messages for the codes our functions return (see error.h). */
#include "common/core/error.h"

#include <limits.h>
#include <string.h>

#define MSG_BYTES 128

static SkyErrorDescriber g_describer;

void sky_error_set_describer(SkyErrorDescriber fn)
{
    g_describer = fn;
}

const char *sky_strerror(int err)
{
    static _Thread_local char buf[MSG_BYTES];
    if (err >= 0)
        return "success";
    /* strerrordesc_np (glibc) is strerror's text without its non-thread-safe buffer. */
    if (err != INT_MIN) {
        const char *sys = strerrordesc_np(-err);
        if (sys)
            return sys;
    }
    if (g_describer) {
        buf[0] = '\0';
        g_describer(err, buf, sizeof(buf));
        if (buf[0])
            return buf;
    }
    snprintf(buf, sizeof(buf), "error %d", err);
    return buf;
}
