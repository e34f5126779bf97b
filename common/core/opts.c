/* Option tables (parse, defaults, help) and the config-file reader (opts.h). */
#include "common/core/opts.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"

static int choice_index(const char *choices, const char *value)
{
    size_t vlen = strlen(value);
    int idx = 0;
    const char *p = choices;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == vlen && strncmp(p, value, n) == 0)
            return idx;
        idx++;
        if (!bar)
            break;
        p = bar + 1;
    }
    return -1;
}

const char *sky_opts_choice_name(const SkyOpt *o, int index)
{
    static _Thread_local char name[64];
    const char *p = o->choices;
    for (int i = 0; p && *p; i++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (i == index) {
            if (n >= sizeof(name))
                n = sizeof(name) - 1;
            memcpy(name, p, n);
            name[n] = '\0';
            return name;
        }
        if (!bar)
            break;
        p = bar + 1;
    }
    return "?";
}

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"1", "yes", "true", "on"};
    static const char *const no[] = {"0", "no", "false", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return SKY_ERR(EINVAL);
}

int sky_opts_set(const SkyOpt *o, void *dst, const char *value, char *err, size_t errlen)
{
    char *field = (char *)dst + o->offset;
    if (!value && o->type != SKY_OPT_BOOL) {
        snprintf(err, errlen, "--%s needs a value", o->name);
        return SKY_ERR(EINVAL);
    }
    switch (o->type) {
    case SKY_OPT_BOOL: {
        bool b = true;
        if (value && parse_bool(value, &b) < 0) {
            snprintf(err, errlen, "--%s: '%s' is not yes/no", o->name, value);
            return SKY_ERR(EINVAL);
        }
        *(bool *)field = b;
        return 0;
    }
    case SKY_OPT_INT:
    case SKY_OPT_DOUBLE: {
        char *end;
        errno = 0;
        double d = strtod(value, &end);
        if (end == value || *end != '\0' || errno == ERANGE || !isfinite(d)) {
            snprintf(err, errlen, "--%s: '%s' is not a number", o->name, value);
            return SKY_ERR(EINVAL);
        }
        if (o->type == SKY_OPT_INT && d != floor(d)) {
            snprintf(err, errlen, "--%s: '%s' is not a whole number", o->name, value);
            return SKY_ERR(EINVAL);
        }
        if (d < o->min || d > o->max) {
            snprintf(err, errlen, "--%s: %s is out of range [%g, %g]", o->name, value, o->min,
                     o->max);
            return SKY_ERR(ERANGE);
        }
        if (o->type == SKY_OPT_INT)
            *(int *)field = (int)d;
        else
            *(double *)field = d;
        return 0;
    }
    case SKY_OPT_STRING: {
        size_t n = strlen(value);
        if (n >= o->size) {
            snprintf(err, errlen, "--%s: value is too long (%zu bytes, at most %zu)", o->name, n,
                     o->size - 1);
            return SKY_ERR(ERANGE);
        }
        memcpy(field, value, n + 1);
        return 0;
    }
    case SKY_OPT_CHOICE: {
        int idx = choice_index(o->choices, value);
        if (idx < 0) {
            snprintf(err, errlen, "--%s: '%s' is not one of %s", o->name, value, o->choices);
            return SKY_ERR(EINVAL);
        }
        *(int *)field = idx;
        return 0;
    }
    }
    return SKY_ERR(EINVAL);
}

int sky_opts_defaults(const SkyOpt *table, void *dst)
{
    char err[256];
    for (const SkyOpt *o = table; o->name; o++) {
        const char *def = o->def;
        if (!def)
            def = o->type == SKY_OPT_BOOL ? "no" : o->type == SKY_OPT_STRING ? "" : "0";
        int ret = sky_opts_set(o, dst, def, err, sizeof(err));
        if (ret < 0)
            return ret;
    }
    return 0;
}

const SkyOpt *sky_opts_find(const SkyOpt *table, const char *name)
{
    for (const SkyOpt *o = table; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

void sky_opts_print_help(FILE *out, const SkyOpt *table)
{
    for (const SkyOpt *o = table; o->name; o++) {
        char left[64];
        if (o->type == SKY_OPT_BOOL)
            snprintf(left, sizeof(left), "--[no-]%s", o->name);
        else
            snprintf(left, sizeof(left), "--%s=%s", o->name,
                     o->metavar ? o->metavar : o->type == SKY_OPT_CHOICE ? "MODE" : "VALUE");
        fprintf(out, "  %-28s %s", left, o->help ? o->help : "");
        if (o->type == SKY_OPT_CHOICE) {
            fprintf(out, " (");
            for (const char *p = o->choices; *p; p++)
                fputs(*p == '|' ? ", " : (char[2]){*p, 0}, out);
            fprintf(out, ")");
        }
        if (o->def && o->def[0])
            fprintf(out, " [default: %s]", o->def);
        fputc('\n', out);
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int sky_config_parse(const char *text, size_t len, SkyConfigFn fn, void *opaque, char *err,
                     size_t errlen)
{
    char line[1024];
    int lineno = 0;
    size_t pos = 0;
    if (err && errlen)
        err[0] = '\0';
    while (pos < len) {
        lineno++;
        size_t start = pos;
        while (pos < len && text[pos] != '\n')
            pos++;
        size_t n = pos - start;
        if (pos < len)
            pos++; /* the newline */
        if (n >= sizeof(line)) {
            snprintf(err, errlen, "line %d: too long", lineno);
            return SKY_ERR(EINVAL);
        }
        memcpy(line, text + start, n);
        line[n] = '\0';
        if (memchr(line, '\0', n)) {
            snprintf(err, errlen, "line %d: contains a NUL byte", lineno);
            return SKY_ERR(EINVAL);
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (*s == '\0')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "line %d: expected 'key = value'", lineno);
            return SKY_ERR(EINVAL);
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        if (*key == '\0') {
            snprintf(err, errlen, "line %d: empty key", lineno);
            return SKY_ERR(EINVAL);
        }
        int ret = fn(opaque, key, value, lineno);
        if (ret < 0) {
            if (err && errlen && err[0] == '\0')
                snprintf(err, errlen, "line %d: %s", lineno, sky_strerror(ret));
            return ret;
        }
    }
    return 0;
}
