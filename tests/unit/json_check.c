/* See json_check.h. A recursive-descent parser that tracks the dotted path of the value it is
 * in and captures the scalar whose path matches the one asked for. */
#include "json_check.h"

#include <stdlib.h>
#include <string.h>

typedef struct Parser {
    const char *s;
    size_t pos;
    int depth;
    char path[512];
    const char *want;     /* NULL: validate only */
    const char *hit;      /* start of the matching scalar's text */
    size_t hit_len;
    bool hit_is_string;
    bool hit_is_number;
} Parser;

static bool parse_value(Parser *p);

static void skip_ws(Parser *p)
{
    while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
           p->s[p->pos] == '\r')
        p->pos++;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* At an opening quote; leaves pos after the closing one. *start and *len: the text inside. */
static bool parse_string(Parser *p, const char **start, size_t *len)
{
    if (p->s[p->pos] != '"')
        return false;
    p->pos++;
    *start = p->s + p->pos;
    for (;;) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '\0' || c < 0x20)
            return false;
        if (c == '"')
            break;
        if (c == '\\') {
            char e = p->s[p->pos + 1];
            if (e == 'u') {
                for (int i = 2; i < 6; i++)
                    if (!is_hex(p->s[p->pos + i]))
                        return false;
                p->pos += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return false;
            p->pos += 2;
            continue;
        }
        p->pos++;
    }
    *len = (size_t)(p->s + p->pos - *start);
    p->pos++;
    return true;
}

static bool parse_number(Parser *p)
{
    size_t start = p->pos;
    if (p->s[p->pos] == '-')
        p->pos++;
    if (p->s[p->pos] == '0') {
        p->pos++;
    } else if (p->s[p->pos] >= '1' && p->s[p->pos] <= '9') {
        while (is_digit(p->s[p->pos]))
            p->pos++;
    } else {
        return false;
    }
    if (p->s[p->pos] == '.') {
        p->pos++;
        if (!is_digit(p->s[p->pos]))
            return false;
        while (is_digit(p->s[p->pos]))
            p->pos++;
    }
    if (p->s[p->pos] == 'e' || p->s[p->pos] == 'E') {
        p->pos++;
        if (p->s[p->pos] == '+' || p->s[p->pos] == '-')
            p->pos++;
        if (!is_digit(p->s[p->pos]))
            return false;
        while (is_digit(p->s[p->pos]))
            p->pos++;
    }
    return p->pos > start;
}

static void scalar_seen(Parser *p, const char *start, size_t len, bool is_string, bool is_number)
{
    if (p->want && !p->hit && strcmp(p->path, p->want) == 0) {
        p->hit = start;
        p->hit_len = len;
        p->hit_is_string = is_string;
        p->hit_is_number = is_number;
    }
}

static bool parse_object(Parser *p)
{
    p->pos++; /* '{' */
    skip_ws(p);
    if (p->s[p->pos] == '}') {
        p->pos++;
        return true;
    }
    size_t base = strlen(p->path);
    for (;;) {
        const char *key;
        size_t klen;
        skip_ws(p);
        if (!parse_string(p, &key, &klen))
            return false;
        /* Extend the path with ".key" (or "key" at the top). */
        size_t need = base + (base ? 1 : 0) + klen + 1;
        if (need > sizeof(p->path))
            return false;
        if (base)
            p->path[base] = '.';
        memcpy(p->path + base + (base ? 1 : 0), key, klen);
        p->path[need - 1] = '\0';
        skip_ws(p);
        if (p->s[p->pos] != ':')
            return false;
        p->pos++;
        if (!parse_value(p))
            return false;
        p->path[base] = '\0';
        skip_ws(p);
        if (p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->s[p->pos] == '}') {
            p->pos++;
            return true;
        }
        return false;
    }
}

static bool parse_array(Parser *p)
{
    p->pos++; /* '[' */
    skip_ws(p);
    if (p->s[p->pos] == ']') {
        p->pos++;
        return true;
    }
    for (;;) {
        if (!parse_value(p))
            return false;
        skip_ws(p);
        if (p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->s[p->pos] == ']') {
            p->pos++;
            return true;
        }
        return false;
    }
}

static bool parse_literal(Parser *p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(p->s + p->pos, lit, n) != 0)
        return false;
    scalar_seen(p, p->s + p->pos, n, false, false);
    p->pos += n;
    return true;
}

static bool parse_value(Parser *p)
{
    bool ok;
    if (++p->depth > 64)
        return false;
    skip_ws(p);
    char c = p->s[p->pos];
    if (c == '{') {
        ok = parse_object(p);
    } else if (c == '[') {
        ok = parse_array(p);
    } else if (c == '"') {
        const char *start;
        size_t len;
        ok = parse_string(p, &start, &len);
        if (ok)
            scalar_seen(p, start, len, true, false);
    } else if (c == 't') {
        ok = parse_literal(p, "true");
    } else if (c == 'f') {
        ok = parse_literal(p, "false");
    } else if (c == 'n') {
        ok = parse_literal(p, "null");
    } else {
        size_t start = p->pos;
        ok = parse_number(p);
        if (ok)
            scalar_seen(p, p->s + start, p->pos - start, false, true);
    }
    p->depth--;
    return ok;
}

static bool parse_doc(Parser *p)
{
    if (!p->s || !parse_value(p))
        return false;
    skip_ws(p);
    return p->s[p->pos] == '\0';
}

bool tjson_valid(const char *doc)
{
    Parser p = {.s = doc};
    return parse_doc(&p);
}

static bool lookup(const char *doc, const char *path, Parser *p)
{
    *p = (Parser){.s = doc, .want = path};
    return parse_doc(p) && p->hit;
}

bool tjson_get(const char *doc, const char *path, char *out, size_t cap)
{
    Parser p;
    if (!lookup(doc, path, &p) || p.hit_len >= cap)
        return false;
    memcpy(out, p.hit, p.hit_len);
    out[p.hit_len] = '\0';
    return true;
}

bool tjson_number(const char *doc, const char *path, double *out)
{
    Parser p;
    char tmp[512];
    if (!lookup(doc, path, &p) || !p.hit_is_number || p.hit_len >= sizeof(tmp))
        return false;
    memcpy(tmp, p.hit, p.hit_len);
    tmp[p.hit_len] = '\0';
    *out = strtod(tmp, NULL);
    return true;
}
