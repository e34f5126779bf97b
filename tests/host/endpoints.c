/* The test host's HTTP(S) endpoints, answered as Sunshine v0.23 does (endpoints.h). */
#include "tests/host/endpoints.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/hex.h"
#include "common/proto/hostapi.h"
#include "common/core/log.h"
#include "tests/host/pair.h"
#include "tests/host/png.h"
#include "tests/host/state.h"

#define TAG "th-api"

/* Sunshine's default display modes: every resolution at every refresh rate. */
static const uint16_t k_resolutions[][2] = {
    {352, 240},   {480, 360},   {858, 480},   {1280, 720},  {1920, 1080}, {2560, 1080},
    {2560, 1440}, {3440, 1440}, {1920, 1200}, {3840, 2160}, {3840, 1600},
};
static const uint16_t k_fps[] = {10, 30, 60, 90, 120};

void sky_th_reply_free(SkyThReply *rep)
{
    free(rep->data);
    rep->data = NULL;
    rep->len = 0;
}

void sky_th_reply_xml(SkyThReply *rep, SkyThXml *x, int status)
{
    char *doc = NULL;
    size_t len = 0;
    rep->status = status;
    if (sky_th_xml_finish(x, &doc, &len) == 0)
        sky_th_http_response("200 OK", "", doc, len, &rep->data, &rep->len);
    free(doc);
    sky_th_xml_free(x);
}

void sky_th_reply_error(SkyThReply *rep, int status, const char *msg, const char *elem,
                        int value)
{
    SkyThXml x;
    sky_th_xml_init(&x);
    sky_th_xml_attr_int(&x, "status_code", status);
    if (msg)
        sky_th_xml_attr(&x, "status_message", msg);
    if (elem)
        sky_th_xml_elem_int(&x, elem, value);
    sky_th_reply_xml(rep, &x, status);
}

void sky_th_reply_unauthorized(SkyThReply *rep)
{
    SkyThXml x;
    sky_th_xml_init(&x);
    sky_th_xml_attr_int(&x, "status_code", 401);
    /* Sunshine answers before it has read the request, so its path is always empty. */
    sky_th_xml_attr(&x, "query", "");
    sky_th_xml_attr(&x, "status_message",
                    "The client is not authorized. Certificate verification failed.");
    sky_th_reply_xml(rep, &x, 401);
}

void sky_th_reply_http_error(SkyThReply *rep, int code)
{
    const char *status = code == 413 ? "413 Payload Too Large" : "400 Bad Request";
    SkyThXml x;
    char *doc = NULL;
    size_t len = 0;
    sky_th_xml_init(&x);
    sky_th_xml_attr_int(&x, "status_code", code);
    sky_th_xml_attr(&x, "status_message", status + 4);
    if (sky_th_xml_finish(&x, &doc, &len) == 0)
        sky_th_http_response(status, "", doc, len, &rep->data, &rep->len);
    free(doc);
    sky_th_xml_free(&x);
    rep->status = code;
    rep->keep_alive = false;
}

/* Sunshine's not_found writes a 200 reply holding <root status_code="404"/> and then, into the
 * same stream, a stray "HTTP/1.1 404 NOT FOUND" line and the document again. */
static void reply_not_found(SkyThReply *rep)
{
    static const char trailer[] = "HTTP/1.1 404 NOT FOUND\r\n";
    SkyThXml x;
    char *doc = NULL, *resp = NULL;
    size_t len = 0, resp_len = 0;
    rep->status = 404;
    sky_th_xml_init(&x);
    sky_th_xml_attr_int(&x, "status_code", 404);
    if (sky_th_xml_finish(&x, &doc, &len) == 0 &&
        sky_th_http_response("200 OK", "", doc, len, &resp, &resp_len) == 0) {
        char *all = realloc(resp, resp_len + sizeof(trailer) - 1 + len);
        if (all) {
            memcpy(all + resp_len, trailer, sizeof(trailer) - 1);
            memcpy(all + resp_len + sizeof(trailer) - 1, doc, len);
            rep->data = all;
            rep->len = resp_len + sizeof(trailer) - 1 + len;
            resp = NULL;
        }
    }
    free(resp);
    free(doc);
    sky_th_xml_free(&x);
}

/* ---- Helpers for query arguments ---- */

/* A decimal integer argument in [min, max]. Returns 1 if present and valid, 0 if absent (out
 * gets def), -1 if malformed. */
static int arg_int(const SkyThReq *req, const char *name, long long min, long long max,
                   long long def, long long *out)
{
    const char *v = sky_th_req_arg(req, name);
    *out = def;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno == ERANGE || x < min || x > max)
        return -1;
    *out = x;
    return 1;
}

/* "WxHxF"; absent means 0x0x0 as in Sunshine. Returns false if malformed. */
static bool parse_mode(const char *s, int *w, int *h, int *fps)
{
    long v[3] = {0, 0, 0};
    *w = *h = *fps = 0;
    if (!s)
        return true;
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        v[i] = strtol(p, &end, 10);
        if (end == p || errno == ERANGE || v[i] < 0 || v[i] > 16384)
            return false;
        if (i < 2 && *end != 'x')
            return false;
        if (i == 2 && *end != '\0')
            return false;
        p = end + 1;
    }
    *w = (int)v[0];
    *h = (int)v[1];
    *fps = (int)v[2];
    return true;
}

static void session_url(const SkyThHost *h, const SkyThConnInfo *ci, const SkyThLaunch *l,
                        char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%s%s:%u", l->corever >= 1 ? "rtspenc://" : "rtsp://",
             ci->local_v6 ? "[" : "", ci->local_addr, ci->local_v6 ? "]" : "", h->rtsp_port);
}

/* Fills l from the /launch or /resume arguments (rikey and rikeyid must be present). On a
 * malformed argument, returns its name. */
static const char *parse_launch(const SkyThCfg *cfg, const SkyThReq *req, SkyThLaunch *l)
{
    long long v;
    const char *rikey = sky_th_req_arg(req, "rikey");
    size_t klen = 0;
    if (!rikey || strlen(rikey) != 32 ||
        sky_hex_decode(rikey, 32, l->rikey, sizeof(l->rikey), &klen) < 0)
        return "rikey";
    if (arg_int(req, "rikeyid", INT32_MIN, UINT32_MAX, 0, &v) < 0)
        return "rikeyid";
    l->rikeyid = (uint32_t)v;
    if (!parse_mode(sky_th_req_arg(req, "mode"), &l->width, &l->height, &l->fps))
        return "mode";
    if (arg_int(req, "surroundAudioInfo", 0, INT32_MAX, 196610, &v) < 0)
        return "surroundAudioInfo";
    l->surround_info = (int)v;
    if (arg_int(req, "corever", INT32_MIN, INT32_MAX, 0, &v) < 0)
        return "corever";
    l->corever = cfg->plain_rtsp ? 0 : (int)v; /* hosts before Sunshine v0.23 ignore it */
    if (arg_int(req, "hdrMode", INT32_MIN, INT32_MAX, 0, &v) < 0)
        return "hdrMode";
    l->hdr_mode = (int)v;
    if (arg_int(req, "sops", INT32_MIN, INT32_MAX, 0, &v) < 0)
        return "sops";
    l->sops = (int)v;
    if (arg_int(req, "gcmap", INT32_MIN, INT32_MAX, 0, &v) < 0)
        return "gcmap";
    l->gcmap = (int)v;
    const char *uid = sky_th_req_arg(req, "uniqueid");
    sky_th_sanitize(uid ? uid : "unknown", l->uniqueid, sizeof(l->uniqueid), false);
    return NULL;
}

/* The values Sunshine makes for every launch session: the UDP ping payload (8 random bytes as
 * 16 upper-case hex characters) and the control stream's connect data (a random u32). */
static int make_session_ids(SkyThLaunch *l)
{
    uint8_t r[12];
    int ret = sky_random_bytes(r, sizeof(r));
    if (ret < 0)
        return ret;
    sky_hex_encode(r, 8, l->ping_payload, true);
    l->connect_data = (uint32_t)r[8] << 24 | (uint32_t)r[9] << 16 | (uint32_t)r[10] << 8 | r[11];
    sky_wipe(r, sizeof(r));
    return 0;
}

/* Installs l as the host's launch session (host->lock held). */
static void set_session_locked(SkyThHost *h, const SkyThLaunch *l)
{
    h->session = *l;
    h->have_session = true;
    h->launch_gen++;
    h->launch_pending = true;
}

static void bad_param(SkyThReply *rep, const char *name, const char *elem)
{
    char msg[96];
    snprintf(msg, sizeof(msg), "Invalid %s parameter", name);
    sky_th_reply_error(rep, 400, msg, elem, 0);
}

/* ---- Endpoints ---- */

static void serverinfo(SkyThHost *h, const SkyThConnInfo *ci, const SkyThReq *req,
                       SkyThReply *rep)
{
    const SkyThCfg *cfg = h->cfg;
    SkyThXml x;
    sky_th_xml_init(&x);
    sky_th_xml_attr_int(&x, "status_code", 200);
    sky_th_xml_elem(&x, "hostname", cfg->hostname);
    sky_th_xml_elem(&x, "appversion", cfg->appversion);
    sky_th_xml_elem(&x, "GfeVersion", cfg->gfe_version);
    sky_th_xml_elem(&x, "uniqueid", sky_th_state_uniqueid(h->state));
    sky_th_xml_elem_int(&x, "HttpsPort", h->https_port);
    sky_th_xml_elem_int(&x, "ExternalPort", h->http_port);
    sky_th_xml_elem(&x, "MaxLumaPixelsHEVC",
                    (uint32_t)cfg->codec_support & SKY_SCM_HEVC ? "1869449984" : "0");
    /* The real MAC only for paired clients over HTTPS; a placeholder Moonlight ignores else. */
    sky_th_xml_elem(&x, "mac", ci->tls ? cfg->mac : "00:00:00:00:00:00");
    /* Over IPv6, Sunshine answers 127.0.0.1 (as GFE with its IPv6 forwarder did): LocalIP is
     * an IPv4 field in clients. */
    sky_th_xml_elem(&x, "LocalIP", ci->local_v6 ? "127.0.0.1" : ci->local_addr);
    sky_th_xml_elem_int(&x, "ServerCodecModeSupport", (uint32_t)cfg->codec_support);
    sky_th_xml_open(&x, "SupportedDisplayMode");
    for (size_t r = 0; r < sizeof(k_resolutions) / sizeof(k_resolutions[0]); r++) {
        for (size_t f = 0; f < sizeof(k_fps) / sizeof(k_fps[0]); f++) {
            sky_th_xml_open(&x, "DisplayMode");
            sky_th_xml_elem_int(&x, "Width", k_resolutions[r][0]);
            sky_th_xml_elem_int(&x, "Height", k_resolutions[r][1]);
            sky_th_xml_elem_int(&x, "RefreshRate", k_fps[f]);
            sky_th_xml_close(&x, "DisplayMode");
        }
    }
    sky_th_xml_close(&x, "SupportedDisplayMode");
    sky_th_xml_elem_int(&x, "PairStatus", ci->tls && sky_th_req_arg(req, "uniqueid") ? 1 : 0);
    pthread_mutex_lock(&h->lock);
    uint32_t running = h->running_appid;
    pthread_mutex_unlock(&h->lock);
    sky_th_xml_elem_int(&x, "currentgame", running);
    sky_th_xml_elem(&x, "state", running ? "SUNSHINE_SERVER_BUSY" : "SUNSHINE_SERVER_FREE");
    sky_th_reply_xml(rep, &x, 200);
}

static void applist(SkyThHost *h, SkyThReply *rep)
{
    const uint32_t main10 = SKY_SCM_HEVC_MAIN10 | SKY_SCM_AV1_MAIN10;
    SkyThXml x;
    sky_th_xml_init(&x);
    sky_th_xml_attr_int(&x, "status_code", 200);
    for (size_t i = 0; i < h->n_apps; i++) {
        sky_th_xml_open(&x, "App");
        sky_th_xml_elem_int(&x, "IsHdrSupported", (uint32_t)h->cfg->codec_support & main10 ? 1 : 0);
        sky_th_xml_elem(&x, "AppTitle", h->apps[i].title);
        sky_th_xml_elem_int(&x, "ID", h->apps[i].id);
        sky_th_xml_close(&x, "App");
    }
    sky_th_reply_xml(rep, &x, 200);
}

static void launch_event(const char *what, const SkyThLaunch *l)
{
    sky_th_event("%s appid=%u mode=%dx%dx%d rikeyid=%u surround=%d corever=%d hdr=%d sops=%d "
                 "localaudio=%d uniqueid=%s",
                 what, l->appid, l->width, l->height, l->fps, l->rikeyid, l->surround_info,
                 l->corever, l->hdr_mode, l->sops, l->local_audio, l->uniqueid);
}

/* The success reply of /launch and /resume: the session URL and `flag` = 1. */
static void session_started(const SkyThHost *h, const SkyThConnInfo *ci, const SkyThLaunch *l,
                            const char *what, const char *flag, SkyThReply *rep)
{
    char url[128];
    launch_event(what, l);
    session_url(h, ci, l, url, sizeof(url));
    SkyThXml x;
    sky_th_xml_init(&x);
    sky_th_xml_attr_int(&x, "status_code", 200);
    sky_th_xml_elem(&x, "sessionUrl0", url);
    sky_th_xml_elem_int(&x, flag, 1);
    sky_th_reply_xml(rep, &x, 200);
}

static void launch(SkyThHost *h, const SkyThConnInfo *ci, const SkyThReq *req, SkyThReply *rep)
{
    SkyThLaunch l;
    long long v;
    memset(&l, 0, sizeof(l));
    if (!sky_th_req_arg(req, "rikey") || !sky_th_req_arg(req, "rikeyid") ||
        !sky_th_req_arg(req, "localAudioPlayMode") || !sky_th_req_arg(req, "appid")) {
        sky_th_reply_error(rep, 400, "Missing a required launch parameter", "resume", 0);
        return;
    }
    if (arg_int(req, "appid", INT32_MIN, INT32_MAX, 0, &v) < 0) {
        bad_param(rep, "appid", "gamesession");
        return;
    }
    l.appid = v > 0 ? (uint32_t)v : 0;
    if (arg_int(req, "localAudioPlayMode", INT32_MIN, INT32_MAX, 0, &v) < 0) {
        bad_param(rep, "localAudioPlayMode", "gamesession");
        return;
    }
    l.local_audio = (int)v;
    const char *bad = parse_launch(h->cfg, req, &l);
    if (bad) {
        bad_param(rep, bad, "gamesession");
        goto cleanup;
    }
    if (h->cfg->video_encryption == 2 && l.corever < 1) {
        /* Sunshine's mandatory encryption mode refuses clients without encrypted RTSP. */
        sky_th_reply_error(rep, 403, "Encryption is mandatory for this host but unsupported by "
                           "the client", "gamesession", 0);
        goto cleanup;
    }
    if (make_session_ids(&l) < 0) {
        sky_th_reply_error(rep, 500, "Failed to start the specified application", "gamesession",
                           0);
        goto cleanup;
    }

    pthread_mutex_lock(&h->lock);
    if (h->running_appid) {
        pthread_mutex_unlock(&h->lock);
        sky_th_reply_error(rep, 400, "An app is already running on this host", "resume", 0);
        goto cleanup;
    }
    if (l.appid && !sky_th_app_find(h, l.appid)) {
        pthread_mutex_unlock(&h->lock);
        SKY_LOGW(TAG, "launch: no app with id %u", l.appid);
        sky_th_reply_error(rep, 404, "Failed to start the specified application", "gamesession",
                           0);
        goto cleanup;
    }
    /* Sunshine starts nothing for appid 0 but still hands out a session. */
    h->running_appid = l.appid;
    set_session_locked(h, &l);
    pthread_mutex_unlock(&h->lock);

    session_started(h, ci, &l, "launch", "gamesession", rep);
cleanup:
    sky_wipe(&l, sizeof(l));
}

static void resume(SkyThHost *h, const SkyThConnInfo *ci, const SkyThReq *req, SkyThReply *rep)
{
    SkyThLaunch l;
    long long v;
    memset(&l, 0, sizeof(l));
    pthread_mutex_lock(&h->lock);
    uint32_t running = h->running_appid;
    int local_audio = h->have_session ? h->session.local_audio : 0;
    pthread_mutex_unlock(&h->lock);
    if (!running) {
        sky_th_reply_error(rep, 503, "No running app to resume", "resume", 0);
        return;
    }
    if (!sky_th_req_arg(req, "rikey") || !sky_th_req_arg(req, "rikeyid")) {
        sky_th_reply_error(rep, 400, "Missing a required resume parameter", "resume", 0);
        return;
    }
    /* Newer clients send localAudioPlayMode on /resume too; else the launch's value stays. */
    int has = arg_int(req, "localAudioPlayMode", INT32_MIN, INT32_MAX, 0, &v);
    if (has < 0) {
        bad_param(rep, "localAudioPlayMode", "resume");
        return;
    }
    l.local_audio = has ? (int)v : local_audio;
    const char *bad = parse_launch(h->cfg, req, &l);
    if (bad) {
        bad_param(rep, bad, "resume");
        goto cleanup;
    }
    if (make_session_ids(&l) < 0) {
        sky_th_reply_error(rep, 500, "Failed to resume the application", "resume", 0);
        goto cleanup;
    }

    pthread_mutex_lock(&h->lock);
    if (!h->running_appid) { /* a /cancel came in between */
        pthread_mutex_unlock(&h->lock);
        sky_th_reply_error(rep, 503, "No running app to resume", "resume", 0);
        goto cleanup;
    }
    l.appid = h->running_appid;
    set_session_locked(h, &l);
    pthread_mutex_unlock(&h->lock);

    session_started(h, ci, &l, "resume", "resume", rep);
cleanup:
    sky_wipe(&l, sizeof(l));
}

static void cancel(SkyThHost *h, SkyThReply *rep)
{
    pthread_mutex_lock(&h->lock);
    if (h->streaming) {
        /* Sunshine v0.23 quits nothing while a stream session exists (the client disconnects
         * first; its comment says to try again). */
        pthread_mutex_unlock(&h->lock);
        SKY_LOGW(TAG, "cancel: a stream is still connected");
        sky_th_reply_error(rep, 503, "All sessions must be disconnected before quitting", "resume",
                           0);
        return;
    }
    h->launch_pending = false;
    uint32_t was = h->running_appid;
    h->running_appid = 0;
    h->have_session = false;
    sky_wipe(&h->session, sizeof(h->session));
    pthread_mutex_unlock(&h->lock);
    sky_th_event("cancel appid=%u", was);
    SkyThXml x;
    sky_th_xml_init(&x);
    sky_th_xml_attr_int(&x, "status_code", 200);
    sky_th_xml_elem_int(&x, "cancel", 1);
    sky_th_reply_xml(rep, &x, 200);
}

/* Waits until the peer hangs up or the host stops (a host that never answers). */
static void wait_peer_gone(SkyThHost *h, const SkyThConnInfo *ci)
{
    for (;;) {
        pthread_mutex_lock(&h->lock);
        bool stopping = h->stopping;
        pthread_mutex_unlock(&h->lock);
        struct pollfd p = {.fd = ci->fd, .events = POLLRDHUP};
        if (stopping || poll(&p, 1, 100) != 0)
            return;
    }
}

/* /appasset, as Sunshine: a PNG for every appid, its default picture for an unknown one (the
 * request's AssetType and AssetIdx are ignored, as there); --boxart picks other answers. */
static void appasset(SkyThHost *h, const SkyThConnInfo *ci, const SkyThReq *req,
                     SkyThReply *rep)
{
    static const char png_type[] = "Content-Type: image/png\r\n";
    static const char not_png[] = "this is not a picture\n";
    long long id = 0;
    const SkyThApp *app = NULL;
    if (arg_int(req, "appid", 1, INT32_MAX, 0, &id) > 0)
        app = sky_th_app_find(h, (uint32_t)id); /* the app list is read-only: no lock */
    int mode = app ? app->boxart : SKY_TH_BOXART_DEFAULT;
    sky_th_event("appasset appid=%lld boxart=%s", id, sky_th_boxart_names[mode]);
    uint8_t rgb[3] = {(uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16)};
    uint32_t w = 60, hgt = 80;
    uint8_t *png = NULL;
    size_t len = 0;
    rep->status = 200;
    switch (mode) {
    case SKY_TH_BOXART_EMPTY:
        sky_th_http_response("200 OK", png_type, "", 0, &rep->data, &rep->len);
        return;
    case SKY_TH_BOXART_404:
        rep->status = 404;
        sky_th_http_response("404 Not Found", "", "", 0, &rep->data, &rep->len);
        return;
    case SKY_TH_BOXART_BROKEN:
        sky_th_http_response("200 OK", png_type, not_png, sizeof(not_png) - 1, &rep->data,
                             &rep->len);
        return;
    case SKY_TH_BOXART_SLOW:
        wait_peer_gone(h, ci);
        return; /* closed unanswered */
    case SKY_TH_BOXART_DEFAULT:
        memset(rgb, 128, sizeof(rgb));
        break;
    case SKY_TH_BOXART_BIG:
        w = hgt = 1200;
        break;
    case SKY_TH_BOXART_HUGE:
        w = 8192;
        hgt = 2;
        break;
    default:
        break;
    }
    if (sky_th_png_solid(w, hgt, rgb, &png, &len) == 0)
        sky_th_http_response("200 OK", png_type, png, len, &rep->data, &rep->len);
    free(png);
}

void sky_th_handle(SkyThHost *h, const SkyThConnInfo *ci, const SkyThReq *req, SkyThReply *rep)
{
    memset(rep, 0, sizeof(*rep));
    if (ci->tls && !ci->authorized) {
        sky_th_reply_unauthorized(rep);
        return;
    }
    const char *p = req->path;
    if (strcmp(p, "/serverinfo") == 0)
        serverinfo(h, ci, req, rep);
    else if (strcmp(p, "/pair") == 0)
        sky_th_pair_handle(h, ci, req, rep);
    else if (ci->tls && strcmp(p, "/applist") == 0)
        applist(h, rep);
    else if (ci->tls && strcmp(p, "/appasset") == 0)
        appasset(h, ci, req, rep);
    else if (ci->tls && strcmp(p, "/launch") == 0)
        launch(h, ci, req, rep);
    else if (ci->tls && strcmp(p, "/resume") == 0)
        resume(h, ci, req, rep);
    else if (ci->tls && strcmp(p, "/cancel") == 0)
        cancel(h, rep);
    else
        reply_not_found(rep);
}
