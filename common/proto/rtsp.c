/* RTSP messages of the GameStream handshake: the rtspenc:// framing, parsing requests and
 * replies, building the client's requests (rtsp.h). */
#include "common/proto/rtsp.h"

#include <string.h>
#include <strings.h>

#include "common/core/error.h"

/* ---- Encrypted framing ---------------------------------------------------------------------- */

static void make_iv(uint8_t iv[12], uint32_t seq, SkyRtspDir dir)
{
    memset(iv, 0, 12);
    for (int i = 0; i < 4; i++)
        iv[i] = (uint8_t)(seq >> (8 * i));
    iv[10] = (uint8_t)dir;
    iv[11] = 'R';
}

int sky_rtsp_seal(SkyGcm *gcm, SkyRtspDir dir, uint32_t seq, const void *plain, size_t len,
                  SkyWriter *wr)
{
    if (len == 0 || len > SKY_RTSP_MAX_MESSAGE)
        return SKY_ERR(EINVAL);
    if (wr->error || wr->cap - wr->pos < SKY_RTSP_ENC_HEADER_LEN + len) {
        wr->error = true;
        return SKY_ERR(E2BIG);
    }
    size_t start = wr->pos;
    sky_wr_u32be(wr, SKY_RTSP_ENC_BIT | (uint32_t)len);
    sky_wr_u32be(wr, seq);
    uint8_t *tag = wr->data + wr->pos;
    uint8_t iv[12];
    make_iv(iv, seq, dir);
    int ret = sky_gcm_encrypt(gcm, iv, sizeof(iv), plain, len, tag + 16, tag);
    if (ret < 0) {
        wr->pos = start;
        return ret;
    }
    wr->pos += 16 + len;
    return 0;
}

int sky_rtsp_frame_len(const void *data, size_t len, size_t *frame_len)
{
    SkyReader rd = sky_rd_init(data, len);
    uint32_t type_len;
    if (!sky_rd_u32be(&rd, &type_len))
        return SKY_ERR(EAGAIN);
    if (!(type_len & SKY_RTSP_ENC_BIT))
        return SKY_ERR(EPROTO);
    uint32_t n = type_len & ~SKY_RTSP_ENC_BIT;
    if (n == 0 || n > SKY_RTSP_MAX_MESSAGE)
        return SKY_ERR(EMSGSIZE);
    *frame_len = SKY_RTSP_ENC_HEADER_LEN + (size_t)n;
    return 0;
}

int sky_rtsp_unseal(SkyGcm *gcm, SkyRtspDir dir, const void *data, size_t len, void *out,
                    size_t cap, size_t *plain_len, uint32_t *seq)
{
    if (plain_len)
        *plain_len = 0;
    size_t frame;
    int ret = sky_rtsp_frame_len(data, len, &frame);
    if (ret < 0)
        return ret;
    if (len < frame)
        return SKY_ERR(EAGAIN);
    if (len > frame)
        return SKY_ERR(EMSGSIZE);
    size_t n = frame - SKY_RTSP_ENC_HEADER_LEN;
    if (cap < n)
        return SKY_ERR(E2BIG);

    SkyReader rd = sky_rd_init(data, len);
    uint32_t type_len, s;
    const uint8_t *tag, *ct;
    if (!sky_rd_u32be(&rd, &type_len) || !sky_rd_u32be(&rd, &s) || !sky_rd_view(&rd, &tag, 16) ||
        !sky_rd_view(&rd, &ct, n))
        return SKY_ERR(EAGAIN); /* cannot happen: len == frame */
    uint8_t iv[12];
    make_iv(iv, s, dir);
    ret = sky_gcm_decrypt(gcm, iv, sizeof(iv), ct, n, tag, out);
    if (ret < 0)
        return SKY_ERR(EBADMSG);
    if (plain_len)
        *plain_len = n;
    if (seq)
        *seq = s;
    return 0;
}

/* ---- Parsing -------------------------------------------------------------------------------- */

static SkyRtspStr str_make(const char *p, size_t len)
{
    SkyRtspStr s = {p, len};
    return s;
}

static bool is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

bool sky_rtsp_is_token(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static SkyRtspStr trim(SkyRtspStr s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

static const char *find_bytes(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0 || n < m)
        return NULL;
    for (size_t i = 0; i + m <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
            return hay + i;
    return NULL;
}

/* Strict decimal u64 without sign, at most 19 digits. */
static bool parse_dec(SkyRtspStr s, uint64_t max, uint64_t *out)
{
    if (s.len == 0 || s.len > 19)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_status_line(SkyRtspStr line, SkyRtspMsg *m)
{
    static const char ver[] = "RTSP/1.0";
    size_t vl = sizeof(ver) - 1;
    if (line.len < vl + 4 || memcmp(line.p, ver, vl) != 0 || line.p[vl] != ' ')
        return false;
    uint64_t code;
    if (!parse_dec(str_make(line.p + vl + 1, 3), 599, &code) || code < 100)
        return false;
    m->version = str_make(line.p, vl);
    m->status = (int)code;
    size_t rest = vl + 4;
    if (line.len == rest) {
        m->reason = str_make(line.p + rest, 0);
        return true;
    }
    if (line.p[rest] != ' ')
        return false;
    m->reason = str_make(line.p + rest + 1, line.len - rest - 1);
    return true;
}

static bool parse_request_line(SkyRtspStr line, SkyRtspMsg *m)
{
    const char *sp1 = memchr(line.p, ' ', line.len);
    if (!sp1 || sp1 == line.p)
        return false;
    size_t ml = (size_t)(sp1 - line.p);
    for (size_t i = 0; i < ml; i++)
        if (!sky_rtsp_is_token((unsigned char)line.p[i]))
            return false;
    const char *t = sp1 + 1;
    const char *end = line.p + line.len;
    const char *sp2 = memchr(t, ' ', (size_t)(end - t));
    if (!sp2 || sp2 == t)
        return false;
    SkyRtspStr version = str_make(sp2 + 1, (size_t)(end - sp2 - 1));
    if (!sky_rtsp_str_eq(version, "RTSP/1.0"))
        return false;
    m->method = str_make(line.p, ml);
    m->target = str_make(t, (size_t)(sp2 - t));
    m->version = version;
    return true;
}

static bool parse_header_line(SkyRtspStr line, SkyRtspHeader *h)
{
    const char *colon = memchr(line.p, ':', line.len);
    if (!colon || colon == line.p)
        return false;
    size_t nl = (size_t)(colon - line.p);
    for (size_t i = 0; i < nl; i++)
        if (!sky_rtsp_is_token((unsigned char)line.p[i]))
            return false;
    h->name = str_make(line.p, nl);
    h->value = trim(str_make(colon + 1, line.len - nl - 1));
    return true;
}

/* Parses the head that ends at data + head_len (just after the blank line's CRLF). */
static int parse_head(const char *data, size_t head_len, bool request, SkyRtspMsg *m)
{
    memset(m, 0, sizeof(*m));
    m->is_request = request;
    size_t pos = 0;
    bool first = true;
    for (;;) {
        size_t start = pos;
        while (pos < head_len && data[pos] != '\r' && data[pos] != '\n') {
            unsigned char c = (unsigned char)data[pos];
            if (is_ctl(c) && c != '\t')
                return SKY_ERR(EBADMSG);
            pos++;
        }
        if (pos + 1 >= head_len || data[pos] != '\r' || data[pos + 1] != '\n')
            return SKY_ERR(EBADMSG); /* bare CR or LF */
        SkyRtspStr line = str_make(data + start, pos - start);
        pos += 2;
        if (line.len > SKY_RTSP_MAX_LINE)
            return SKY_ERR(E2BIG);
        if (line.len == 0)
            return first || pos != head_len ? SKY_ERR(EBADMSG) : 0;
        if (first) {
            if (!(request ? parse_request_line(line, m) : parse_status_line(line, m)))
                return SKY_ERR(EBADMSG);
            first = false;
            continue;
        }
        if (line.p[0] == ' ' || line.p[0] == '\t')
            return SKY_ERR(EBADMSG); /* no line folding */
        if (m->n_headers == SKY_RTSP_MAX_HEADERS)
            return SKY_ERR(E2BIG);
        if (!parse_header_line(line, &m->headers[m->n_headers]))
            return SKY_ERR(EBADMSG);
        m->n_headers++;
    }
}

/* Finds the end of the head (after "\r\n\r\n"): 0 with *head_len, SKY_ERR(EAGAIN) if absent in
 * the bytes given, SKY_ERR(E2BIG) if absent within SKY_RTSP_MAX_HEAD. */
static int find_head(const char *data, size_t len, size_t *head_len)
{
    size_t n = len < SKY_RTSP_MAX_HEAD ? len : SKY_RTSP_MAX_HEAD;
    const char *e = find_bytes(data, n, "\r\n\r\n", 4);
    if (!e)
        return len >= SKY_RTSP_MAX_HEAD ? SKY_ERR(E2BIG) : SKY_ERR(EAGAIN);
    *head_len = (size_t)(e - data) + 4;
    return 0;
}

int sky_rtsp_parse_response(const void *data, size_t len, SkyRtspMsg *out)
{
    memset(out, 0, sizeof(*out));
    if (len > SKY_RTSP_MAX_MESSAGE)
        return SKY_ERR(E2BIG);
    const char *p = data;
    size_t head;
    int ret = find_head(p, len, &head);
    if (ret == SKY_ERR(EAGAIN))
        return SKY_ERR(EBADMSG); /* the host closed the connection: nothing more will come */
    if (ret < 0)
        return ret;
    ret = parse_head(p, head, false, out);
    if (ret < 0) {
        memset(out, 0, sizeof(*out));
        return ret;
    }
    if (len > head) {
        out->body = p + head;
        out->body_len = len - head;
    }
    return 0;
}

int sky_rtsp_parse_request(const void *data, size_t len, SkyRtspMsg *out, size_t *consumed)
{
    memset(out, 0, sizeof(*out));
    *consumed = 0;
    const char *p = data;
    size_t head;
    int ret = find_head(p, len, &head);
    if (ret < 0)
        return ret;
    ret = parse_head(p, head, true, out);
    size_t body = 0;
    if (ret == 0) {
        ret = sky_rtsp_content_length(out, &body);
        if (ret == SKY_ERR(ENOENT)) {
            body = 0;
            ret = 0;
        }
    }
    if (ret == 0 && body > SKY_RTSP_MAX_MESSAGE - head)
        ret = SKY_ERR(E2BIG);
    if (ret == 0 && len - head < body)
        ret = SKY_ERR(EAGAIN);
    if (ret < 0) {
        memset(out, 0, sizeof(*out));
        return ret;
    }
    if (body) {
        out->body = p + head;
        out->body_len = body;
    }
    *consumed = head + body;
    return 0;
}

/* ---- Accessors ------------------------------------------------------------------------------ */

bool sky_rtsp_str_eq(SkyRtspStr s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

int sky_rtsp_str_copy(SkyRtspStr s, char *out, size_t cap)
{
    if (cap == 0)
        return SKY_ERR(E2BIG);
    if (s.len >= cap) {
        out[0] = '\0';
        return SKY_ERR(E2BIG);
    }
    if (s.len)
        memcpy(out, s.p, s.len);
    out[s.len] = '\0';
    return 0;
}

static bool name_is(SkyRtspStr name, const char *want)
{
    size_t n = strlen(want);
    return name.len == n && strncasecmp(name.p, want, n) == 0;
}

/* The first header named `name` and how many there are. */
static size_t find_header(const SkyRtspMsg *m, const char *name, SkyRtspStr *value)
{
    size_t count = 0;
    for (size_t i = 0; i < m->n_headers; i++) {
        if (!name_is(m->headers[i].name, name))
            continue;
        if (count++ == 0)
            *value = m->headers[i].value;
    }
    return count;
}

bool sky_rtsp_header(const SkyRtspMsg *m, const char *name, SkyRtspStr *value)
{
    return find_header(m, name, value) > 0;
}

int sky_rtsp_cseq(const SkyRtspMsg *m, uint32_t *out)
{
    SkyRtspStr v = { 0 };
    size_t n = find_header(m, "CSeq", &v);
    if (n == 0)
        return SKY_ERR(ENOENT);
    uint64_t x;
    if (n > 1 || !parse_dec(v, UINT32_MAX, &x))
        return SKY_ERR(EBADMSG);
    *out = (uint32_t)x;
    return 0;
}

int sky_rtsp_content_length(const SkyRtspMsg *m, size_t *out)
{
    SkyRtspStr v = { 0 };
    size_t n = find_header(m, "Content-length", &v);
    if (n == 0)
        return SKY_ERR(ENOENT);
    uint64_t x;
    if (n > 1 || !parse_dec(v, UINT64_MAX / 16, &x))
        return SKY_ERR(EBADMSG);
    if (x > SKY_RTSP_MAX_MESSAGE)
        return SKY_ERR(E2BIG);
    *out = (size_t)x;
    return 0;
}

int sky_rtsp_session(const SkyRtspMsg *m, char *out, size_t cap)
{
    if (cap)
        out[0] = '\0';
    SkyRtspStr v = { 0 };
    if (!sky_rtsp_header(m, "Session", &v))
        return SKY_ERR(ENOENT);
    const char *semi = memchr(v.p, ';', v.len);
    if (semi)
        v.len = (size_t)(semi - v.p);
    v = trim(v);
    if (v.len == 0)
        return SKY_ERR(EBADMSG);
    return sky_rtsp_str_copy(v, out, cap);
}

int sky_rtsp_server_port(const SkyRtspMsg *m, uint16_t *port)
{
    static const char key[] = "server_port=";
    SkyRtspStr v = { 0 };
    if (!sky_rtsp_header(m, "Transport", &v))
        return SKY_ERR(ENOENT);
    const char *k = find_bytes(v.p, v.len, key, sizeof(key) - 1);
    if (!k)
        return SKY_ERR(ENOENT);
    const char *d = k + sizeof(key) - 1, *end = v.p + v.len;
    size_t n = 0;
    while (d + n < end && d[n] >= '0' && d[n] <= '9')
        n++;
    /* "server_port=48000" or a range "48000-48001" or followed by ";..." */
    uint64_t x;
    if (!parse_dec(str_make(d, n), 65535, &x) || x == 0)
        return SKY_ERR(EBADMSG);
    if (d + n < end && d[n] != '-' && d[n] != ';')
        return SKY_ERR(EBADMSG);
    *port = (uint16_t)x;
    return 0;
}

int sky_rtsp_ping_payload(const SkyRtspMsg *m, char out[SKY_RTSP_PING_PAYLOAD_LEN + 1])
{
    out[0] = '\0';
    SkyRtspStr v = { 0 };
    if (!sky_rtsp_header(m, "X-SS-Ping-Payload", &v))
        return SKY_ERR(ENOENT);
    if (v.len != SKY_RTSP_PING_PAYLOAD_LEN)
        return SKY_ERR(EBADMSG);
    for (size_t i = 0; i < v.len; i++)
        if ((unsigned char)v.p[i] <= 0x20 || (unsigned char)v.p[i] >= 0x7f)
            return SKY_ERR(EBADMSG);
    memcpy(out, v.p, v.len);
    out[v.len] = '\0';
    return 0;
}

int sky_rtsp_connect_data(const SkyRtspMsg *m, uint32_t *out)
{
    SkyRtspStr v = { 0 };
    if (!sky_rtsp_header(m, "X-SS-Connect-Data", &v))
        return SKY_ERR(ENOENT);
    uint64_t x = 0;
    if (v.len > 2 && v.p[0] == '0' && (v.p[1] == 'x' || v.p[1] == 'X')) {
        if (v.len > 10)
            return SKY_ERR(EBADMSG);
        for (size_t i = 2; i < v.len; i++) {
            char c = v.p[i];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0)
                return SKY_ERR(EBADMSG);
            x = x << 4 | (uint64_t)d;
        }
    } else if (!parse_dec(v, UINT32_MAX, &x)) {
        return SKY_ERR(EBADMSG);
    }
    *out = (uint32_t)x;
    return 0;
}

/* ---- Building ------------------------------------------------------------------------------- */

bool sky_rtsp_text_ok(const char *s, bool no_space)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (is_ctl(c) || (no_space && c == ' '))
            return false;
    }
    return true;
}

static bool wr_header(SkyWriter *wr, const char *name, const char *value)
{
    return sky_wr_str(wr, name) && sky_wr_str(wr, ": ") && sky_wr_str(wr, value) &&
           sky_wr_str(wr, "\r\n");
}

static const char *const if_modified_since = "Thu, 01 Jan 1970 00:00:00 GMT";
static const char *const client_transport = "unicast;X-GS-ClientPort=50000-50001";

int sky_rtsp_build_request(SkyWriter *wr, const SkyRtspRequest *req)
{
    static const char *const methods[] = {
        [SKY_RTSP_OPTIONS] = "OPTIONS", [SKY_RTSP_DESCRIBE] = "DESCRIBE",
        [SKY_RTSP_SETUP] = "SETUP",     [SKY_RTSP_ANNOUNCE] = "ANNOUNCE",
        [SKY_RTSP_PLAY] = "PLAY",
    };
    if ((unsigned)req->kind > SKY_RTSP_PLAY)
        return SKY_ERR(EINVAL);
    const char *target = req->target ? req->target : req->kind == SKY_RTSP_PLAY ? "/" : NULL;
    if (!target || !*target || !sky_rtsp_text_ok(target, true))
        return SKY_ERR(EINVAL);
    if ((req->host && !sky_rtsp_text_ok(req->host, false)) ||
        (req->session && !sky_rtsp_text_ok(req->session, false)))
        return SKY_ERR(EINVAL);
    bool announce = req->kind == SKY_RTSP_ANNOUNCE;
    if (announce && (!req->sdp || req->sdp_len == 0))
        return SKY_ERR(EINVAL);
    int version = req->client_version ? req->client_version : SKY_RTSP_CLIENT_VERSION;
    if (version < 0)
        return SKY_ERR(EINVAL);

    bool ok = sky_wr_str(wr, methods[req->kind]) && sky_wr_str(wr, " ") &&
              sky_wr_str(wr, target) && sky_wr_str(wr, " RTSP/1.0\r\n");
    ok = ok && sky_wr_str(wr, "CSeq: ") && sky_wr_dec(wr, req->cseq) && sky_wr_str(wr, "\r\n");
    ok = ok && sky_wr_str(wr, "X-GS-ClientVersion: ") && sky_wr_dec(wr, version) &&
         sky_wr_str(wr, "\r\n");
    if (ok && req->host)
        ok = wr_header(wr, "Host", req->host);
    if (ok && req->session)
        ok = wr_header(wr, "Session", req->session);
    if (ok && req->kind == SKY_RTSP_SETUP)
        ok = wr_header(wr, "Transport", client_transport);
    if (ok && req->kind == SKY_RTSP_DESCRIBE)
        ok = wr_header(wr, "Accept", "application/sdp");
    if (ok && (req->kind == SKY_RTSP_DESCRIBE || req->kind == SKY_RTSP_SETUP))
        ok = wr_header(wr, "If-Modified-Since", if_modified_since);
    if (ok && announce)
        ok = wr_header(wr, "Content-type", "application/sdp") &&
             sky_wr_str(wr, "Content-length: ") && sky_wr_dec(wr, (int64_t)req->sdp_len) &&
             sky_wr_str(wr, "\r\n");
    ok = ok && sky_wr_str(wr, "\r\n");
    if (ok && announce)
        ok = sky_wr_bytes(wr, req->sdp, req->sdp_len);
    return ok ? 0 : SKY_ERR(E2BIG);
}
