/* Fuzzes the config-file parser and option value parsing over a table of every option type. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/core/error.h"
#include "common/core/opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Opts {
    bool flag;
    int count;
    double ratio;
    char name[16];
    int mode;
} Opts;

static const SkyOpt table[] = {
    {"flag", SKY_OPT_BOOL, offsetof(Opts, flag), 0, 0, 0, NULL, "no", NULL, NULL},
    {"count", SKY_OPT_INT, offsetof(Opts, count), 0, -5, 100, NULL, "1", NULL, NULL},
    {"ratio", SKY_OPT_DOUBLE, offsetof(Opts, ratio), 0, 0, 1, NULL, "0.5", NULL, NULL},
    {"name", SKY_OPT_STRING, offsetof(Opts, name), sizeof(((Opts *)0)->name), 0, 0, NULL, "x",
     NULL, NULL},
    {"mode", SKY_OPT_CHOICE, offsetof(Opts, mode), 0, 0, 0, "a|bb|ccc", "a", NULL, NULL},
    SKY_OPT_END,
};

static int entry(void *opaque, const char *key, const char *value, int line)
{
    Opts *o = opaque;
    char err[128];
    SKY_ASSERT(line >= 1);
    SKY_ASSERT(key[0] != '\0');
    const SkyOpt *opt = sky_opts_find(table, key);
    if (opt && sky_opts_set(opt, o, value, err, sizeof(err)) < 0)
        SKY_ASSERT(err[0] != '\0');
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Opts o;
    char err[128];
    SKY_ASSERT(sky_opts_defaults(table, &o) == 0);
    sky_config_parse((const char *)data, size, entry, &o, err, sizeof(err));
    /* The option values always stay inside their declared ranges. */
    SKY_ASSERT(o.count >= -5 && o.count <= 100);
    SKY_ASSERT(o.ratio >= 0 && o.ratio <= 1);
    SKY_ASSERT(memchr(o.name, '\0', sizeof(o.name)) != NULL);
    SKY_ASSERT(o.mode >= 0 && o.mode <= 2);
    return 0;
}
