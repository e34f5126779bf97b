/* A small JSON writer into a caller-supplied buffer (no allocation). Output is truncated
 * safely when the buffer is too small; sky_json_ok() tells. Used for stats lines. */
#ifndef SKY_COMMON_JSON_H
#define SKY_COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SkyJson {
    char *buf;
    size_t cap;
    size_t len;
    bool need_comma;
    bool overflow;
} SkyJson;

void sky_json_init(SkyJson *j, char *buf, size_t cap);
void sky_json_obj_begin(SkyJson *j, const char *key); /* key NULL at top level */
void sky_json_obj_end(SkyJson *j);
void sky_json_arr_begin(SkyJson *j, const char *key); /* key NULL inside an array */
void sky_json_arr_end(SkyJson *j);
void sky_json_str(SkyJson *j, const char *key, const char *value);
void sky_json_int(SkyJson *j, const char *key, int64_t value);
void sky_json_uint(SkyJson *j, const char *key, uint64_t value);
void sky_json_double(SkyJson *j, const char *key, double value, int decimals);
void sky_json_bool(SkyJson *j, const char *key, bool value);
void sky_json_null(SkyJson *j, const char *key);
/* True when nothing was cut. The buffer is always NUL-terminated. */
bool sky_json_ok(const SkyJson *j);

#endif
