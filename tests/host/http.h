/* The test host's HTTP/1.1 side without any I/O: parsing a request head, its query arguments,
 * and building replies the way Sunshine's server writes them (XML documents from boost's
 * property tree behind a bare "HTTP/1.1 200 OK" with only a Content-Length header).
 *
 * Requests come from the network: every length is capped, every byte checked, and a request
 * that is not a well-formed GET head is an error the caller answers with 400. */
#ifndef SKY_TESTHOST_HTTP_H
#define SKY_TESTHOST_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest request head (request line and headers). The getservercert URL carries a client
 * certificate in hex, about 2 KB; 64 KiB leaves room for big certificates. */
#define SKY_TH_REQ_MAX (64 * 1024)
#define SKY_TH_MAX_ARGS 48
#define SKY_TH_PATH_MAX 512

typedef struct SkyThArg {
    const char *name;               /* percent-decoded; point into SkyThReq.store */
    const char *value;
    size_t value_len;
} SkyThArg;

typedef struct SkyThReq {
    char method[16];
    char path[SKY_TH_PATH_MAX];     /* raw, without the query */
    size_t n_args;
    SkyThArg args[SKY_TH_MAX_ARGS];
    char store[SKY_TH_REQ_MAX + 2 * SKY_TH_MAX_ARGS]; /* decoded names and values, NUL-ended */
} SkyThReq;

/* Length of the request head at the start of buf, including the blank line that ends it
 * ("\r\n\r\n" or "\n\n"); 0 if the head is not complete yet. */
size_t sky_th_req_head_len(const char *buf, size_t len);

/* Parses a complete head of len bytes. Returns 0; SKY_ERR(EBADMSG) if it is not an HTTP/1.x
 * request (bad request line, header without ':', bad percent escape, NUL, control characters,
 * too many arguments, path too long); SKY_ERR(ENOTSUP) for a well-formed request whose method
 * is not GET. req is filled as far as it got either way. */
int sky_th_req_parse(SkyThReq *req, const char *head, size_t len);

/* The first argument called name (case-insensitive, as Sunshine's query map), or NULL. */
const char *sky_th_req_arg(const SkyThReq *req, const char *name);

/* An XML reply under construction: <root ATTRS>BODY</root>. Allocation failures are sticky and
 * reported by sky_th_xml_finish. */
typedef struct SkyThXml {
    char *attrs;
    size_t alen, acap;
    char *body;
    size_t blen, bcap;
    bool oom;
} SkyThXml;

void sky_th_xml_init(SkyThXml *x);
void sky_th_xml_free(SkyThXml *x);
/* Root attributes, in the order they are added; the value is escaped. */
void sky_th_xml_attr(SkyThXml *x, const char *name, const char *value);
void sky_th_xml_attr_int(SkyThXml *x, const char *name, long long value);
/* <name>text</name> with text escaped. */
void sky_th_xml_elem(SkyThXml *x, const char *name, const char *text);
void sky_th_xml_elem_int(SkyThXml *x, const char *name, long long value);
void sky_th_xml_open(SkyThXml *x, const char *name);
void sky_th_xml_close(SkyThXml *x, const char *name);
/* The whole document: '<?xml version="1.0" encoding="utf-8"?>\n<root .../>' (boost's layout:
 * no other whitespace, an empty root closes itself). On success *out (malloc'd) is the
 * caller's. Returns 0 or SKY_ERR(ENOMEM). */
int sky_th_xml_finish(const SkyThXml *x, char **out, size_t *len);

/* Writes "HTTP/1.1 <status>\r\n<headers>Content-Length: N\r\n\r\n<body>" into a malloc'd buffer
 * (the caller's). headers is "" or complete "Name: value\r\n" lines. Returns 0 or
 * SKY_ERR(ENOMEM). */
int sky_th_http_response(const char *status, const char *headers, const void *body,
                         size_t body_len, char **out, size_t *out_len);

#endif
