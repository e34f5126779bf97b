/* The test host's HTTP/1.1 parsing and reply building, without I/O (http.h). */
#include "tests/host/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/core/error.h"
#include "common/core/hex.h"

#define MAX_HEADER_LINES 128

size_t sky_th_req_head_len(const char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* Percent-decodes in[0..n) into out (at least n + 1 bytes), '+' meaning a space as in form
 * encoding. Returns the decoded length, or -1 for a bad escape or a decoded NUL. */
static long decode(const char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = sky_hex_digit(in[i + 1]), lo = sky_hex_digit(in[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi << 4 | lo);
            if (c == '\0')
                return -1;
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return (long)o;
}

/* Splits the query into arguments, decoding into req->store. */
static int parse_query(SkyThReq *req, const char *q, size_t n)
{
    size_t used = 0;
    size_t i = 0;
    while (i < n) {
        size_t end = i;
        while (end < n && q[end] != '&')
            end++;
        if (end > i) {
            if (req->n_args >= SKY_TH_MAX_ARGS)
                return SKY_ERR(EBADMSG);
            size_t eq = i;
            while (eq < end && q[eq] != '=')
                eq++;
            size_t name_len = eq - i;
            size_t value_len = eq < end ? end - eq - 1 : 0;
            /* Both decoded strings plus their NULs fit: decoding never grows. */
            if (used + name_len + value_len + 2 > sizeof(req->store))
                return SKY_ERR(EBADMSG);
            char *name = req->store + used;
            long nl = decode(q + i, name_len, name);
            if (nl < 0)
                return SKY_ERR(EBADMSG);
            used += (size_t)nl + 1;
            char *value = req->store + used;
            long vl = decode(eq < end ? q + eq + 1 : "", value_len, value);
            if (vl < 0)
                return SKY_ERR(EBADMSG);
            used += (size_t)vl + 1;
            req->args[req->n_args].name = name;
            req->args[req->n_args].value = value;
            req->args[req->n_args].value_len = (size_t)vl;
            req->n_args++;
        }
        i = end + 1;
    }
    return 0;
}

/* The next line of head starting at *pos (without its "\r\n"/"\n"); false at the end. */
static bool next_line(const char *head, size_t len, size_t *pos, const char **line, size_t *n)
{
    if (*pos >= len)
        return false;
    size_t i = *pos;
    while (i < len && head[i] != '\n')
        i++;
    if (i >= len)
        return false;
    size_t end = i;
    if (end > *pos && head[end - 1] == '\r')
        end--;
    *line = head + *pos;
    *n = end - *pos;
    *pos = i + 1;
    return true;
}

static bool has_ctl(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return true;
    }
    return false;
}

int sky_th_req_parse(SkyThReq *req, const char *head, size_t len)
{
    req->method[0] = '\0';
    req->path[0] = '\0';
    req->n_args = 0;
    if (len > SKY_TH_REQ_MAX)
        return SKY_ERR(EBADMSG);

    size_t pos = 0;
    const char *line;
    size_t n;
    if (!next_line(head, len, &pos, &line, &n) || has_ctl(line, n))
        return SKY_ERR(EBADMSG);

    /* METHOD SP TARGET SP HTTP/1.x */
    size_t sp1 = 0;
    while (sp1 < n && line[sp1] != ' ')
        sp1++;
    if (sp1 == 0 || sp1 >= n || sp1 >= sizeof(req->method))
        return SKY_ERR(EBADMSG);
    for (size_t i = 0; i < sp1; i++)
        if (line[i] < 'A' || line[i] > 'Z')
            return SKY_ERR(EBADMSG);
    size_t t0 = sp1 + 1, sp2 = t0;
    while (sp2 < n && line[sp2] != ' ')
        sp2++;
    if (sp2 >= n || sp2 == t0 || line[t0] != '/')
        return SKY_ERR(EBADMSG);
    const char *ver = line + sp2 + 1;
    size_t ver_len = n - sp2 - 1;
    if (ver_len != 8 || memcmp(ver, "HTTP/1.", 7) != 0 || ver[7] < '0' || ver[7] > '9')
        return SKY_ERR(EBADMSG);

    const char *target = line + t0;
    size_t target_len = sp2 - t0;
    size_t qmark = 0;
    while (qmark < target_len && target[qmark] != '?')
        qmark++;
    if (qmark >= sizeof(req->path))
        return SKY_ERR(EBADMSG);
    memcpy(req->path, target, qmark);
    req->path[qmark] = '\0';

    /* Headers: only their shape is checked; the host needs none of them. */
    int lines = 0;
    for (;;) {
        if (!next_line(head, len, &pos, &line, &n))
            return SKY_ERR(EBADMSG); /* the head must end with a blank line */
        if (n == 0)
            break;
        if (++lines > MAX_HEADER_LINES || has_ctl(line, n) || !memchr(line, ':', n) ||
            line[0] == ':' || line[0] == ' ' || line[0] == '\t')
            return SKY_ERR(EBADMSG);
    }
    if (pos != len)
        return SKY_ERR(EBADMSG);

    memcpy(req->method, head, sp1);
    req->method[sp1] = '\0';
    if (qmark < target_len) {
        int ret = parse_query(req, target + qmark + 1, target_len - qmark - 1);
        if (ret < 0)
            return ret;
    }
    if (strcmp(req->method, "GET") != 0)
        return SKY_ERR(ENOTSUP);
    return 0;
}

const char *sky_th_req_arg(const SkyThReq *req, const char *name)
{
    for (size_t i = 0; i < req->n_args; i++)
        if (strcasecmp(req->args[i].name, name) == 0)
            return req->args[i].value;
    return NULL;
}

/* ---- XML replies ---- */

void sky_th_xml_init(SkyThXml *x)
{
    memset(x, 0, sizeof(*x));
}

void sky_th_xml_free(SkyThXml *x)
{
    free(x->attrs);
    free(x->body);
    memset(x, 0, sizeof(*x));
}

static void put(SkyThXml *x, bool attrs, const char *s, size_t n)
{
    char **buf = attrs ? &x->attrs : &x->body;
    size_t *len = attrs ? &x->alen : &x->blen;
    size_t *cap = attrs ? &x->acap : &x->bcap;
    if (x->oom)
        return;
    if (*len + n + 1 > *cap) {
        size_t ncap = *cap ? *cap : 256;
        while (ncap < *len + n + 1)
            ncap *= 2;
        char *nb = realloc(*buf, ncap);
        if (!nb) {
            x->oom = true;
            return;
        }
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static void puts_(SkyThXml *x, bool attrs, const char *s)
{
    put(x, attrs, s, strlen(s));
}

/* The five entities boost's writer escapes, in text and attributes alike. */
static void put_escaped(SkyThXml *x, bool attrs, const char *s)
{
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '<': puts_(x, attrs, "&lt;"); break;
        case '>': puts_(x, attrs, "&gt;"); break;
        case '&': puts_(x, attrs, "&amp;"); break;
        case '"': puts_(x, attrs, "&quot;"); break;
        case '\'': puts_(x, attrs, "&apos;"); break;
        default: put(x, attrs, p, 1); break;
        }
    }
}

void sky_th_xml_attr(SkyThXml *x, const char *name, const char *value)
{
    puts_(x, true, " ");
    puts_(x, true, name);
    puts_(x, true, "=\"");
    put_escaped(x, true, value);
    puts_(x, true, "\"");
}

void sky_th_xml_attr_int(SkyThXml *x, const char *name, long long value)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", value);
    sky_th_xml_attr(x, name, num);
}

void sky_th_xml_open(SkyThXml *x, const char *name)
{
    puts_(x, false, "<");
    puts_(x, false, name);
    puts_(x, false, ">");
}

void sky_th_xml_close(SkyThXml *x, const char *name)
{
    puts_(x, false, "</");
    puts_(x, false, name);
    puts_(x, false, ">");
}

void sky_th_xml_elem(SkyThXml *x, const char *name, const char *text)
{
    sky_th_xml_open(x, name);
    put_escaped(x, false, text);
    sky_th_xml_close(x, name);
}

void sky_th_xml_elem_int(SkyThXml *x, const char *name, long long value)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", value);
    sky_th_xml_elem(x, name, num);
}

int sky_th_xml_finish(const SkyThXml *x, char **out, size_t *len)
{
    static const char decl[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<root";
    *out = NULL;
    *len = 0;
    if (x->oom)
        return SKY_ERR(ENOMEM);
    size_t n = sizeof(decl) - 1 + x->alen + (x->blen ? 1 + x->blen + 7 : 2);
    char *doc = malloc(n + 1);
    if (!doc)
        return SKY_ERR(ENOMEM);
    size_t o = 0;
    memcpy(doc + o, decl, sizeof(decl) - 1);
    o += sizeof(decl) - 1;
    if (x->alen) {
        memcpy(doc + o, x->attrs, x->alen);
        o += x->alen;
    }
    if (x->blen) {
        doc[o++] = '>';
        memcpy(doc + o, x->body, x->blen);
        o += x->blen;
        memcpy(doc + o, "</root>", 7);
        o += 7;
    } else {
        memcpy(doc + o, "/>", 2);
        o += 2;
    }
    doc[o] = '\0';
    SKY_ASSERT(o == n);
    *out = doc;
    *len = n;
    return 0;
}

int sky_th_http_response(const char *status, const char *headers, const void *body,
                         size_t body_len, char **out, size_t *out_len)
{
    char head[512];
    *out = NULL;
    *out_len = 0;
    int hn = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n\r\n", status,
                      headers, body_len);
    SKY_ASSERT(hn > 0 && (size_t)hn < sizeof(head));
    char *buf = malloc((size_t)hn + body_len);
    if (!buf)
        return SKY_ERR(ENOMEM);
    memcpy(buf, head, (size_t)hn);
    if (body_len)
        memcpy(buf + hn, body, body_len);
    *out = buf;
    *out_len = (size_t)hn + body_len;
    return 0;
}
