/* A tiny strict JSON checker for tests: validates a whole document (RFC 8259 grammar) and looks
 * up scalar values by a dotted path of object keys ("audio.packets"). Not for production use. */
#ifndef SKY_TESTS_JSON_CHECK_H
#define SKY_TESTS_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* True when doc is exactly one valid JSON value (surrounding whitespace allowed). */
bool tjson_valid(const char *doc);
/* Copies the raw text of the scalar at path into out (strings without their quotes, escapes
 * left as written). False if doc is invalid, the path is missing or not a scalar, or out is too
 * small. */
bool tjson_get(const char *doc, const char *path, char *out, size_t cap);
/* The number at path, parsed with strtod. False as tjson_get, or if it is not a number. */
bool tjson_number(const char *doc, const char *path, double *out);

#endif
