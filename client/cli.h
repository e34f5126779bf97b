/* Command-line and config-file handling over the modules' option tables. A verb composes
 * option groups (a module's table and the struct it fills); every option name is declared once,
 * in the table of the module that owns the field, and has one type for every verb.
 *
 * The config file (skylight.conf) is shared by every verb: its keys are checked against the
 * options of all verbs. A key of this verb is applied (a value that does not parse is an
 * error); a key of another verb is skipped; a key no verb knows gets a warning naming the line
 * and the nearest option. [host NAME] sections hold per-host values that `stream` applies once
 * it has found the host (sky_cli_apply_host). */
#ifndef SKY_CLIENT_CLI_H
#define SKY_CLIENT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/core/opts.h"

/* One option group of a verb: a module's table and where the struct it fills lives in the
 * verb's context struct (the ctx given to sky_cli_parse). */
typedef struct SkyOptGroup {
    const char *title;   /* heading in --help */
    const SkyOpt *table;
    size_t offset;       /* of the struct the table fills, in the verb's context */
} SkyOptGroup;

#define SKY_OPT_GROUP_END {NULL, NULL, 0}

/* A verb: its name, the groups it composes and how it runs. The General group
 * (sky_global_opts_table) belongs to every verb and is not listed. */
typedef struct SkyVerb {
    const char *name;
    const SkyOptGroup *groups;            /* ends with SKY_OPT_GROUP_END */
    bool host_sections;                   /* applies [host NAME] sections */
    int (*main)(int argc, char **argv);   /* argv[0] is the verb; returns the exit status */
    void (*usage)(const char *verb);      /* what `skylight VERB --help` prints */
} SkyVerb;

/* Options every verb takes. */
typedef struct SkyGlobalOpts {
    int log_level;       /* SkyLogLevel */
    char config[1024];   /* config file; empty = $XDG_CONFIG_HOME/skylight/skylight.conf */
} SkyGlobalOpts;

extern const SkyOpt sky_global_opts_table[];

typedef struct SkyCli SkyCli;

/* Fills ctx, the verb's context struct: every group's defaults, then the config file's global
 * entries (the file named by --config in argv, else the default one if it exists), then argv
 * (argv[0] is the verb). Positional arguments are collected into pos. Then sets the log level
 * and logs what the file had to say (unknown keys as warnings, skipped ones at debug level).
 * Returns 0 with *out holding what sky_cli_apply_host needs (the caller destroys it), or 0
 * with *out NULL and *help set when -h/--help was given (nothing else is looked at then). On
 * error prints a one-line message to stderr and returns SKY_ERR(EINVAL) or the file's error;
 * *out is NULL. argv must outlive *out. */
int sky_cli_parse(SkyCli **out, const SkyVerb *verb, void *ctx, int argc, char **argv,
                  const char **pos, size_t max_pos, size_t *npos, bool *help);
/* Applies the config file's [host NAME] sections whose NAME is one of names (case-insensitive;
 * NULL or empty names are skipped) in the order of the file, then the command line again so
 * that it still wins, then sets the log level again. The sections' values were checked by
 * sky_cli_parse. Each value applied is logged at verbose level. Returns how many were. */
int sky_cli_apply_host(SkyCli *c, const char *const *names, size_t n);
void sky_cli_destroy(SkyCli **c);

/* The verb's groups and the General one, with a heading each. */
void sky_cli_print_groups(FILE *out, const SkyVerb *verb);

/* Checks the groups of n verbs (and the General one): no option name is declared by two table
 * entries, no verb sees a name twice, every default parses. Returns 0 or SKY_ERR(EINVAL) with
 * the first problem in err. */
int sky_cli_check_verbs(const SkyVerb *const *verbs, size_t n, char *err, size_t errlen);
/* The same for every verb of skylight (sky_verb_at); sky_cli_parse aborts if this fails. */
int sky_cli_check_tables(char *err, size_t errlen);

/* The default config file, $XDG_CONFIG_HOME/skylight/skylight.conf (else under ~/.config). */
int sky_cli_config_path(char *out, size_t cap);
/* Sets key = value in the config file at path, in the [host NAME] section (host NULL: the
 * global entries before the first section), keeping its other lines and comments
 * (sky_config_edit); value NULL removes the key there. The key must be an option of some verb
 * and the value must parse for it. The file is replaced atomically (temporary file, fsync,
 * rename), keeping its mode (0644 for a new file, whose directory is created). Returns 0 or a
 * negative error with a one-line reason in err. */
int sky_cli_config_set(const char *path, const char *host, const char *key, const char *value,
                       char *err, size_t errlen);
/* The same for n keys at once (values[i] NULL removes keys[i]), in one atomic write: all of
 * them change or none (a resolution's width and height). */
int sky_cli_config_set_many(const char *path, const char *host, const char *const *keys,
                            const char *const *values, size_t n, char *err, size_t errlen);

/* The option a config file key names, in any verb's tables (NULL if none). */
const SkyOpt *sky_cli_find_option(const char *key);
/* The largest config file read (bigger is an error). */
#define SKY_CONFIG_MAX_BYTES (256 * 1024)

/* Routes SIGINT and SIGTERM (Ctrl+C, a polite kill) to handler, which may only set flags. */
void sky_cli_on_quit_signals(void (*handler)(int));

#endif
