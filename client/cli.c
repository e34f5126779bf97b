/* Command-line and config-file handling: a verb's groups filled from defaults, the config
 * file, its [host NAME] sections and argv; the typo suggestions; the config writer (cli.h). */
#include "client/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "client/fsutil.h"
#include "client/verbs.h"
#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "config"

const SkyOpt sky_global_opts_table[] = {
    {"log-level", SKY_OPT_CHOICE, offsetof(SkyGlobalOpts, log_level), 0, 0, 0,
     "error|warn|info|verbose|debug", "info", NULL, "how much to log (to stderr)"},
    {"config", SKY_OPT_STRING, offsetof(SkyGlobalOpts, config),
     sizeof(((SkyGlobalOpts *)0)->config), 0, 0, NULL, "", "FILE",
     "config file of 'option = value' lines and [host NAME] sections [default: "
     "$XDG_CONFIG_HOME/skylight/skylight.conf]"},
    SKY_OPT_END,
};

static const SkyOptGroup global_group = {"General", sky_global_opts_table, 0};

#define MAX_MESSAGES 64
#define HOST_SECTION "host"

/* A message about the config file, logged once the log level is known. */
typedef struct Message {
    SkyLogLevel level;
    char text[480];
} Message;

struct SkyCli {
    const SkyVerb *verb;
    void *ctx;
    SkyGlobalOpts global;
    int argc;
    char **argv;
    char path[1024];   /* the config file read; "" if none */

    char *text;        /* the file, kept for its [host NAME] sections (host_sections verbs) */
    size_t len;

    Message msgs[MAX_MESSAGES];
    size_t nmsgs, dropped;

    /* While reading the file. */
    const char *section_host; /* the NAME of [host NAME]; NULL: none (or an unknown section) */
    bool section_unknown;
    const char *const *names; /* sky_cli_apply_host: the host's names */
    size_t nnames;
    int applied;

    char err[1200];           /* the usage error, printed after the messages */
};

/* ---- the verbs' options ---- */

static void *group_dst(SkyCli *c, const SkyOptGroup *g)
{
    return g == &global_group ? (void *)&c->global : (char *)c->ctx + g->offset;
}

/* The verb's option called name (and its group), or NULL. */
static const SkyOpt *verb_find(const SkyVerb *v, const char *name, const SkyOptGroup **group)
{
    const SkyOpt *o = sky_opts_find(sky_global_opts_table, name);
    *group = &global_group;
    for (const SkyOptGroup *g = v->groups; !o && g->table; g++) {
        o = sky_opts_find(g->table, name);
        *group = g;
    }
    return o;
}

/* The verbs other than `except` that have the option, as "'a'", "'a' and 'b'", "'a', 'b' and
 * 'c'". Returns how many. */
static size_t verbs_with(const char *name, const SkyVerb *except, char *out, size_t cap)
{
    const SkyVerb *found[32];
    size_t n = 0;
    const SkyOptGroup *g;
    for (size_t i = 0; sky_verb_at(i) && n < 32; i++)
        if (sky_verb_at(i) != except && verb_find(sky_verb_at(i), name, &g))
            found[n++] = sky_verb_at(i);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++) {
        int m = snprintf(out + len, cap - len, "%s'%s'", i == 0 ? "" : i + 1 == n ? " and " : ", ",
                         found[i]->name);
        len += m > 0 ? (size_t)m : 0;
    }
    return n;
}

static void offer_table(SkySuggest *s, const SkyOpt *table, bool only_no)
{
    for (const SkyOpt *o = table; o->name; o++)
        if (!only_no || sky_opts_takes_no(o))
            sky_suggest_offer(s, o->name);
}

static void offer_verb(SkySuggest *s, const SkyVerb *v, bool only_no)
{
    offer_table(s, sky_global_opts_table, only_no);
    for (const SkyOptGroup *g = v->groups; g->table; g++)
        offer_table(s, g->table, only_no);
}

/* The nearest option of any verb, or NULL. */
static const char *suggest_any(const char *name)
{
    SkySuggest s;
    sky_suggest_init(&s, name);
    for (size_t i = 0; sky_verb_at(i); i++)
        offer_verb(&s, sky_verb_at(i), false);
    return sky_suggest_result(&s);
}

/* The option entries met so far by sky_cli_check_tables, and a verb of each. */
typedef struct Seen {
    const SkyOpt *opt[512];
    const SkyVerb *verb[512];
    size_t n;
} Seen;

static int check_table(const SkyVerb *v, const SkyOpt *table, Seen *seen, char *err,
                       size_t errlen)
{
    for (const SkyOpt *o = table; o->name; o++) {
        size_t tables = sky_opts_find(sky_global_opts_table, o->name) != NULL;
        for (const SkyOptGroup *g = v->groups; g->table; g++)
            tables += sky_opts_find(g->table, o->name) != NULL;
        if (tables != 1 || sky_opts_find(table, o->name) != o) {
            snprintf(err, errlen, "'%s' sees the option '%s' twice", v->name, o->name);
            return SKY_ERR(EINVAL);
        }
        char why[256];
        if (o->def && sky_opts_validate(o, o->def, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "the default of '%s' does not parse: %s", o->name, why);
            return SKY_ERR(EINVAL);
        }
        bool known = false;
        for (size_t k = 0; k < seen->n && !known; k++) {
            known = seen->opt[k] == o;
            if (!known && strcmp(seen->opt[k]->name, o->name) == 0) {
                snprintf(err, errlen, "'%s' is declared twice (by '%s' and by '%s')", o->name,
                         seen->verb[k]->name, v->name);
                return SKY_ERR(EINVAL);
            }
        }
        if (!known) {
            SKY_ASSERT(seen->n < sizeof(seen->opt) / sizeof(seen->opt[0]));
            seen->verb[seen->n] = v;
            seen->opt[seen->n++] = o;
        }
    }
    return 0;
}

int sky_cli_check_verbs(const SkyVerb *const *verbs, size_t n, char *err, size_t errlen)
{
    Seen *seen = calloc(1, sizeof(*seen));
    if (!seen)
        return SKY_ERR(ENOMEM);
    int ret = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        ret = check_table(verbs[i], sky_global_opts_table, seen, err, errlen);
        for (const SkyOptGroup *g = verbs[i]->groups; g->table && ret == 0; g++)
            ret = check_table(verbs[i], g->table, seen, err, errlen);
    }
    free(seen);
    return ret;
}

int sky_cli_check_tables(char *err, size_t errlen)
{
    const SkyVerb *verbs[64];
    size_t n;
    for (n = 0; n < 64 && sky_verb_at(n); n++)
        verbs[n] = sky_verb_at(n);
    SKY_ASSERT(!sky_verb_at(n));
    return sky_cli_check_verbs(verbs, n, err, errlen);
}

/* ---- messages ---- */

static void note(SkyCli *c, SkyLogLevel level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(SkyCli *c, SkyLogLevel level, const char *fmt, ...)
{
    if (c->nmsgs == MAX_MESSAGES) {
        c->dropped += level <= SKY_LOG_WARN;
        return;
    }
    Message *m = &c->msgs[c->nmsgs++];
    m->level = level;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->text, sizeof(m->text), fmt, ap);
    va_end(ap);
}

/* Sets the log level and logs the messages kept so far. */
static void flush_messages(SkyCli *c)
{
    sky_log_set_level((SkyLogLevel)c->global.log_level);
    for (size_t i = 0; i < c->nmsgs; i++)
        sky_log(c->msgs[i].level, TAG, "%s", c->msgs[i].text);
    if (c->dropped)
        SKY_LOGW(TAG, "%s: %zu more warnings", c->path, c->dropped);
    c->nmsgs = 0;
    c->dropped = 0;
}

/* The first error (a one-line message); sky_cli_parse prints it last. */
static void set_error(SkyCli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_error(SkyCli *c, const char *fmt, ...)
{
    if (c->err[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
}

/* ---- the config file ---- */

/* A "[NAME]" line: "host NAME" starts a host's section, anything else is unknown (reported
 * once: when the file is first read). */
static void config_section(SkyCli *c, const char *section, int line, bool report)
{
    size_t kind = strlen(HOST_SECTION);
    c->section_host = NULL;
    c->section_unknown = true;
    if (strncasecmp(section, HOST_SECTION, kind) == 0 &&
        (section[kind] == ' ' || section[kind] == '\t')) {
        const char *name = section + kind;
        while (*name == ' ' || *name == '\t')
            name++;
        c->section_host = name;
        c->section_unknown = false;
        if (!c->verb->host_sections && report)
            note(c, SKY_LOG_DEBUG, "%s:%d: [%s]: host sections apply to 'stream' only", c->path,
                 line, section);
        return;
    }
    if (report)
        note(c, SKY_LOG_WARN, "%s:%d: unknown section '[%s]' (sections are [host NAME]); its "
             "lines are ignored", c->path, line, section);
}

static int config_entry(void *opaque, const char *section, const char *key, const char *value,
                        int line)
{
    SkyCli *c = opaque;
    if (!key) {
        config_section(c, section, line, true);
        return 0;
    }
    if (section && c->section_unknown)
        return 0;
    const SkyOptGroup *g;
    const SkyOpt *o = verb_find(c->verb, key, &g);
    if (!o) {
        char verbs[256];
        const char *near;
        if (verbs_with(key, c->verb, verbs, sizeof(verbs)) > 0)
            note(c, SKY_LOG_DEBUG, "%s:%d: '%s' is a %s option: skipped", c->path, line, key,
                 verbs);
        else if ((near = suggest_any(key)) != NULL)
            note(c, SKY_LOG_WARN, "%s:%d: unknown option '%s' (did you mean '%s'?)", c->path,
                 line, key, near);
        else
            note(c, SKY_LOG_WARN, "%s:%d: unknown option '%s'", c->path, line, key);
        return 0;
    }
    if (strcmp(key, "config") == 0 || (section && !c->verb->host_sections))
        return 0;
    /* Host sections' values are checked now and applied by sky_cli_apply_host. */
    char err[256];
    int ret = section ? sky_opts_validate(o, value, err, sizeof(err))
                      : sky_opts_set(o, group_dst(c, g), value, err, sizeof(err));
    if (ret < 0)
        set_error(c, "skylight: %s:%d: %s", c->path, line, err);
    return ret;
}

static int read_config(SkyCli *c, bool must_exist)
{
    char *text = NULL;
    size_t len = 0;
    int ret = sky_read_file(c->path, SKY_CONFIG_MAX_BYTES, &text, &len);
    if (ret == SKY_ERR(ENOENT) && !must_exist) {
        c->path[0] = '\0';
        return 0;
    }
    if (ret == SKY_ERR(E2BIG)) {
        set_error(c, "skylight: config file %s is over %d bytes", c->path,
                  SKY_CONFIG_MAX_BYTES);
        return ret;
    }
    if (ret < 0) {
        set_error(c, "skylight: cannot read config file %s: %s", c->path, sky_strerror(ret));
        return ret;
    }
    char err[256];
    ret = sky_config_parse_sections(text, len, config_entry, c, err, sizeof(err));
    if (ret < 0)
        set_error(c, "skylight: %s: %s", c->path, err);
    c->section_host = NULL; /* it pointed into the parser's copy */
    if (ret == 0 && c->verb->host_sections) {
        c->text = text;
        c->len = len;
    } else {
        free(text);
    }
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

int sky_cli_config_path(char *out, size_t cap)
{
    char dir[900];
    int ret = sky_config_dir(dir, sizeof(dir));
    if (ret < 0)
        return ret;
    int n = snprintf(out, cap, "%s/skylight.conf", dir);
    return n < 0 || (size_t)n >= cap ? SKY_ERR(ENAMETOOLONG) : 0;
}

/* ---- the command line ---- */

/* An option the verb does not have: a one-line usage error that helps. */
static void unknown_option(SkyCli *c, const char *name)
{
    const char *verb = c->verb->name;
    char verbs[256];
    if (verbs_with(name, c->verb, verbs, sizeof(verbs)) > 0) {
        set_error(c, "skylight %s: --%s is a %s option", verb, name, verbs);
        return;
    }
    /* The nearest of this verb's options (for --no-X, of those that take --no-). */
    bool no = strncmp(name, "no-", 3) == 0;
    SkySuggest s;
    sky_suggest_init(&s, no ? name + 3 : name);
    offer_verb(&s, c->verb, no);
    const char *near = sky_suggest_result(&s);
    if (near) {
        set_error(c, "skylight %s: unknown option '--%s' (did you mean '--%s%s'?)", verb, name,
                  no ? "no-" : "", near);
        return;
    }
    near = suggest_any(name);
    if (near && verbs_with(near, c->verb, verbs, sizeof(verbs)) > 0)
        set_error(c, "skylight %s: unknown option '--%s' (did you mean '--%s', a %s option?)",
                  verb, name, near, verbs);
    else
        set_error(c, "skylight %s: unknown option '--%s' (see skylight %s --help)", verb, name,
                  verb);
}

/* Applies argv's options; with pos, collects the positional arguments too. */
static int parse_argv(SkyCli *c, const char **pos, size_t max_pos, size_t *npos)
{
    const char *verb = c->verb->name;
    bool only_pos = false;
    for (int i = 1; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            if (!pos)
                continue;
            if (*npos >= max_pos) {
                set_error(c, "skylight %s: unexpected argument '%s'", verb, a);
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
            set_error(c, "skylight %s: unknown option '%s' (options are long: --name)", verb, a);
            return SKY_ERR(EINVAL);
        }
        char name[128];
        const char *value = NULL;
        const char *eq = strchr(a + 2, '=');
        size_t n = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        if (n >= sizeof(name)) {
            set_error(c, "skylight %s: unknown option '%.40s...'", verb, a);
            return SKY_ERR(EINVAL);
        }
        memcpy(name, a + 2, n);
        name[n] = '\0';
        if (eq)
            value = eq + 1;
        const SkyOptGroup *g;
        const SkyOpt *o = verb_find(c->verb, name, &g);
        if (!o && strncmp(name, "no-", 3) == 0 && !eq) {
            o = verb_find(c->verb, name + 3, &g);
            if (o && sky_opts_takes_no(o))
                value = "no";
            else
                o = NULL;
        }
        if (!o) {
            unknown_option(c, name);
            return SKY_ERR(EINVAL);
        }
        if (!value && o->type != SKY_OPT_BOOL) {
            if (i + 1 >= c->argc) {
                set_error(c, "skylight %s: --%s needs a value", verb, name);
                return SKY_ERR(EINVAL);
            }
            value = c->argv[++i];
        }
        char err[256];
        int ret = sky_opts_set(o, group_dst(c, g), value, err, sizeof(err));
        if (ret < 0) {
            set_error(c, "skylight %s: %s", verb, err);
            return ret;
        }
    }
    return 0;
}

static void set_defaults(SkyCli *c)
{
    int ret = sky_opts_defaults(sky_global_opts_table, &c->global);
    for (const SkyOptGroup *g = c->verb->groups; ret == 0 && g->table; g++)
        ret = sky_opts_defaults(g->table, group_dst(c, g));
    SKY_ASSERT(ret == 0);
}

int sky_cli_parse(SkyCli **out, const SkyVerb *verb, void *ctx, int argc, char **argv,
                  const char **pos, size_t max_pos, size_t *npos, bool *help)
{
    *out = NULL;
    *npos = 0;
    *help = false;
    SkyCli *c = calloc(1, sizeof(*c));
    if (!c)
        return SKY_ERR(ENOMEM);
    *c = (SkyCli){.verb = verb, .ctx = ctx, .argc = argc, .argv = argv};
    /* A name declared twice would make the file mean different things to different verbs. */
    char why[256];
    if (sky_cli_check_tables(why, sizeof(why)) < 0) {
        fprintf(stderr, "skylight: the option tables are broken: %s\n", why);
        abort();
    }
    set_defaults(c);
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            *help = true;
            sky_cli_destroy(&c);
            return 0;
        }
    }

    const char *cfg = config_arg(argc, argv);
    int ret = 0;
    if (cfg)
        snprintf(c->path, sizeof(c->path), "%s", cfg);
    else if (sky_cli_config_path(c->path, sizeof(c->path)) < 0)
        c->path[0] = '\0';
    if (c->path[0])
        ret = read_config(c, cfg != NULL);
    if (ret == 0)
        ret = parse_argv(c, pos, max_pos, npos);
    /* What the file had to say, at the level it or argv chose (when argv is bad: the file's),
     * then the error. */
    flush_messages(c);
    if (ret < 0) {
        if (!c->err[0])
            set_error(c, "skylight %s: %s", verb->name, sky_strerror(ret));
        fprintf(stderr, "%s\n", c->err);
        sky_cli_destroy(&c);
        return ret;
    }
    *out = c;
    return 0;
}

/* sky_cli_apply_host's pass over the file: the entries of the host's sections. */
static int host_entry(void *opaque, const char *section, const char *key, const char *value,
                      int line)
{
    SkyCli *c = opaque;
    if (!key) {
        config_section(c, section, line, false);
        for (size_t k = 0; c->section_host && k < c->nnames; k++)
            if (c->names[k] && c->names[k][0] &&
                sky_config_section_equal(c->section_host, c->names[k]))
                return 0;
        c->section_host = NULL; /* another host's */
        return 0;
    }
    const SkyOptGroup *g;
    const SkyOpt *o = section && c->section_host ? verb_find(c->verb, key, &g) : NULL;
    if (!o || strcmp(key, "config") == 0)
        return 0;
    char err[256];
    int ret = sky_opts_set(o, group_dst(c, g), value, err, sizeof(err));
    SKY_ASSERT(ret == 0); /* checked when the file was read */
    note(c, SKY_LOG_VERBOSE, "%s:%d: [host %s] %s = %s", c->path, line, c->section_host, key,
         value);
    c->applied++;
    return 0;
}

int sky_cli_apply_host(SkyCli *c, const char *const *names, size_t n)
{
    c->names = names;
    c->nnames = n;
    c->applied = 0;
    c->section_host = NULL;
    char err[256];
    int ret = c->text ? sky_config_parse_sections(c->text, c->len, host_entry, c, err,
                                                  sizeof(err))
                      : 0;
    SKY_ASSERT(ret == 0); /* it parsed the first time */
    if (c->applied) {
        size_t ignored = 0;
        ret = parse_argv(c, NULL, 0, &ignored);
        SKY_ASSERT(ret == 0); /* it parsed the first time too */
    }
    flush_messages(c);
    return c->applied;
}

void sky_cli_destroy(SkyCli **cp)
{
    SkyCli *c = *cp;
    if (!c)
        return;
    free(c->text);
    free(c);
    *cp = NULL;
}

void sky_cli_print_groups(FILE *out, const SkyVerb *verb)
{
    for (const SkyOptGroup *g = verb->groups; g->table; g++) {
        fprintf(out, "\n%s:\n", g->title);
        sky_opts_print_help(out, g->table);
    }
    fprintf(out, "\n%s:\n", global_group.title);
    sky_opts_print_help(out, global_group.table);
}

/* ---- writing the config file ---- */

const SkyOpt *sky_cli_find_option(const char *key)
{
    const SkyOpt *o = NULL;
    const SkyOptGroup *g;
    for (size_t i = 0; sky_verb_at(i) && !o; i++)
        o = verb_find(sky_verb_at(i), key, &g);
    return o;
}

int sky_cli_config_set_many(const char *path, const char *host, const char *const *keys,
                            const char *const *values, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const SkyOpt *o = sky_cli_find_option(keys[i]);
        if (!o || strcmp(keys[i], "config") == 0) {
            snprintf(err, errlen, "'%s' is not an option a config file can set", keys[i]);
            return SKY_ERR(EINVAL);
        }
        int ret = values[i] ? sky_opts_validate(o, values[i], err, errlen) : 0;
        if (ret < 0)
            return ret;
    }
    char section[300];
    if (host && snprintf(section, sizeof(section), HOST_SECTION " %s", host) >=
                    (int)sizeof(section)) {
        snprintf(err, errlen, "the host name is too long");
        return SKY_ERR(EINVAL);
    }

    char *text = NULL;
    size_t len = 0;
    mode_t mode = 0644;
    struct stat st;
    if (stat(path, &st) == 0)
        mode = st.st_mode & 07777;
    int ret = sky_read_file(path, SKY_CONFIG_MAX_BYTES, &text, &len);
    if (ret == SKY_ERR(ENOENT)) {
        char dir[1024];
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            ret = sky_mkdirs(dir, 0700);
        } else {
            ret = 0;
        }
    }
    if (ret < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, sky_strerror(ret));
        free(text);
        return ret;
    }
    /* Every key edited in memory, then one atomic write: all of them or none. */
    for (size_t i = 0; i < n && ret == 0; i++) {
        char *edited = NULL, why[256];
        size_t edited_len = 0;
        ret = sky_config_edit(text ? text : "", len, host ? section : NULL, keys[i], values[i],
                              &edited, &edited_len, why, sizeof(why));
        if (ret < 0) {
            snprintf(err, errlen, "%s: %s", path, why);
        } else {
            free(text);
            text = edited;
            len = edited_len;
        }
    }
    if (ret == 0) {
        ret = sky_write_file_atomic(path, text ? text : "", len, mode);
        if (ret < 0)
            snprintf(err, errlen, "cannot write %s: %s", path, sky_strerror(ret));
    }
    free(text);
    return ret;
}

int sky_cli_config_set(const char *path, const char *host, const char *key, const char *value,
                       char *err, size_t errlen)
{
    return sky_cli_config_set_many(path, host, &key, &value, 1, err, errlen);
}

void sky_cli_on_quit_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
