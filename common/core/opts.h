/* Option tables: one table per module (name, type, range, default, help). The command line,
 * the config file and tests all fill the same struct through them, and the module validates
 * its struct when it is created (mpv's option tables, dav1d's Dav1dSettings). Also the
 * config-file format: its parser, an editor that rewrites one key, and the nearest-name
 * suggestion for typos. */
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
    SKY_OPT_CHOICE, /* int: index into choices, "a|b|c"; a choice may have aliases after its
                     * name, "stereo,yes,on|off,no": the value "no" selects "off". A CHOICE
                     * that takes "no" also takes --no-NAME on the command line. */
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
/* Checks that value would parse for o, without storing it. Returns as sky_opts_set. */
int sky_opts_validate(const SkyOpt *o, const char *value, char *err, size_t errlen);
/* The name of choice `index` of o (or "?"), without its aliases. */
const char *sky_opts_choice_name(const SkyOpt *o, int index);
/* True if o is a BOOL, or a CHOICE that takes "no" (so --no-NAME means something). */
bool sky_opts_takes_no(const SkyOpt *o);
/* Writes one help line per option: "  --name=METAVAR  help (default: X; one of: a, b)". */
void sky_opts_print_help(FILE *out, const SkyOpt *table);

/* Config files: "key = value" lines; '#' starts a comment; blank lines are ignored.
 * The callback returns 0 to go on or a negative error to stop. Lines over 1023 bytes, a missing
 * '=' or an empty key are errors (reported with the line number in err). */
typedef int (*SkyConfigFn)(void *opaque, const char *key, const char *value, int line);
int sky_config_parse(const char *text, size_t len, SkyConfigFn fn, void *opaque, char *err,
                     size_t errlen);

/* As sky_config_parse, and a "[NAME]" line starts section NAME (trimmed; whitespace inside it
 * is kept as written): the entries after it come with that section, those before the first
 * header with section NULL. fn is also called once for each header, with key and value NULL.
 * An empty name, a missing ']', a '[' or ']' inside or text after the ']' is an error. */
typedef int (*SkyConfigSectionFn)(void *opaque, const char *section, const char *key,
                                  const char *value, int line);
int sky_config_parse_sections(const char *text, size_t len, SkyConfigSectionFn fn,
                              void *opaque, char *err, size_t errlen);
/* Whether two section names are the same section: equal but for case and runs of whitespace
 * ("host  MyPC" is "host mypc"). */
bool sky_config_section_equal(const char *a, const char *b);

/* Rewrites the config text `text` (len bytes) so that key is set to value in `section` (NULL:
 * the entries before the first header), keeping every other line, comment and blank line as
 * it is:
 *  - the last line that sets key in that section is replaced, keeping its indentation and its
 *    trailing comment (earlier ones are overridden by it, as when the file is read);
 *  - else a "key = value" line goes after the section's last entry (after its header if it has
 *    none; for NULL, before the first header), and a missing section is added at the end.
 * value NULL removes every line that sets key in that section instead. Several headers of the
 * same section (sky_config_section_equal) count as one. The text must parse (else its error,
 * with the line, is in err) and the new line must be one the parser reads back: key without
 * whitespace, '=', '#', '[' or ']', value without '#', line breaks or outer whitespace, and
 * at most 1023 bytes: else SKY_ERR(EINVAL). On success *out is a malloc'd, NUL-terminated
 * text of *out_len bytes that the caller frees; on failure *out is NULL. */
int sky_config_edit(const char *text, size_t len, const char *section, const char *key,
                    const char *value, char **out, size_t *out_len, char *err, size_t errlen);

/* Nearest-name suggestions for typos ("did you mean"): offer every valid name in turn. */
typedef struct SkySuggest {
    const char *name;  /* the unknown name */
    const char *best;  /* the nearest offered so far (the first, on a tie) */
    int best_distance;
} SkySuggest;

void sky_suggest_init(SkySuggest *s, const char *name);
void sky_suggest_offer(SkySuggest *s, const char *candidate);
/* The nearest name offered if it is close enough to be a typo of the unknown one (a
 * Damerau-Levenshtein distance of at most a third of its length, at least 1, at most 3), else
 * NULL. */
const char *sky_suggest_result(const SkySuggest *s);
/* Damerau-Levenshtein distance (optimal string alignment: insertions, deletions,
 * substitutions and swaps of neighbours each cost 1); names over 63 bytes are over any limit
 * (returns 1000). */
int sky_opts_distance(const char *a, const char *b);

#endif
