/* The command line and the config file, over the modules' option tables (cli.h). */
#include "client/cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "client/fsutil.h"
#include "common/core/error.h"
#include "common/core/log.h"

const SkyOpt sky_global_opts_table[] = {
    {"log-level", SKY_OPT_CHOICE, offsetof(SkyGlobalOpts, log_level), 0, 0, 0,
     "error|warn|info|verbose|debug", "info", NULL, "how much to log (to stderr)"},
    {"config", SKY_OPT_STRING, offsetof(SkyGlobalOpts, config),
     sizeof(((SkyGlobalOpts *)0)->config), 0, 0, NULL, "", "FILE",
     "config file of 'option = value' lines [default: $XDG_CONFIG_HOME/skylight/skylight.conf]"},
    SKY_OPT_END,
};

#define CONFIG_MAX_BYTES (256 * 1024)

static const SkyOpt *find(const SkyOptGroup *groups, size_t ngroups, const char *name,
                          void **dst)
{
    for (size_t g = 0; g < ngroups; g++) {
        const SkyOpt *o = sky_opts_find(groups[g].table, name);
        if (o) {
            *dst = groups[g].dst;
            return o;
        }
    }
    return NULL;
}

typedef struct ConfigCtx {
    const SkyOptGroup *groups;
    size_t ngroups;
    const char *path;
    bool reported; /* an entry's error was printed already */
} ConfigCtx;

static int config_entry(void *opaque, const char *key, const char *value, int line)
{
    ConfigCtx *c = opaque;
    void *dst;
    const SkyOpt *o = find(c->groups, c->ngroups, key, &dst);
    if (!o) {
        /* The file is shared by every verb: keys of other verbs are not errors. */
        SKY_LOGD("config", "%s:%d: '%s' does not apply here", c->path, line, key);
        return 0;
    }
    if (strcmp(key, "config") == 0)
        return 0;
    char err[256];
    int ret = sky_opts_set(o, dst, value, err, sizeof(err));
    if (ret < 0) {
        fprintf(stderr, "skylight: %s:%d: %s\n", c->path, line, err);
        c->reported = true;
    }
    return ret;
}

static int apply_config(const char *path, bool must_exist, const SkyOptGroup *groups,
                        size_t ngroups)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (!must_exist && errno == ENOENT)
            return 0;
        int err = SKY_ERR(errno);
        fprintf(stderr, "skylight: cannot read config file %s: %s\n", path, sky_strerror(err));
        return err;
    }
    char *buf = malloc(CONFIG_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, CONFIG_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (!buf)
        return SKY_ERR(ENOMEM);
    if (n > CONFIG_MAX_BYTES) {
        fprintf(stderr, "skylight: config file %s is over %d bytes\n", path, CONFIG_MAX_BYTES);
        free(buf);
        return SKY_ERR(E2BIG);
    }
    ConfigCtx ctx = {groups, ngroups, path, false};
    char err[256];
    int ret = sky_config_parse(buf, n, config_entry, &ctx, err, sizeof(err));
    if (ret < 0 && !ctx.reported)
        fprintf(stderr, "skylight: %s: %s\n", path, err);
    free(buf);
    return ret;
}

/* Finds --config in argv without parsing the rest. */
static const char *config_arg(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            return argv[i + 1];
    }
    return NULL;
}

int sky_cli_parse(int argc, char **argv, const SkyOptGroup *groups, size_t ngroups,
                  const char **pos, size_t max_pos, size_t *npos, bool *help)
{
    *npos = 0;
    *help = false;
    for (size_t g = 0; g < ngroups; g++) {
        int ret = sky_opts_defaults(groups[g].table, groups[g].dst);
        SKY_ASSERT(ret == 0);
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            *help = true;
            return 0;
        }
    }

    const char *cfg = config_arg(argc, argv);
    char path[1024];
    if (cfg) {
        int ret = apply_config(cfg, true, groups, ngroups);
        if (ret < 0)
            return ret;
    } else {
        char dir[900];
        if (sky_config_dir(dir, sizeof(dir)) == 0) {
            snprintf(path, sizeof(path), "%s/skylight.conf", dir);
            int ret = apply_config(path, false, groups, ngroups);
            if (ret < 0)
                return ret;
        }
    }

    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            if (*npos >= max_pos) {
                fprintf(stderr, "skylight: unexpected argument '%s'\n", a);
                return SKY_ERR(EINVAL);
            }
            pos[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (a[1] != '-') {
            fprintf(stderr, "skylight: unknown option '%s' (options are long: --name)\n", a);
            return SKY_ERR(EINVAL);
        }
        char name[128];
        const char *value = NULL;
        const char *eq = strchr(a + 2, '=');
        size_t n = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        if (n >= sizeof(name)) {
            fprintf(stderr, "skylight: unknown option '%.40s...'\n", a);
            return SKY_ERR(EINVAL);
        }
        memcpy(name, a + 2, n);
        name[n] = '\0';
        if (eq)
            value = eq + 1;
        void *dst;
        const SkyOpt *o = find(groups, ngroups, name, &dst);
        if (!o && strncmp(name, "no-", 3) == 0 && !eq) {
            o = find(groups, ngroups, name + 3, &dst);
            if (o && o->type == SKY_OPT_BOOL)
                value = "no";
            else
                o = NULL;
        }
        if (!o) {
            fprintf(stderr, "skylight: unknown option '--%s' (see --help)\n", name);
            return SKY_ERR(EINVAL);
        }
        if (!value && o->type != SKY_OPT_BOOL) {
            if (i + 1 >= argc) {
                fprintf(stderr, "skylight: --%s needs a value\n", name);
                return SKY_ERR(EINVAL);
            }
            value = argv[++i];
        }
        char err[256];
        int ret = sky_opts_set(o, dst, value, err, sizeof(err));
        if (ret < 0) {
            fprintf(stderr, "skylight: %s\n", err);
            return ret;
        }
    }
    return 0;
}

void sky_cli_print_groups(FILE *out, const SkyOptGroup *groups, size_t ngroups)
{
    for (size_t g = 0; g < ngroups; g++) {
        fprintf(out, "\n%s:\n", groups[g].title);
        sky_opts_print_help(out, groups[g].table);
    }
}

void sky_cli_on_quit_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
