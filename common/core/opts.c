/* Option tables (parse, defaults, help) and the config-file reader (opts.h). */
#include "common/core/opts.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"

/* Choices are "name,alias,...|name,alias,...|...". Returns the index of the choice that has
 * value as its name or one of its aliases, or -1. */
static int choice_index(const char *choices, const char *value)
{
    size_t vlen = strlen(value);
    int idx = 0;
    for (const char *p = choices; p && *p; idx++) {
        const char *bar = strchr(p, '|');
        const char *end = bar ? bar : p + strlen(p);
        for (const char *w = p; w < end;) {
            const char *comma = memchr(w, ',', (size_t)(end - w));
            const char *wend = comma ? comma : end;
            if ((size_t)(wend - w) == vlen && strncmp(w, value, vlen) == 0)
                return idx;
            w = comma ? comma + 1 : end;
        }
        p = bar ? bar + 1 : NULL;
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
        const char *comma = memchr(p, ',', n);
        if (comma)
            n = (size_t)(comma - p);
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

/* The choices' names without their aliases, joined by sep. */
static void choice_names(const SkyOpt *o, const char *sep, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0;; i++) {
        const char *name = sky_opts_choice_name(o, i);
        if (strcmp(name, "?") == 0)
            break;
        int m = snprintf(out + n, cap - n, "%s%s", i ? sep : "", name);
        if (m < 0 || (size_t)m >= cap - n)
            break;
        n += (size_t)m;
    }
}

bool sky_opts_takes_no(const SkyOpt *o)
{
    return o->type == SKY_OPT_BOOL ||
           (o->type == SKY_OPT_CHOICE && choice_index(o->choices, "no") >= 0);
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

static int string_fits(const SkyOpt *o, const char *value, char *err, size_t errlen)
{
    size_t n = strlen(value);
    if (n >= o->size) {
        snprintf(err, errlen, "--%s: value is too long (%zu bytes, at most %zu)", o->name, n,
                 o->size - 1);
        return SKY_ERR(ERANGE);
    }
    return 0;
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
        int ret = string_fits(o, value, err, errlen);
        if (ret == 0)
            memcpy(field, value, strlen(value) + 1);
        return ret;
    }
    case SKY_OPT_CHOICE: {
        int idx = choice_index(o->choices, value);
        if (idx < 0) {
            char names[256];
            choice_names(o, "|", names, sizeof(names));
            snprintf(err, errlen, "--%s: '%s' is not one of %s", o->name, value, names);
            return SKY_ERR(EINVAL);
        }
        *(int *)field = idx;
        return 0;
    }
    }
    return SKY_ERR(EINVAL);
}

int sky_opts_validate(const SkyOpt *o, const char *value, char *err, size_t errlen)
{
    if (o->type == SKY_OPT_STRING && value)
        return string_fits(o, value, err, errlen);
    union {
        bool b;
        int i;
        double d;
    } scratch;
    SkyOpt copy = *o;
    copy.offset = 0;
    return sky_opts_set(&copy, &scratch, value, err, errlen);
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
            char names[256];
            choice_names(o, ", ", names, sizeof(names));
            fprintf(out, " (%s)", names);
        }
        if (o->def && o->def[0])
            fprintf(out, " [default: %s]", o->def);
        fputc('\n', out);
    }
}

/* ---- config files ---- */

static bool is_space(char c)
{
    return isspace((unsigned char)c) != 0;
}

static char *trim(char *s)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1]))
        s[--n] = '\0';
    return s;
}

typedef enum LineKind {
    LINE_BLANK,   /* empty, whitespace or a comment */
    LINE_SECTION, /* "[name]" */
    LINE_ENTRY,   /* "key = value" */
} LineKind;

/* One line of a config file, as read. */
typedef struct Line {
    LineKind kind;
    bool comment;         /* BLANK: a comment line */
    size_t start, len;    /* its bytes in the text, without the newline */
    size_t next;          /* where the next line starts */
    char buf[1024];
    char *key, *value;    /* ENTRY: trimmed, in buf */
    char *section;        /* SECTION: trimmed, in buf */
} Line;

#define LINE_MAX_BYTES 1023

/* Reads the line that starts at pos. Returns 0, or SKY_ERR(EINVAL) with the reason (and the
 * line number) in err. Without `sections`, a "[...]" line is read like any other. */
static int read_line(const char *text, size_t len, size_t pos, int lineno, bool sections,
                     Line *l, char *err, size_t errlen)
{
    size_t end = pos;
    while (end < len && text[end] != '\n')
        end++;
    l->start = pos;
    l->len = end - pos;
    l->next = end < len ? end + 1 : end;
    l->kind = LINE_BLANK;
    l->comment = false;
    if (l->len > LINE_MAX_BYTES) {
        snprintf(err, errlen, "line %d: too long", lineno);
        return SKY_ERR(EINVAL);
    }
    memcpy(l->buf, text + pos, l->len);
    l->buf[l->len] = '\0';
    if (memchr(l->buf, '\0', l->len)) {
        snprintf(err, errlen, "line %d: contains a NUL byte", lineno);
        return SKY_ERR(EINVAL);
    }
    char *hash = strchr(l->buf, '#');
    if (hash)
        *hash = '\0';
    char *s = trim(l->buf);
    if (*s == '\0') {
        l->comment = hash != NULL;
        return 0;
    }
    if (sections && *s == '[') {
        char *close = strchr(s, ']');
        if (!close || close[1] != '\0') {
            snprintf(err, errlen, "line %d: expected '[name]'", lineno);
            return SKY_ERR(EINVAL);
        }
        *close = '\0';
        l->section = trim(s + 1);
        if (*l->section == '\0' || strchr(l->section, '[')) {
            snprintf(err, errlen, "line %d: expected '[name]'", lineno);
            return SKY_ERR(EINVAL);
        }
        l->kind = LINE_SECTION;
        return 0;
    }
    char *eq = strchr(s, '=');
    if (!eq) {
        snprintf(err, errlen, "line %d: expected 'key = value'", lineno);
        return SKY_ERR(EINVAL);
    }
    *eq = '\0';
    l->key = trim(s);
    l->value = trim(eq + 1);
    if (*l->key == '\0') {
        snprintf(err, errlen, "line %d: empty key", lineno);
        return SKY_ERR(EINVAL);
    }
    l->kind = LINE_ENTRY;
    return 0;
}

typedef struct PlainFn {
    SkyConfigFn fn;
    void *opaque;
} PlainFn;

static int parse(const char *text, size_t len, bool sections, SkyConfigSectionFn fn,
                 void *opaque, char *err, size_t errlen)
{
    Line *l = malloc(sizeof(*l));
    if (!l)
        return SKY_ERR(ENOMEM);
    char *section = NULL;
    int ret = 0;
    if (err && errlen)
        err[0] = '\0';
    for (size_t pos = 0, lineno = 1; pos < len && ret == 0; pos = l->next, lineno++) {
        ret = read_line(text, len, pos, (int)lineno, sections, l, err, errlen);
        if (ret < 0 || l->kind == LINE_BLANK)
            continue;
        if (l->kind == LINE_SECTION) {
            free(section);
            section = strdup(l->section);
            ret = section ? fn(opaque, section, NULL, NULL, (int)lineno) : SKY_ERR(ENOMEM);
        } else {
            ret = fn(opaque, section, l->key, l->value, (int)lineno);
        }
        if (ret < 0 && err && errlen && err[0] == '\0')
            snprintf(err, errlen, "line %zu: %s", lineno, sky_strerror(ret));
    }
    free(section);
    free(l);
    return ret;
}

static int plain_entry(void *opaque, const char *section, const char *key, const char *value,
                       int line)
{
    const PlainFn *p = opaque;
    (void)section; /* always NULL: sections are off */
    return p->fn(p->opaque, key, value, line);
}

int sky_config_parse(const char *text, size_t len, SkyConfigFn fn, void *opaque, char *err,
                     size_t errlen)
{
    PlainFn p = {fn, opaque};
    return parse(text, len, false, plain_entry, &p, err, errlen);
}

int sky_config_parse_sections(const char *text, size_t len, SkyConfigSectionFn fn,
                              void *opaque, char *err, size_t errlen)
{
    return parse(text, len, true, fn, opaque, err, errlen);
}

bool sky_config_section_equal(const char *a, const char *b)
{
    while (is_space(*a))
        a++;
    while (is_space(*b))
        b++;
    for (;;) {
        bool sa = is_space(*a), sb = is_space(*b);
        if (sa || sb) {
            while (is_space(*a))
                a++;
            while (is_space(*b))
                b++;
            /* A run of whitespace matches a run, and trailing whitespace matches the end. */
            if ((*a == '\0') != (*b == '\0') || (*a && !(sa && sb)))
                return false;
        }
        if (*a == '\0' || *b == '\0')
            return *a == *b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
        a++;
        b++;
    }
}

/* ---- editing ---- */

/* What the editor needs to know of each line. */
typedef struct LineInfo {
    size_t start, len, next;
    LineKind kind;
    bool comment;
    bool in_section; /* an entry of the section being edited, or one of its headers */
    bool sets_key;   /* an entry of that section that sets the key */
} LineInfo;

/* An output buffer that was sized for the worst case up front. */
typedef struct Out {
    char *p;
    size_t n, cap;
} Out;

static void put(Out *o, const char *s, size_t n)
{
    SKY_ASSERT(o->n + n < o->cap);
    memcpy(o->p + o->n, s, n);
    o->n += n;
}

static void put_str(Out *o, const char *s)
{
    put(o, s, strlen(s));
}

static bool word_ok(const char *s, const char *forbidden, bool inner_space)
{
    for (const char *p = s; *p; p++)
        if (strchr(forbidden, *p) || (!inner_space && is_space(*p)) || *p == '\n' || *p == '\r')
            return false;
    return s[0] == '\0' || (!is_space(s[0]) && !is_space(s[strlen(s) - 1]));
}

static int check_edit(const char *section, const char *key, const char *value, char *err,
                      size_t errlen)
{
    if (!key[0] || !word_ok(key, "=#[]", false)) {
        snprintf(err, errlen, "'%s' cannot be a key", key);
        return SKY_ERR(EINVAL);
    }
    if (value && !word_ok(value, "#", true)) {
        snprintf(err, errlen, "'%s' cannot be written as a value", value);
        return SKY_ERR(EINVAL);
    }
    if (section && (!section[0] || !word_ok(section, "#[]", true))) {
        snprintf(err, errlen, "'%s' cannot be a section name", section);
        return SKY_ERR(EINVAL);
    }
    if (strlen(key) + 3 + (value ? strlen(value) : 0) > LINE_MAX_BYTES ||
        (section && strlen(section) + 2 > LINE_MAX_BYTES)) {
        snprintf(err, errlen, "the line would be over %d bytes", LINE_MAX_BYTES);
        return SKY_ERR(EINVAL);
    }
    return 0;
}

/* Reads every line of text into a malloc'd array (*n of them), marking those of `section`. */
static int scan(const char *text, size_t len, const char *section, const char *key,
                LineInfo **lines, size_t *n, char *err, size_t errlen)
{
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += text[i] == '\n';
    LineInfo *li = calloc(cap, sizeof(*li));
    Line *l = malloc(sizeof(*l));
    int ret = li && l ? 0 : SKY_ERR(ENOMEM);
    bool in_section = section == NULL;
    *n = 0;
    for (size_t pos = 0; ret == 0 && pos < len; pos = l->next) {
        SKY_ASSERT(*n < cap);
        ret = read_line(text, len, pos, (int)*n + 1, true, l, err, errlen);
        if (ret < 0)
            break;
        LineInfo *x = &li[(*n)++];
        *x = (LineInfo){l->start, l->len, l->next, l->kind, l->comment, false, false};
        if (l->kind == LINE_SECTION)
            in_section = section && sky_config_section_equal(l->section, section);
        x->in_section = in_section && l->kind != LINE_BLANK;
        x->sets_key = in_section && l->kind == LINE_ENTRY && strcmp(l->key, key) == 0;
    }
    free(l);
    if (ret < 0) {
        free(li);
        li = NULL;
    }
    *lines = li;
    return ret;
}

/* The replacement of line x (which sets the key): its indentation, the new entry, and its
 * trailing comment and carriage return. */
static int replace_line(Out *o, const char *text, const LineInfo *x, const char *key,
                        const char *value, char *err, size_t errlen)
{
    const char *s = text + x->start;
    size_t len = x->len;
    bool cr = len > 0 && s[len - 1] == '\r';
    if (cr)
        len--;
    size_t indent = 0;
    while (indent < len && (s[indent] == ' ' || s[indent] == '\t'))
        indent++;
    const char *hash = memchr(s, '#', len);
    size_t tail = hash ? (size_t)(hash - s) : len;
    while (hash && tail > indent && is_space(s[tail - 1]))
        tail--;
    size_t total = indent + strlen(key) + 3 + strlen(value) + (len - (hash ? tail : len)) + cr;
    if (total > LINE_MAX_BYTES) {
        snprintf(err, errlen, "the line would be over %d bytes", LINE_MAX_BYTES);
        return SKY_ERR(EINVAL);
    }
    put(o, s, indent);
    put_str(o, key);
    put_str(o, " = ");
    put_str(o, value);
    if (hash)
        put(o, s + tail, len - tail);
    if (cr)
        put(o, "\r", 1);
    return 0;
}

static void put_entry(Out *o, const char *key, const char *value)
{
    put_str(o, key);
    put_str(o, " = ");
    put_str(o, value);
    put(o, "\n", 1);
}

int sky_config_edit(const char *text, size_t len, const char *section, const char *key,
                    const char *value, char **out, size_t *out_len, char *err, size_t errlen)
{
    *out = NULL;
    *out_len = 0;
    if (err && errlen)
        err[0] = '\0';
    int ret = check_edit(section, key, value, err, errlen);
    LineInfo *li = NULL;
    size_t n = 0;
    if (ret == 0)
        ret = scan(text, len, section, key, &li, &n, err, errlen);
    if (ret < 0)
        return ret;

    /* Where the change goes. */
    size_t replace = n, last = n, first_header = n;
    for (size_t i = 0; i < n; i++) {
        if (li[i].sets_key)
            replace = i;
        if (li[i].in_section)
            last = i;
        if (li[i].kind == LINE_SECTION && first_header == n)
            first_header = i;
    }
    enum { REMOVE, REPLACE, AFTER, BEFORE, APPEND } where;
    size_t at = n;
    if (!value) {
        where = REMOVE;
    } else if (replace < n) {
        where = REPLACE;
        at = replace;
    } else if (last < n) {
        where = AFTER; /* the section's last entry, or its header */
        at = last;
    } else if (!section && first_header < n) {
        /* No entry before the first header: the new one goes above it, and above the comment
         * lines that stand right on top of it. */
        where = BEFORE;
        for (at = first_header; at > 0 && li[at - 1].comment; at--)
            ;
    } else {
        where = APPEND;
    }

    Out o = {NULL, 0, len + strlen(key) + (value ? strlen(value) : 0) +
                          (section ? strlen(section) : 0) + 16};
    o.p = malloc(o.cap);
    if (!o.p) {
        free(li);
        return SKY_ERR(ENOMEM);
    }
    bool line_start = true; /* the output ends with a newline (or is empty) */
    for (size_t i = 0; i < n && ret == 0; i++) {
        const LineInfo *x = &li[i];
        if (where == BEFORE && i == at) {
            put_entry(&o, key, value);
            if (x->kind != LINE_BLANK || x->comment)
                put(&o, "\n", 1);
        }
        if (where == REMOVE && x->sets_key)
            continue;
        if (where == REPLACE && i == at)
            ret = replace_line(&o, text, x, key, value, err, errlen);
        else
            put(&o, text + x->start, x->len);
        line_start = x->next > x->start + x->len;
        if (line_start)
            put(&o, "\n", 1);
        if (where == AFTER && i == at) {
            if (!line_start)
                put(&o, "\n", 1);
            put_entry(&o, key, value);
            line_start = true;
        }
    }
    if (ret == 0 && where == APPEND) {
        if (!line_start)
            put(&o, "\n", 1);
        if (section) {
            /* A blank line between the last one and the new section. */
            if (o.n > 0 && !(o.n == 1 || o.p[o.n - 2] == '\n'))
                put(&o, "\n", 1);
            put_str(&o, "[");
            put_str(&o, section);
            put_str(&o, "]\n");
        }
        put_entry(&o, key, value);
    }
    free(li);
    if (ret < 0) {
        free(o.p);
        return ret;
    }
    o.p[o.n] = '\0';
    *out = o.p;
    *out_len = o.n;
    return 0;
}

/* ---- suggestions ---- */

int sky_opts_distance(const char *a, const char *b)
{
    enum { MAX = 63, FAR = 1000 };
    size_t n = strlen(a), m = strlen(b);
    if (n > MAX || m > MAX)
        return FAR;
    /* Rows i-2, i-1 and i of the dynamic-programming table, as rows[(i) % 3]. */
    int rows[3][MAX + 1];
    for (size_t j = 0; j <= m; j++)
        rows[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int *cur = rows[i % 3], *prev = rows[(i + 2) % 3], *prev2 = rows[(i + 1) % 3];
        cur[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int d = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < d)
                d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
        }
    }
    return rows[n % 3][m];
}

void sky_suggest_init(SkySuggest *s, const char *name)
{
    *s = (SkySuggest){name, NULL, 1000};
}

void sky_suggest_offer(SkySuggest *s, const char *candidate)
{
    int d = sky_opts_distance(s->name, candidate);
    if (d < s->best_distance) {
        s->best = candidate;
        s->best_distance = d;
    }
}

const char *sky_suggest_result(const SkySuggest *s)
{
    int limit = (int)(strlen(s->name) / 3);
    limit = limit < 1 ? 1 : limit > 3 ? 3 : limit;
    return s->best && s->best_distance > 0 && s->best_distance <= limit ? s->best : NULL;
}
