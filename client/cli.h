/* Command-line and config-file handling over the modules' option tables. */
#ifndef SKY_CLIENT_CLI_H
#define SKY_CLIENT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/core/opts.h"

typedef struct SkyOptGroup {
    const char *title;   /* heading in --help */
    const SkyOpt *table;
    void *dst;           /* the struct the table fills */
} SkyOptGroup;

/* Options every verb takes. */
typedef struct SkyGlobalOpts {
    int log_level;       /* SkyLogLevel */
    char config[1024];   /* config file; empty = $XDG_CONFIG_HOME/skylight/skylight.conf */
} SkyGlobalOpts;

extern const SkyOpt sky_global_opts_table[];

/* Sets every group's defaults, then applies the config file (the one named by --config in argv,
 * else the default one if it exists), then argv. Positional arguments are collected into pos.
 * On error prints a one-line message to stderr and returns SKY_ERR(EINVAL) or the file's
 * error. `help` is set when -h/--help was given (nothing else is checked then). */
int sky_cli_parse(int argc, char **argv, const SkyOptGroup *groups, size_t ngroups,
                  const char **pos, size_t max_pos, size_t *npos, bool *help);
void sky_cli_print_groups(FILE *out, const SkyOptGroup *groups, size_t ngroups);

/* Routes SIGINT and SIGTERM (Ctrl+C, a polite kill) to handler, which may only set flags. */
void sky_cli_on_quit_signals(void (*handler)(int));

#endif
