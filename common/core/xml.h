/* A small, bounded XML reader over expat: the whole document becomes a tree of elements with
 * their attributes and text, within caps on size, depth, element count and text. Documents
 * with a DTD (and so any entity declaration) are refused. Enough for GameStream's responses,
 * which are flat <root> documents. */
#ifndef SKY_COMMON_XML_H
#define SKY_COMMON_XML_H

#include <stddef.h>

typedef struct SkyXmlLimits {
    size_t max_bytes;     /* of the document */
    unsigned max_depth;   /* of element nesting; the root is depth 1 */
    unsigned max_nodes;   /* elements */
    size_t max_text;      /* bytes of text in one element (and of one attribute value) */
} SkyXmlLimits;

/* 256 KiB, depth 16, 20000 elements, 64 KiB of text per element. */
extern const SkyXmlLimits sky_xml_default_limits;

typedef struct SkyXml SkyXml;
typedef struct SkyXmlNode SkyXmlNode;

/* Parses a document. Returns 0; SKY_ERR(EBADMSG) for malformed XML or a DTD;
 * SKY_ERR(E2BIG) when a limit is passed; SKY_ERR(ENOMEM). On failure *out is NULL and, if
 * err is not NULL, a one-line reason is written to it. lim NULL means the defaults. */
int sky_xml_parse(SkyXml **out, const char *data, size_t len, const SkyXmlLimits *lim,
                  char *err, size_t errlen);
void sky_xml_destroy(SkyXml **x);

/* Nodes live as long as the document. */
const SkyXmlNode *sky_xml_root(const SkyXml *x);
const char *sky_xml_name(const SkyXmlNode *n);
/* The element's own character data (not its children's), never NULL. */
const char *sky_xml_text(const SkyXmlNode *n);
/* An attribute's value, or NULL. */
const char *sky_xml_attr(const SkyXmlNode *n, const char *name);
/* The first child element called name (any name if NULL), or NULL. */
const SkyXmlNode *sky_xml_child(const SkyXmlNode *n, const char *name);
/* The next sibling element called name (any name if NULL), or NULL. */
const SkyXmlNode *sky_xml_next(const SkyXmlNode *n, const char *name);
/* The text of the first child called name, or NULL if there is no such child. */
const char *sky_xml_child_text(const SkyXmlNode *n, const char *name);

#endif
