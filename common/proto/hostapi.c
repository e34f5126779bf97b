/* The host's HTTP API: reply status, serverinfo, applist and launch replies; addresses, URLs,
 * the launch query (hostapi.h). */
#include "common/proto/hostapi.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/core/error.h"
#include "common/core/hex.h"

/* GameStream replies are small; the app list is the largest (a few KB per hundred apps). */
static const SkyXmlLimits reply_limits = {1024 * 1024, 8, 20000, 64 * 1024};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Copies s into out (cap bytes) replacing control characters (C0, DEL and C1) with '?'; false
 * if it does not fit. */
static bool copy_clean(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s), k = 0;
    if (n >= cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9f) {
            out[k++] = '?'; /* a C1 control (U+0080..U+009F, CSI among them) */
            i++;
        } else {
            out[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
        }
    }
    out[k] = '\0';
    return true;
}

/* Strict decimal: optional '-', digits only, within [min, max]. */
static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    const char *p = s;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    if (!*p)
        return SKY_ERR(EBADMSG);
    uint64_t v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return SKY_ERR(EBADMSG);
        if (v > (UINT64_MAX - 9) / 10)
            return SKY_ERR(EBADMSG);
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        return SKY_ERR(EBADMSG);
    int64_t r = neg ? -(int64_t)v : (int64_t)v;
    if (r < min || r > max)
        return SKY_ERR(EBADMSG);
    *out = r;
    return 0;
}

int sky_hostapi_reply(const char *body, size_t len, SkyXml **doc, int *status, char *err,
                      size_t errlen)
{
    char why[160];
    *doc = NULL;
    if (status)
        *status = 0;
    SkyXml *x = NULL;
    int ret = sky_xml_parse(&x, body, len, &reply_limits, why, sizeof(why));
    if (ret < 0) {
        set_err(err, errlen, "the host's reply is not valid XML: %s", why);
        return ret;
    }
    const SkyXmlNode *root = sky_xml_root(x);
    const char *code_s = sky_xml_attr(root, "status_code");
    int64_t code;
    if (strcmp(sky_xml_name(root), "root") != 0 || !code_s ||
        parse_int(code_s, 0, 999, &code) < 0) {
        set_err(err, errlen, "the host's reply is not a GameStream reply (no <root status_code>)");
        sky_xml_destroy(&x);
        return SKY_ERR(EBADMSG);
    }
    if (status)
        *status = (int)code;
    if (code == 200) {
        *doc = x;
        return 0;
    }
    char msg[256] = "";
    const char *m = sky_xml_attr(root, "status_message");
    if (!m || !copy_clean(m, msg, sizeof(msg)))
        snprintf(msg, sizeof(msg), "%s", m ? "(message too long)" : "no message");
    set_err(err, errlen, "the host answered status %d: %s", (int)code, msg);
    sky_xml_destroy(&x);
    return code == 401 ? SKY_ERR(EACCES) : SKY_ERR(EPROTO);
}

int sky_hostapi_text(const SkyXmlNode *root, const char *name, char *out, size_t cap)
{
    const char *t = sky_xml_child_text(root, name);
    if (!t)
        return SKY_ERR(ENOENT);
    return copy_clean(t, out, cap) ? 0 : SKY_ERR(E2BIG);
}

int sky_hostapi_int(const SkyXmlNode *root, const char *name, int64_t min, int64_t max,
                    int64_t *out)
{
    const char *t = sky_xml_child_text(root, name);
    if (!t)
        return SKY_ERR(ENOENT);
    return parse_int(t, min, max, out);
}

int sky_hostapi_hex(const SkyXmlNode *root, const char *name, uint8_t *out, size_t cap,
                    size_t *len)
{
    *len = 0;
    const char *t = sky_xml_child_text(root, name);
    if (!t)
        return SKY_ERR(ENOENT);
    return sky_hex_decode(t, strlen(t), out, cap, len);
}

static bool uniqueid_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return false;
    return true;
}

static bool mac_ok(const char *s)
{
    if (strlen(s) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

static void parse_modes(const SkyXmlNode *root, SkyServerInfo *out)
{
    const SkyXmlNode *list = sky_xml_child(root, "SupportedDisplayMode");
    if (!list)
        return;
    for (const SkyXmlNode *m = sky_xml_child(list, "DisplayMode"); m;
         m = sky_xml_next(m, "DisplayMode")) {
        int64_t w, h, r;
        if (sky_hostapi_int(m, "Width", 1, 16384, &w) < 0 ||
            sky_hostapi_int(m, "Height", 1, 16384, &h) < 0 ||
            sky_hostapi_int(m, "RefreshRate", 1, 1000, &r) < 0)
            continue; /* a mode we cannot read is one we will not ask for */
        if (out->n_modes == SKY_SERVERINFO_MAX_MODES)
            return;
        out->modes[out->n_modes++] = (SkyDisplayMode){(uint16_t)w, (uint16_t)h, (uint16_t)r};
    }
}

/* Reads an optional text field; too long is an error naming the field. */
static int opt_text(const SkyXmlNode *root, const char *name, char *out, size_t cap, char *err,
                    size_t errlen)
{
    int ret = sky_hostapi_text(root, name, out, cap);
    if (ret == SKY_ERR(ENOENT)) {
        out[0] = '\0';
        return 0;
    }
    if (ret < 0)
        set_err(err, errlen, "serverinfo: <%s> is longer than %zu bytes", name, cap - 1);
    return ret;
}

/* Reads an optional number: *out keeps its default when absent; malformed is an error. */
static int opt_int(const SkyXmlNode *root, const char *name, int64_t min, int64_t max,
                   int64_t *out, char *err, size_t errlen)
{
    int ret = sky_hostapi_int(root, name, min, max, out);
    if (ret == SKY_ERR(ENOENT))
        return 0;
    if (ret < 0)
        set_err(err, errlen, "serverinfo: <%s> is not a number in [%lld, %lld]", name,
                (long long)min, (long long)max);
    return ret;
}

int sky_hostapi_serverinfo(const char *body, size_t len, SkyServerInfo *out, char *err,
                           size_t errlen)
{
    SkyXml *x = NULL;
    memset(out, 0, sizeof(*out));
    int ret = sky_hostapi_reply(body, len, &x, NULL, err, errlen);
    if (ret < 0)
        return ret;
    const SkyXmlNode *root = sky_xml_root(x);
    int64_t v;
    char pair_status[8];
    ret = SKY_ERR(EBADMSG);
    /* Required fields, as every GameStream host sends them. */
    static const char *const required[] = {"uniqueid", "appversion", "state", "currentgame",
                                           "PairStatus"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (!sky_xml_child(root, required[i])) {
            set_err(err, errlen, "serverinfo: <%s> is missing", required[i]);
            goto done;
        }
    }
    if (opt_text(root, "uniqueid", out->uniqueid, sizeof(out->uniqueid), err, errlen) < 0 ||
        opt_text(root, "appversion", out->appversion, sizeof(out->appversion), err, errlen) < 0 ||
        opt_text(root, "state", out->state, sizeof(out->state), err, errlen) < 0 ||
        opt_text(root, "hostname", out->hostname, sizeof(out->hostname), err, errlen) < 0 ||
        opt_text(root, "GfeVersion", out->gfe_version, sizeof(out->gfe_version), err, errlen) < 0 ||
        opt_text(root, "gputype", out->gpu_type, sizeof(out->gpu_type), err, errlen) < 0 ||
        opt_text(root, "LocalIP", out->local_ip, sizeof(out->local_ip), err, errlen) < 0 ||
        opt_text(root, "mac", out->mac, sizeof(out->mac), err, errlen) < 0 ||
        opt_text(root, "PairStatus", pair_status, sizeof(pair_status), err, errlen) < 0)
        goto done;
    if (!uniqueid_ok(out->uniqueid)) {
        set_err(err, errlen, "serverinfo: the host's uniqueid is empty or has odd characters");
        goto done;
    }
    char *end;
    long major = strtol(out->appversion, &end, 10);
    if (end == out->appversion || major < 0 || major > 1000) {
        set_err(err, errlen, "serverinfo: appversion '%s' does not start with a number",
                out->appversion);
        goto done;
    }
    out->app_major = (int)major;
    /* Sunshine marks itself with a negative fourth number (Moonlight checks the same). */
    const char *p = out->appversion;
    for (int dots = 0; dots < 3 && (p = strchr(p, '.')); dots++)
        p++;
    out->sunshine = p && *p == '-';
    out->paired = strcmp(pair_status, "1") == 0;
    if (sky_hostapi_int(root, "currentgame", 0, UINT32_MAX, &v) < 0) {
        set_err(err, errlen, "serverinfo: <currentgame> is not a number");
        goto done;
    }
    out->current_game = (uint32_t)v;
    out->busy = strstr(out->state, "_SERVER_BUSY") != NULL;
    if (!out->busy)
        out->current_game = 0; /* hosts keep reporting the last app after it ended */
    if (out->mac[0] && (!mac_ok(out->mac) || strcmp(out->mac, "00:00:00:00:00:00") == 0))
        out->mac[0] = '\0';
    int64_t https = SKY_HOSTAPI_DEFAULT_HTTPS_PORT, http = 0, scm = SKY_SCM_H264, luma = 0;
    if (opt_int(root, "HttpsPort", 1, 65535, &https, err, errlen) < 0 ||
        opt_int(root, "ExternalPort", 1, 65535, &http, err, errlen) < 0 ||
        opt_int(root, "ServerCodecModeSupport", 0, UINT32_MAX, &scm, err, errlen) < 0 ||
        opt_int(root, "MaxLumaPixelsHEVC", 0, INT64_MAX, &luma, err, errlen) < 0)
        goto done;
    out->https_port = (uint16_t)https;
    out->http_port = (uint16_t)http;
    out->codec_support = (uint32_t)scm;
    out->max_luma_pixels_hevc = (uint64_t)luma;
    parse_modes(root, out);
    ret = 0;
done:
    sky_xml_destroy(&x);
    return ret;
}

SkyDisplayMode sky_serverinfo_max_mode(const SkyServerInfo *si)
{
    SkyDisplayMode best = {0, 0, 0};
    for (size_t i = 0; i < si->n_modes; i++) {
        const SkyDisplayMode *m = &si->modes[i];
        uint32_t px = (uint32_t)m->width * m->height, bpx = (uint32_t)best.width * best.height;
        if (px > bpx || (px == bpx && m->refresh_hz > best.refresh_hz))
            best = *m;
    }
    return best;
}

void sky_codec_support_text(uint32_t scm, char *out, size_t cap)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {SKY_SCM_H264, "H.264"},
        {SKY_SCM_H264_HIGH8_444, "H.264 4:4:4"},
        {SKY_SCM_HEVC, "HEVC"},
        {SKY_SCM_HEVC_MAIN10, "HEVC Main10"},
        {SKY_SCM_HEVC_REXT8_444, "HEVC 4:4:4"},
        {SKY_SCM_HEVC_REXT10_444, "HEVC 10-bit 4:4:4"},
        {SKY_SCM_AV1_MAIN8, "AV1"},
        {SKY_SCM_AV1_MAIN10, "AV1 10-bit"},
        {SKY_SCM_AV1_HIGH8_444, "AV1 4:4:4"},
        {SKY_SCM_AV1_HIGH10_444, "AV1 10-bit 4:4:4"},
    };
    size_t len = 0;
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(scm & names[i].bit))
            continue;
        int n = snprintf(out + len, cap - len, "%s%s", len ? ", " : "", names[i].name);
        if (n < 0 || (size_t)n >= cap - len)
            return;
        len += (size_t)n;
    }
}

int sky_hostapi_applist(const char *body, size_t len, SkyAppList *out, char *err, size_t errlen)
{
    SkyXml *x = NULL;
    out->apps = NULL;
    out->count = 0;
    int ret = sky_hostapi_reply(body, len, &x, NULL, err, errlen);
    if (ret < 0)
        return ret;
    const SkyXmlNode *root = sky_xml_root(x);
    size_t n = 0;
    for (const SkyXmlNode *a = sky_xml_child(root, "App"); a; a = sky_xml_next(a, "App"))
        n++;
    if (n > SKY_APPLIST_MAX) {
        set_err(err, errlen, "applist: %zu apps, more than the %d we accept", n, SKY_APPLIST_MAX);
        ret = SKY_ERR(E2BIG);
        goto done;
    }
    out->apps = n ? calloc(n, sizeof(*out->apps)) : NULL;
    if (n && !out->apps) {
        ret = SKY_ERR(ENOMEM);
        goto done;
    }
    for (const SkyXmlNode *a = sky_xml_child(root, "App"); a; a = sky_xml_next(a, "App")) {
        SkyApp *app = &out->apps[out->count];
        int64_t id, hdr = 0;
        int r = sky_hostapi_int(a, "ID", 0, INT32_MAX, &id);
        if (r < 0) {
            set_err(err, errlen, "applist: an app's <ID> is %s", r == SKY_ERR(ENOENT) ? "missing"
                                                                  : "not a valid number");
            ret = SKY_ERR(EBADMSG);
            goto done;
        }
        r = sky_hostapi_text(a, "AppTitle", app->title, sizeof(app->title));
        if (r < 0) {
            set_err(err, errlen, "applist: app %" PRId64 "'s <AppTitle> is %s", id,
                    r == SKY_ERR(ENOENT) ? "missing" : "too long");
            ret = SKY_ERR(EBADMSG);
            goto done;
        }
        sky_hostapi_int(a, "IsHdrSupported", 0, 1, &hdr);
        app->id = (uint32_t)id;
        app->hdr = hdr == 1;
        out->count++;
    }
    ret = 0;
done:
    if (ret < 0)
        sky_applist_free(out);
    sky_xml_destroy(&x);
    return ret;
}

void sky_applist_free(SkyAppList *l)
{
    free(l->apps);
    l->apps = NULL;
    l->count = 0;
}

const SkyApp *sky_applist_find(const SkyAppList *l, const char *id_or_title)
{
    int64_t id;
    if (parse_int(id_or_title, 0, INT32_MAX, &id) == 0) {
        for (size_t i = 0; i < l->count; i++)
            if (l->apps[i].id == (uint32_t)id)
                return &l->apps[i];
    }
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->apps[i].title, id_or_title) == 0)
            return &l->apps[i];
    for (size_t i = 0; i < l->count; i++)
        if (strcasecmp(l->apps[i].title, id_or_title) == 0)
            return &l->apps[i];
    return NULL;
}

int sky_session_url_parse(const char *s, SkySessionUrl *out)
{
    memset(out, 0, sizeof(*out));
    const char *p;
    if (strncmp(s, "rtspenc://", 10) == 0) {
        out->encrypted = true;
        p = s + 10;
    } else if (strncmp(s, "rtsp://", 7) == 0) {
        p = s + 7;
    } else {
        return SKY_ERR(EBADMSG);
    }
    SkyHostAddr a;
    if (sky_host_addr_parse(p, &a) < 0 || a.port == 0 || strlen(a.host) >= sizeof(out->host))
        return SKY_ERR(EBADMSG);
    memcpy(out->host, a.host, strlen(a.host) + 1);
    out->port = a.port;
    return 0;
}

int sky_hostapi_launch(const char *body, size_t len, const char *want, SkySessionUrl *url,
                       char *err, size_t errlen)
{
    SkyXml *x = NULL;
    memset(url, 0, sizeof(*url));
    int ret = sky_hostapi_reply(body, len, &x, NULL, err, errlen);
    if (ret < 0)
        return ret;
    const SkyXmlNode *root = sky_xml_root(x);
    const char *flag = sky_xml_child_text(root, want);
    ret = SKY_ERR(EPROTO);
    if (!flag || strcmp(flag, "0") == 0 || !*flag) {
        set_err(err, errlen, "the host did not start the session (<%s> %s)", want,
                flag ? "is 0" : "is missing");
        goto done;
    }
    const char *u = sky_xml_child_text(root, "sessionUrl0");
    if (u && sky_session_url_parse(u, url) < 0) {
        set_err(err, errlen, "the host's sessionUrl0 is malformed");
        ret = SKY_ERR(EBADMSG);
        goto done;
    }
    ret = 0;
done:
    sky_xml_destroy(&x);
    return ret;
}

static bool port_parse(const char *s, uint16_t *port)
{
    int64_t v;
    if (parse_int(s, 1, 65535, &v) < 0 || s[0] == '-')
        return false;
    *port = (uint16_t)v;
    return true;
}

int sky_host_addr_parse(const char *s, SkyHostAddr *out)
{
    memset(out, 0, sizeof(*out));
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(out->host))
        return SKY_ERR(EINVAL);
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close == s + 1)
            return SKY_ERR(EINVAL);
        size_t hl = (size_t)(close - s - 1);
        memcpy(out->host, s + 1, hl);
        out->host[hl] = '\0';
        out->ipv6 = true;
        if (close[1] == ':') {
            if (!port_parse(close + 2, &out->port))
                return SKY_ERR(EINVAL);
        } else if (close[1]) {
            return SKY_ERR(EINVAL);
        }
        if (!strchr(out->host, ':'))
            return SKY_ERR(EINVAL);
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':')) {
            memcpy(out->host, s, n + 1); /* a bare IPv6 literal: no port */
            out->ipv6 = true;
        } else if (colon) {
            if (colon == s || !port_parse(colon + 1, &out->port))
                return SKY_ERR(EINVAL);
            memcpy(out->host, s, (size_t)(colon - s));
            out->host[colon - s] = '\0';
        } else {
            memcpy(out->host, s, n + 1);
        }
    }
    for (const char *p = out->host; *p; p++) {
        unsigned char c = (unsigned char)*p;
        /* Names, IPv4 and IPv6 literals (with a %zone). Nothing that could break a URL. */
        if (!isalnum(c) && c != '.' && c != '-' && c != '_' && c != ':' && c != '%')
            return SKY_ERR(EINVAL);
    }
    return 0;
}

void sky_host_addr_format(const char *host, bool ipv6, uint16_t port, char *out, size_t cap)
{
    snprintf(out, cap, ipv6 ? "[%s]:%u" : "%s:%u", host, (unsigned)port);
}

int sky_hostapi_url(char *out, size_t cap, bool https, const char *host, bool ipv6, uint16_t port,
                    const char *path, const char *uniqueid, const char *uuid, const char *query)
{
    char hostport[300];
    char h[256];
    /* A zone id's '%' must be escaped in a URL. */
    size_t j = 0;
    for (const char *p = host; *p && j + 4 < sizeof(h); p++) {
        if (*p == '%') {
            memcpy(h + j, "%25", 3);
            j += 3;
        } else {
            h[j++] = *p;
        }
    }
    h[j] = '\0';
    sky_host_addr_format(h, ipv6, port, hostport, sizeof(hostport));
    int n = snprintf(out, cap, "%s://%s/%s?uniqueid=%s&uuid=%s%s%s", https ? "https" : "http",
                     hostport, path, uniqueid, uuid, query && *query ? "&" : "",
                     query ? query : "");
    return n < 0 || (size_t)n >= cap ? SKY_ERR(E2BIG) : 0;
}

uint32_t sky_surround_audio_info(int channels)
{
    uint32_t mask = channels == 8 ? 0x63F : channels == 6 ? 0x3F : 0x3;
    return mask << 16 | (uint32_t)(channels == 8 || channels == 6 ? channels : 2);
}

int sky_hostapi_launch_query(const SkyLaunchParams *p, char *out, size_t cap)
{
    char rikey[33];
    sky_hex_encode(p->rikey, sizeof(p->rikey), rikey, false);
    int n = snprintf(out, cap,
                     "appid=%" PRIu32 "&mode=%dx%dx%d&additionalStates=1&sops=%d&rikey=%s"
                     "&rikeyid=%" PRId32 "&localAudioPlayMode=%d&surroundAudioInfo=%" PRIu32
                     "&remoteControllersBitmap=%" PRIu32 "&gcmap=%" PRIu32 "%s&corever=1",
                     p->appid, p->width, p->height, p->fps, p->sops ? 1 : 0, rikey,
                     (int32_t)p->rikeyid, p->local_audio ? 1 : 0,
                     sky_surround_audio_info(p->audio_channels), p->gamepad_mask,
                     p->gamepad_mask,
                     p->hdr ? "&hdrMode=1&clientHdrCapVersion=0&clientHdrCapSupportedFlagsInUint32=0"
                              "&clientHdrCapMetaDataId=NV_STATIC_METADATA_TYPE_1"
                              "&clientHdrCapDisplayData=0x0x0x0x0x0x0x0x0x0x0"
                            : "");
    return n < 0 || (size_t)n >= cap ? SKY_ERR(E2BIG) : 0;
}

bool sky_host_addr_is_local(const char *numeric)
{
    char text[64];
    size_t n = strcspn(numeric, "%");
    if (n >= sizeof(text))
        return false;
    memcpy(text, numeric, n);
    text[n] = '\0';
    uint8_t a[16];
    if (inet_pton(AF_INET, text, a) == 1)
        goto v4;
    if (inet_pton(AF_INET6, text, a) != 1)
        return false;
    static const uint8_t loopback[16] = {[15] = 1};
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    if (memcmp(a, loopback, 16) == 0)
        return true;
    if ((a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || (a[0] & 0xfe) == 0xfc)
        return true;
    if (memcmp(a, mapped, 12) != 0)
        return false;
    memmove(a, a + 12, 4);
v4:
    return a[0] == 10 || a[0] == 127 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
           (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254);
}
