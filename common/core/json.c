/* The allocation-free JSON writer for stats lines (json.h). */
#include "common/core/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static void put(SkyJson *j, const char *s, size_t n)
{
    if (j->overflow || n >= j->cap - j->len) {
        j->overflow = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        j->buf[j->len++] = s[i];
    j->buf[j->len] = '\0';
}

static void putf(SkyJson *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(SkyJson *j, const char *fmt, ...)
{
    /* Room for any double with up to 9 decimals (-DBL_MAX is 309 digits before the point). */
    char tmp[352];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        j->overflow = true;
        return;
    }
    put(j, tmp, (size_t)n);
}

static void put_string(SkyJson *j, const char *s)
{
    put(j, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': put(j, "\\\"", 2); break;
        case '\\': put(j, "\\\\", 2); break;
        case '\n': put(j, "\\n", 2); break;
        case '\r': put(j, "\\r", 2); break;
        case '\t': put(j, "\\t", 2); break;
        default:
            if (*p < 0x20)
                putf(j, "\\u%04x", *p);
            else
                put(j, (const char *)p, 1);
        }
    }
    put(j, "\"", 1);
}

static void key(SkyJson *j, const char *k)
{
    if (j->need_comma)
        put(j, ",", 1);
    j->need_comma = true;
    if (k) {
        put_string(j, k);
        put(j, ":", 1);
    }
}

void sky_json_init(SkyJson *j, char *buf, size_t cap)
{
    j->buf = buf;
    j->cap = cap;
    j->len = 0;
    j->need_comma = false;
    j->overflow = cap == 0;
    if (cap)
        buf[0] = '\0';
}

void sky_json_obj_begin(SkyJson *j, const char *k)
{
    key(j, k);
    put(j, "{", 1);
    j->need_comma = false;
}

void sky_json_obj_end(SkyJson *j)
{
    put(j, "}", 1);
    j->need_comma = true;
}

void sky_json_arr_begin(SkyJson *j, const char *k)
{
    key(j, k);
    put(j, "[", 1);
    j->need_comma = false;
}

void sky_json_arr_end(SkyJson *j)
{
    put(j, "]", 1);
    j->need_comma = true;
}

void sky_json_str(SkyJson *j, const char *k, const char *value)
{
    key(j, k);
    put_string(j, value ? value : "");
}

void sky_json_int(SkyJson *j, const char *k, int64_t value)
{
    key(j, k);
    putf(j, "%" PRId64, value);
}

void sky_json_uint(SkyJson *j, const char *k, uint64_t value)
{
    key(j, k);
    putf(j, "%" PRIu64, value);
}

void sky_json_double(SkyJson *j, const char *k, double value, int decimals)
{
    key(j, k);
    if (!isfinite(value))
        put(j, "null", 4);
    else
        putf(j, "%.*f", decimals < 0 ? 0 : decimals > 9 ? 9 : decimals, value);
}

void sky_json_bool(SkyJson *j, const char *k, bool value)
{
    key(j, k);
    put(j, value ? "true" : "false", value ? 4 : 5);
}

void sky_json_null(SkyJson *j, const char *k)
{
    key(j, k);
    put(j, "null", 4);
}

bool sky_json_ok(const SkyJson *j)
{
    return !j->overflow;
}
