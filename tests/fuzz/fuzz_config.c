/* Fuzzes the config-file parser (plain and with [sections]), option value parsing over a table
 * of every option type, and the editor: an edit either fails or gives a text that reads back
 * with the key set (or removed) in its section and every other entry as it was. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
    {"mode", SKY_OPT_CHOICE, offsetof(Opts, mode), 0, 0, 0, "a,yes|bb|ccc,no,off", "a", NULL,
     NULL},
    SKY_OPT_END,
};

static int entry(void *opaque, const char *key, const char *value, int line)
{
    Opts *o = opaque;
    char err[128];
    SKY_ASSERT(line >= 1);
    SKY_ASSERT(key[0] != '\0');
    const SkyOpt *opt = sky_opts_find(table, key);
    if (opt) {
        bool valid = sky_opts_validate(opt, value, err, sizeof(err)) == 0;
        int ret = sky_opts_set(opt, o, value, err, sizeof(err));
        SKY_ASSERT(valid == (ret == 0));
        if (ret < 0)
            SKY_ASSERT(err[0] != '\0');
    }
    return 0;
}

/* What a sectioned read saw: the entries outside the edited key, and the key's last value in
 * the edited section. */
typedef struct Seen {
    const char *section; /* the edited one; NULL: the top */
    const char *key;
    int others;
    int last_line;
    int prev_line;
    char last[1024];
    bool found;
} Seen;

static int section_entry(void *opaque, const char *section, const char *key, const char *value,
                         int line)
{
    Seen *s = opaque;
    SKY_ASSERT(line > s->prev_line);
    s->prev_line = line;
    SKY_ASSERT(!section || (section[0] && !strchr(section, '[') && !strchr(section, ']') &&
                            !strchr(section, '#')));
    if (!key) {
        SKY_ASSERT(section && !value);
        return 0;
    }
    SKY_ASSERT(key[0] && value && !strchr(key, '#') && !strchr(value, '#'));
    bool here = s->section ? section && sky_config_section_equal(section, s->section) : !section;
    if (here && strcmp(key, s->key) == 0) {
        snprintf(s->last, sizeof(s->last), "%s", value);
        s->found = true;
    } else {
        s->others++;
    }
    return 0;
}

static int read_back(const char *text, size_t len, const char *section, const char *key,
                     Seen *s)
{
    char err[128];
    *s = (Seen){section, key, 0, 0, 0, "", false};
    return sky_config_parse_sections(text, len, section_entry, s, err, sizeof(err));
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

    /* The edit: the first byte picks the section, the key and the value. */
    static const char *const sections[] = {NULL, "host a", "host  B", "x"};
    static const char *const keys[] = {"count", "a", "[x", "mode"};
    static const char *const values[] = {"30", NULL, "", "two words", "x#y", "7"};
    uint8_t pick = size ? data[0] : 0;
    const char *section = sections[pick & 3];
    const char *key = keys[(pick >> 2) & 3];
    const char *value = values[(pick >> 4) % 6];
    Seen before, after;
    bool parses = read_back((const char *)data, size, section, key, &before) == 0;
    char *out = NULL;
    size_t out_len = 0;
    int ret = sky_config_edit((const char *)data, size, section, key, value, &out, &out_len, err,
                              sizeof(err));
    if (ret < 0) {
        SKY_ASSERT(!out && err[0]);
        return 0;
    }
    SKY_ASSERT(parses && out && out[out_len] == '\0');
    SKY_ASSERT(read_back(out, out_len, section, key, &after) == 0);
    SKY_ASSERT(after.others == before.others);
    if (value)
        SKY_ASSERT(after.found && strcmp(after.last, value) == 0);
    else
        SKY_ASSERT(!after.found);
    free(out);
    return 0;
}
