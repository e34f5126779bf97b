/* The launcher's settings: what the screen offers, read from and written to the config file
 * (settings.h). */
#include "client/ui/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/fsutil.h"
#include "common/core/error.h"
#include "common/core/opts.h"

const SkySettingDef sky_setting_defs[] = {
    {"Resolution", {"width", "height"}, "0x0|1280x720|1280x800|1920x1080|2560x1440|3840x2160",
     "The display's|1280 x 720|1280 x 800|1920 x 1080|2560 x 1440|3840 x 2160"},
    {"Frame rate", {"fps"}, "0|30|60|90|120|144", "The display's|30|60|90|120|144"},
    {"Bitrate", {"bitrate"}, "0|5000|10000|20000|30000|50000|80000|150000",
     "Automatic|5 Mb/s|10 Mb/s|20 Mb/s|30 Mb/s|50 Mb/s|80 Mb/s|150 Mb/s"},
    {"Video codec", {"codec"}, "auto|h264|hevc|av1", "Automatic|H.264|HEVC|AV1"},
    {"HDR", {"hdr"}, "no|yes", "Off|On"},
    {"Full colour (4:4:4)", {"yuv444"}, "no|yes", "Off|On"},
    {"Latency", {"latency-mode"}, "lowest|balanced|smooth", "Lowest|Balanced|Smooth"},
    {"Audio", {"audio"}, "stereo|5.1|7.1|off", "Stereo|5.1 surround|7.1 surround|Off"},
    {"Mouse", {"mouse"}, "relative|absolute", "Relative (games)|Absolute (desktop)"},
    {"Gamepads", {"gamepads"}, "yes|no", "On|Off"},
    {"Swap A and B", {"swap-ab"}, "no|yes", "No|Yes"},
    {"Renderer", {"renderer"}, "auto|placebo|sdl", "Automatic|libplacebo|SDL"},
    {"Decoder", {"decoder"}, "auto|software|vaapi|vdpau|cuda|vulkan|v4l2m2m",
     "Automatic|Software|VA-API|VDPAU|CUDA|Vulkan|V4L2"},
    {"Stats overlay on start", {"overlay"}, "no|yes", "Off|On"},
};
const size_t sky_setting_count = sizeof(sky_setting_defs) / sizeof(sky_setting_defs[0]);

/* Item k of a "a|b|c" list into out; false past the end. */
static bool list_item(const char *list, size_t k, char *out, size_t cap)
{
    const char *p = list;
    for (size_t i = 0; i < k; i++) {
        p = strchr(p, '|');
        if (!p)
            return false;
        p++;
    }
    size_t n = strcspn(p, "|");
    snprintf(out, cap, "%.*s", (int)n, p);
    return true;
}

static int list_find(const char *list, const char *value)
{
    char item[SKY_SETTING_VALUE_MAX];
    for (size_t k = 0; list_item(list, k, item, sizeof(item)); k++)
        if (strcmp(item, value) == 0)
            return (int)k;
    return -1;
}

static size_t list_len(const char *list)
{
    size_t n = 1;
    for (const char *p = list; (p = strchr(p, '|')); p++)
        n++;
    return n;
}

/* ---- reading ---- */

typedef struct ReadCtx {
    const char *host;
    SkySettingValue *vals;
    bool in_host;           /* the current section is the host's */
    /* Resolutions come as two keys: their halves until both are known. */
    char w[2][16], h[2][16];
} ReadCtx;

static int on_entry(void *opaque, const char *section, const char *key, const char *value,
                    int line)
{
    (void)line;
    ReadCtx *c = opaque;
    if (!key) { /* a header */
        char want[300];
        snprintf(want, sizeof(want), "host %s", c->host ? c->host : "");
        c->in_host = c->host && sky_config_section_equal(section, want);
        return 0;
    }
    if (section && !c->in_host)
        return 0;
    int scope = section ? 1 : 0;
    for (size_t i = 0; i < sky_setting_count; i++) {
        const SkySettingDef *d = &sky_setting_defs[i];
        char *slot = scope ? c->vals[i].host : c->vals[i].global;
        if (d->keys[1]) {
            if (strcmp(key, d->keys[0]) == 0)
                snprintf(c->w[scope], sizeof(c->w[scope]), "%s", value);
            else if (strcmp(key, d->keys[1]) == 0)
                snprintf(c->h[scope], sizeof(c->h[scope]), "%s", value);
            else
                continue;
            if (c->w[scope][0] && c->h[scope][0])
                snprintf(slot, SKY_SETTING_VALUE_MAX, "%sx%s", c->w[scope], c->h[scope]);
        } else if (strcmp(key, d->keys[0]) == 0) {
            snprintf(slot, SKY_SETTING_VALUE_MAX, "%s", value);
        }
    }
    return 0;
}

int sky_settings_read(const char *path, const char *host, SkySettingValue *vals, char *err,
                      size_t errlen)
{
    memset(vals, 0, sizeof(*vals) * sky_setting_count);
    char *text = NULL;
    size_t len = 0;
    int ret = sky_read_file(path, SKY_CONFIG_MAX_BYTES, &text, &len);
    if (ret == SKY_ERR(ENOENT))
        return 0;
    if (ret < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, sky_strerror(ret));
        return ret;
    }
    ReadCtx c = {.host = host, .vals = vals};
    char why[256];
    ret = sky_config_parse_sections(text, len, on_entry, &c, why, sizeof(why));
    free(text);
    if (ret < 0)
        snprintf(err, errlen, "%s: %s", path, why);
    return ret;
}

/* ---- values ---- */

static void option_default(size_t i, char *out, size_t cap)
{
    const SkySettingDef *d = &sky_setting_defs[i];
    const SkyOpt *a = sky_cli_find_option(d->keys[0]);
    const SkyOpt *b = d->keys[1] ? sky_cli_find_option(d->keys[1]) : NULL;
    if (d->keys[1])
        snprintf(out, cap, "%sx%s", a ? a->def : "0", b ? b->def : "0");
    else
        snprintf(out, cap, "%s", a ? a->def : "");
}

void sky_setting_effective(size_t i, const SkySettingValue *v, bool host_scope, char *out,
                           size_t cap)
{
    if (host_scope && v->host[0])
        snprintf(out, cap, "%s", v->host);
    else if (v->global[0])
        snprintf(out, cap, "%s", v->global);
    else
        option_default(i, out, cap);
}

void sky_setting_label(size_t i, const char *value, char *out, size_t cap)
{
    const SkySettingDef *d = &sky_setting_defs[i];
    int k = list_find(d->values, value);
    if (k < 0 || !list_item(d->labels, (size_t)k, out, cap))
        snprintf(out, cap, "%s", value);
}

void sky_setting_step(size_t i, const SkySettingValue *v, bool host_scope, int dir, char *out,
                      size_t cap)
{
    const SkySettingDef *d = &sky_setting_defs[i];
    int n = (int)list_len(d->values);
    /* Positions: in a host's scope 0 is "the global value" and 1..n the values. */
    int first = host_scope ? -1 : 0;
    int pos;
    if (host_scope && !v->host[0]) {
        pos = -1;
    } else {
        char now[SKY_SETTING_VALUE_MAX];
        sky_setting_effective(i, v, host_scope, now, sizeof(now));
        pos = list_find(d->values, now);
        if (pos < 0) /* a value typed into the file: stepping starts from the list's ends */
            pos = dir > 0 ? first - 1 : n;
    }
    int span = n - first;
    pos = ((pos - first + dir) % span + span) % span + first;
    if (pos < 0)
        snprintf(out, cap, "%s", "");
    else
        list_item(d->values, (size_t)pos, out, cap);
}

int sky_setting_write(const char *path, const char *host, size_t i, const char *value, char *err,
                      size_t errlen)
{
    const SkySettingDef *d = &sky_setting_defs[i];
    if (!d->keys[1])
        return sky_cli_config_set(path, host, d->keys[0], value[0] ? value : NULL, err, errlen);
    char w[16] = "", h[16] = "";
    if (value[0] && sscanf(value, "%15[0-9]x%15[0-9]", w, h) != 2) {
        snprintf(err, errlen, "'%s' is not a resolution", value);
        return SKY_ERR(EINVAL);
    }
    const char *values[2] = {value[0] ? w : NULL, value[0] ? h : NULL};
    return sky_cli_config_set_many(path, host, d->keys, values, 2, err, errlen);
}
