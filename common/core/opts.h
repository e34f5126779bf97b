/* Option tables: one table per module (name, type, range, default, help). The command line,
 * the config file and tests all fill the same struct through them, and the module validates
 * its struct when it is created (mpv's option tables, dav1d's Dav1dSettings). */
#ifndef SKY_COMMON_OPTS_H
#define SKY_COMMON_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum SkyOptType {
    SKY_OPT_BOOL,   /* bool */
    SKY_OPT_INT,    /* int, within [min, max] */
    SKY_OPT_DOUBLE, /* double, within [min, max] */
    SKY_OPT_STRING, /* char[size] */
    SKY_OPT_CHOICE, /* int: index into choices, "a|b|c" */
} SkyOptType;

typedef struct SkyOpt {
    const char *name; /* long name, without "--"; NULL ends the table */
    SkyOptType type;
    size_t offset;    /* of the field in the module's struct */
    size_t size;      /* STRING: buffer size */
    double min, max;  /* INT, DOUBLE */
    const char *choices;
    const char *def;  /* default, as it would be written on the command line */
    const char *metavar;
    const char *help;
} SkyOpt;

#define SKY_OPT_END {NULL, SKY_OPT_BOOL, 0, 0, 0, 0, NULL, NULL, NULL, NULL}

/* Fills every field of dst with its default. Returns 0, or SKY_ERR(EINVAL) if a table default
 * does not parse (a programmer error). */
int sky_opts_defaults(const SkyOpt *table, void *dst);
const SkyOpt *sky_opts_find(const SkyOpt *table, const char *name);
/* Parses value into o's field. For BOOL, a NULL value means true. On error returns
 * SKY_ERR(EINVAL) or SKY_ERR(ERANGE) and writes a one-line reason into err. */
int sky_opts_set(const SkyOpt *o, void *dst, const char *value, char *err, size_t errlen);
/* The name of choice `index` of o (or "?"). */
const char *sky_opts_choice_name(const SkyOpt *o, int index);
/* Writes one help line per option: "  --name=METAVAR  help (default: X; one of: a, b)". */
void sky_opts_print_help(FILE *out, const SkyOpt *table);

/* Config files: "key = value" lines; '#' starts a comment; blank lines are ignored.
 * The callback returns 0 to go on or a negative error to stop. Lines over 1023 bytes, a missing
 * '=' or an empty key are errors (reported with the line number in err). */
typedef int (*SkyConfigFn)(void *opaque, const char *key, const char *value, int line);
int sky_config_parse(const char *text, size_t len, SkyConfigFn fn, void *opaque, char *err,
                     size_t errlen);

#endif
