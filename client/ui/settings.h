/* The launcher's settings screen model: the stream options a gamer changes (resolution, frame
 * rate, bitrate, codec, HDR, 4:4:4, latency mode, audio, mouse, gamepads, renderer, decoder,
 * the stats overlay), each a short list of values, read from and written to the config file
 * (skylight.conf) globally or in a host's [host NAME] section. The options themselves stay
 * declared once, in their modules' tables: every value here is checked against them when
 * written (sky_cli_config_set), and defaults come from them. */
#ifndef SKY_CLIENT_UI_SETTINGS_H
#define SKY_CLIENT_UI_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#define SKY_SETTING_VALUE_MAX 32

typedef struct SkySettingDef {
    const char *label;
    const char *keys[2];     /* the option, or width and height for a resolution */
    const char *values;      /* "a|b|c": as written (two keys: "WxH") */
    const char *labels;      /* "A|B|C": as shown, one per value */
} SkySettingDef;

extern const SkySettingDef sky_setting_defs[];
extern const size_t sky_setting_count;

/* One setting's state in a scope. */
typedef struct SkySettingValue {
    char global[SKY_SETTING_VALUE_MAX];  /* the file's global value; "" unset (the default) */
    char host[SKY_SETTING_VALUE_MAX];    /* the host section's; "" unset (the global one) */
} SkySettingValue;

/* Reads the config file at path (a missing file is empty) into vals (sky_setting_count of
 * them): the global values and, if host is not NULL, the [host NAME] section's. Returns 0 or
 * an error with a one-line reason in err (a file that does not parse). */
int sky_settings_read(const char *path, const char *host, SkySettingValue *vals, char *err,
                      size_t errlen);

/* The value in effect for setting i in a scope (host: its own, else the global one; global:
 * the file's, else the option's default), as written. */
void sky_setting_effective(size_t i, const SkySettingValue *v, bool host_scope, char *out,
                           size_t cap);
/* A value as shown ("1920x1080" -> "1920 x 1080", "0" bitrate -> "Automatic"); a value not in
 * the list is shown as written. */
void sky_setting_label(size_t i, const char *value, char *out, size_t cap);
/* The next (dir 1) or previous (-1) value of setting i from what the scope holds now. In a
 * host's scope the values include "" (use the global one) first. */
void sky_setting_step(size_t i, const SkySettingValue *v, bool host_scope, int dir, char *out,
                      size_t cap);
/* Writes value ("" removes the key) for setting i into path, in host's section (NULL: global),
 * atomically, both keys of a resolution in one write (sky_cli_config_set_many). Returns 0 or
 * an error with a reason in err. */
int sky_setting_write(const char *path, const char *host, size_t i, const char *value, char *err,
                      size_t errlen);

#endif
