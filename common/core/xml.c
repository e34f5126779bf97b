/* The bounded XML reader over expat: caps on size, depth, elements and text; no DTDs (xml.h). */
#include "common/core/xml.h"

#include <expat.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"

const SkyXmlLimits sky_xml_default_limits = {256 * 1024, 16, 20000, 64 * 1024};

typedef struct Attr {
    char *name;
    char *value;
} Attr;

struct SkyXmlNode {
    char *name;
    Attr *attrs;
    size_t n_attrs;
    char *text;
    size_t text_len;
    SkyXmlNode *parent;
    SkyXmlNode *first_child;
    SkyXmlNode *last_child;
    SkyXmlNode *next;
};

struct SkyXml {
    SkyXmlNode *root;
};

typedef struct Builder {
    XML_Parser parser;
    SkyXmlLimits lim;
    SkyXmlNode *root;
    SkyXmlNode *cur;
    unsigned depth;
    unsigned nodes;
    int error; /* first error, 0 if none */
    char reason[128];
} Builder;

static void fail(Builder *b, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(Builder *b, int err, const char *fmt, ...)
{
    if (!b->error) {
        b->error = err;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->reason, sizeof(b->reason), fmt, ap);
        va_end(ap);
    }
    XML_StopParser(b->parser, XML_FALSE);
}

static void free_node(SkyXmlNode *n)
{
    while (n) {
        SkyXmlNode *next = n->next;
        free_node(n->first_child);
        for (size_t i = 0; i < n->n_attrs; i++) {
            free(n->attrs[i].name);
            free(n->attrs[i].value);
        }
        free(n->attrs);
        free(n->name);
        free(n->text);
        free(n);
        n = next;
    }
}

static char *dup_limited(Builder *b, const char *s)
{
    size_t n = strlen(s);
    if (n > b->lim.max_text) {
        fail(b, SKY_ERR(E2BIG), "attribute value over %zu bytes", b->lim.max_text);
        return NULL;
    }
    char *d = malloc(n + 1);
    if (!d) {
        fail(b, SKY_ERR(ENOMEM), "out of memory");
        return NULL;
    }
    memcpy(d, s, n + 1);
    return d;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    Builder *b = ud;
    if (b->error)
        return;
    if (++b->depth > b->lim.max_depth) {
        fail(b, SKY_ERR(E2BIG), "nested deeper than %u elements", b->lim.max_depth);
        return;
    }
    if (++b->nodes > b->lim.max_nodes) {
        fail(b, SKY_ERR(E2BIG), "more than %u elements", b->lim.max_nodes);
        return;
    }
    SkyXmlNode *n = calloc(1, sizeof(*n));
    if (!n) {
        fail(b, SKY_ERR(ENOMEM), "out of memory");
        return;
    }
    /* Link first so the node is freed with the tree whatever happens next. */
    n->parent = b->cur;
    if (b->cur) {
        if (b->cur->last_child)
            b->cur->last_child->next = n;
        else
            b->cur->first_child = n;
        b->cur->last_child = n;
    } else {
        b->root = n;
    }
    b->cur = n;
    n->name = dup_limited(b, name);
    size_t count = 0;
    while (atts[2 * count])
        count++;
    if (count) {
        n->attrs = calloc(count, sizeof(*n->attrs));
        if (!n->attrs) {
            fail(b, SKY_ERR(ENOMEM), "out of memory");
            return;
        }
        for (size_t i = 0; i < count && !b->error; i++) {
            n->attrs[i].name = dup_limited(b, atts[2 * i]);
            n->attrs[i].value = dup_limited(b, atts[2 * i + 1]);
            n->n_attrs = i + 1;
        }
    }
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    Builder *b = ud;
    (void)name;
    if (b->error || !b->cur)
        return;
    b->cur = b->cur->parent;
    b->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    Builder *b = ud;
    SkyXmlNode *n = b->cur;
    if (b->error || !n || len <= 0)
        return;
    if ((size_t)len > b->lim.max_text - n->text_len) {
        fail(b, SKY_ERR(E2BIG), "element <%s> has over %zu bytes of text", n->name ? n->name : "?",
             b->lim.max_text);
        return;
    }
    char *t = realloc(n->text, n->text_len + (size_t)len + 1);
    if (!t) {
        fail(b, SKY_ERR(ENOMEM), "out of memory");
        return;
    }
    memcpy(t + n->text_len, s, (size_t)len);
    n->text_len += (size_t)len;
    t[n->text_len] = '\0';
    n->text = t;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    fail(ud, SKY_ERR(EBADMSG), "document type declarations are not accepted");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                              int value_len, const XML_Char *base, const XML_Char *sysid,
                              const XML_Char *pubid, const XML_Char *notation)
{
    (void)name;
    (void)is_param;
    (void)value;
    (void)value_len;
    (void)base;
    (void)sysid;
    (void)pubid;
    (void)notation;
    fail(ud, SKY_ERR(EBADMSG), "entity declarations are not accepted");
}

int sky_xml_parse(SkyXml **out, const char *data, size_t len, const SkyXmlLimits *lim,
                  char *err, size_t errlen)
{
    *out = NULL;
    Builder b = {.lim = lim ? *lim : sky_xml_default_limits};
    if (err && errlen)
        err[0] = '\0';
    if (len > b.lim.max_bytes || len > INT32_MAX) {
        if (err)
            snprintf(err, errlen, "document of %zu bytes is over the %zu-byte limit", len,
                     b.lim.max_bytes);
        return SKY_ERR(E2BIG);
    }
    b.parser = XML_ParserCreate(NULL);
    if (!b.parser)
        return SKY_ERR(ENOMEM);
    XML_SetUserData(b.parser, &b);
    XML_SetElementHandler(b.parser, on_start, on_end);
    XML_SetCharacterDataHandler(b.parser, on_text);
    XML_SetStartDoctypeDeclHandler(b.parser, on_doctype);
    XML_SetEntityDeclHandler(b.parser, on_entity);
    if (XML_Parse(b.parser, data, (int)len, XML_TRUE) != XML_STATUS_OK && !b.error) {
        b.error = SKY_ERR(EBADMSG);
        snprintf(b.reason, sizeof(b.reason), "line %lu: %s",
                 (unsigned long)XML_GetCurrentLineNumber(b.parser),
                 XML_ErrorString(XML_GetErrorCode(b.parser)));
    }
    XML_ParserFree(b.parser);
    if (!b.error && !b.root) {
        b.error = SKY_ERR(EBADMSG);
        snprintf(b.reason, sizeof(b.reason), "no root element");
    }
    SkyXml *x = NULL;
    if (!b.error) {
        x = malloc(sizeof(*x));
        if (!x) {
            b.error = SKY_ERR(ENOMEM);
            snprintf(b.reason, sizeof(b.reason), "out of memory");
        }
    }
    if (b.error) {
        free_node(b.root);
        if (err)
            snprintf(err, errlen, "%s", b.reason);
        return b.error;
    }
    x->root = b.root;
    *out = x;
    return 0;
}

void sky_xml_destroy(SkyXml **px)
{
    SkyXml *x = *px;
    if (!x)
        return;
    free_node(x->root);
    free(x);
    *px = NULL;
}

const SkyXmlNode *sky_xml_root(const SkyXml *x)
{
    return x->root;
}

const char *sky_xml_name(const SkyXmlNode *n)
{
    return n->name ? n->name : "";
}

const char *sky_xml_text(const SkyXmlNode *n)
{
    return n->text ? n->text : "";
}

const char *sky_xml_attr(const SkyXmlNode *n, const char *name)
{
    for (size_t i = 0; i < n->n_attrs; i++)
        if (n->attrs[i].name && strcmp(n->attrs[i].name, name) == 0)
            return n->attrs[i].value;
    return NULL;
}

static const SkyXmlNode *first_named(const SkyXmlNode *n, const char *name)
{
    for (; n; n = n->next)
        if (!name || (n->name && strcmp(n->name, name) == 0))
            return n;
    return NULL;
}

const SkyXmlNode *sky_xml_child(const SkyXmlNode *n, const char *name)
{
    return first_named(n->first_child, name);
}

const SkyXmlNode *sky_xml_next(const SkyXmlNode *n, const char *name)
{
    return first_named(n->next, name);
}

const char *sky_xml_child_text(const SkyXmlNode *n, const char *name)
{
    const SkyXmlNode *c = sky_xml_child(n, name);
    return c ? sky_xml_text(c) : NULL;
}
