/* The test host's shared state: options, apps, the pending launch, start and stop (host.h). */
#include "tests/host/host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/core/error.h"
#include "common/core/log.h"
#include "tests/host/pair.h"
#include "tests/host/png.h"
#include "tests/host/state.h"

#define TAG "testhost"

static pthread_mutex_t g_event_lock = PTHREAD_MUTEX_INITIALIZER;

/* BT.2020 primaries and D65 (what Sunshine reports on Windows, in 1/50000), a 1000 cd/m2
 * display with a 0.005 cd/m2 black, content light levels as a Linux compositor passes them. */
const SkyControlHdrMode sky_th_hdr_display = {
    .enabled = true,
    .has_metadata = true,
    .primaries = {{35400, 14600}, {8500, 39850}, {6550, 2300}},
    .white_point = {15635, 16450},
    .max_display_luminance = 1000,
    .min_display_luminance = 50,
    .max_content_light_level = 1000,
    .max_frame_average_light_level = 400,
    .max_full_frame_luminance = 600,
};

void sky_th_event(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) - 1 ? (size_t)n : sizeof(line) - 2;
    line[len++] = '\n';
    pthread_mutex_lock(&g_event_lock);
    fwrite(line, 1, len, stdout);
    fflush(stdout);
    pthread_mutex_unlock(&g_event_lock);
}

void sky_th_sanitize(const char *s, char *out, size_t cap, bool keep_spaces)
{
    size_t o = 0;
    if (cap == 0)
        return;
    for (const char *p = s; *p && o + 1 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        bool ok = c > 0x20 && c < 0x7f;
        out[o++] = ok || (keep_spaces && c == ' ') ? (char)c : '?';
    }
    out[o] = '\0';
}

/* Sunshine's id: the CRC-32 read as an int32, made positive. */
static uint32_t app_id_of(const char *s)
{
    int32_t v = (int32_t)sky_th_crc32(0, s, strlen(s));
    if (v == INT32_MIN)
        v = INT32_MAX;
    return (uint32_t)(v < 0 ? -v : v);
}

static bool id_taken(const SkyThApp *apps, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (apps[i].id == id)
            return true;
    return false;
}

int sky_th_apps_parse(const char *list, SkyThApp *apps, size_t cap, size_t *n, char *err,
                      size_t errlen)
{
    *n = 0;
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len > 0) {
            if (*n >= cap) {
                snprintf(err, errlen, "--apps: more than %zu apps", cap);
                return SKY_ERR(EINVAL);
            }
            SkyThApp *a = &apps[*n];
            const char *eq = memchr(p, '=', len);
            size_t tlen = eq ? (size_t)(eq - p) : len;
            if (tlen == 0 || tlen >= sizeof(a->title)) {
                snprintf(err, errlen, "--apps: bad title in '%.*s'", (int)(len > 60 ? 60 : len),
                         p);
                return SKY_ERR(EINVAL);
            }
            memcpy(a->title, p, tlen);
            a->title[tlen] = '\0';
            if (eq) {
                char num[16];
                size_t nlen = len - tlen - 1;
                char *end;
                if (nlen == 0 || nlen >= sizeof(num)) {
                    snprintf(err, errlen, "--apps: bad id for '%s'", a->title);
                    return SKY_ERR(EINVAL);
                }
                memcpy(num, eq + 1, nlen);
                num[nlen] = '\0';
                long long v = strtoll(num, &end, 10);
                if (*end || v <= 0 || v > INT32_MAX || id_taken(apps, *n, (uint32_t)v)) {
                    snprintf(err, errlen, "--apps: bad or repeated id '%s' for '%s'", num,
                             a->title);
                    return SKY_ERR(EINVAL);
                }
                a->id = (uint32_t)v;
            } else {
                a->id = app_id_of(a->title);
                if (a->id == 0 || id_taken(apps, *n, a->id)) {
                    /* Sunshine's fallback on a collision: hash the title with the index. */
                    char buf[sizeof(a->title) + 16];
                    snprintf(buf, sizeof(buf), "%s%zu", a->title, *n);
                    a->id = app_id_of(buf);
                }
                if (a->id == 0 || id_taken(apps, *n, a->id)) {
                    snprintf(err, errlen, "--apps: cannot give '%s' a unique id; add =ID",
                             a->title);
                    return SKY_ERR(EINVAL);
                }
            }
            (*n)++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

const char *const sky_th_boxart_names[SKY_TH_BOXART_COUNT] = {
    "png", "default", "empty", "404", "broken", "big", "huge", "slow"};

int sky_th_boxart_parse(const char *list, SkyThApp *apps, size_t n, char *err, size_t errlen)
{
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[64], *end;
        snprintf(item, sizeof(item), "%.*s", (int)len, p);
        char *eq = strchr(item, '=');
        if (len >= sizeof(item) || !eq) {
            snprintf(err, errlen, "--boxart: '%s' is not ID=MODE", item);
            return SKY_ERR(EINVAL);
        }
        *eq = '\0';
        long long id = strtoll(item, &end, 10);
        SkyThApp *app = NULL;
        for (size_t i = 0; i < n && !*end && end != item; i++)
            if (apps[i].id == id)
                app = &apps[i];
        int mode = -1;
        for (int m = 0; m < SKY_TH_BOXART_COUNT; m++)
            if (strcmp(eq + 1, sky_th_boxart_names[m]) == 0)
                mode = m;
        if (!app || mode < 0) {
            snprintf(err, errlen, "--boxart: %s '%s'", app ? "no mode" : "no app with id",
                     app ? eq + 1 : item);
            return SKY_ERR(EINVAL);
        }
        app->boxart = mode;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

const SkyThApp *sky_th_app_find(const SkyThHost *h, uint32_t id)
{
    for (size_t i = 0; i < h->n_apps; i++)
        if (h->apps[i].id == id)
            return &h->apps[i];
    return NULL;
}

static int parse_major(const char *appversion)
{
    int v = 0;
    for (const char *p = appversion; *p >= '0' && *p <= '9' && v < 1000; p++)
        v = v * 10 + (*p - '0');
    return v;
}

int sky_th_host_init(SkyThHost *h, const SkyThCfg *cfg)
{
    char err[256];
    int ret;
    memset(h, 0, sizeof(*h));
    h->cfg = cfg;
    h->server_major = parse_major(cfg->appversion);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&h->lock, NULL);

    ret = sky_th_apps_parse(cfg->apps, h->apps, SKY_TH_MAX_APPS, &h->n_apps, err, sizeof(err));
    if (ret < 0) {
        SKY_LOGE(TAG, "%s", err);
        goto fail;
    }
    ret = sky_th_boxart_parse(cfg->boxart, h->apps, h->n_apps, err, sizeof(err));
    if (ret < 0) {
        SKY_LOGE(TAG, "%s", err);
        goto fail;
    }
    if ((ret = sky_th_state_open(&h->state, cfg->state_dir, cfg->cert, cfg->key)) < 0)
        goto fail;
    if ((ret = sky_th_pairings_create(&h->pairings)) < 0)
        goto fail;
    SKY_LOGI(TAG, "uniqueid %s, appversion %s, %zu app(s)", sky_th_state_uniqueid(h->state),
             cfg->appversion, h->n_apps);
    return 0;
fail:
    sky_th_host_cleanup(h);
    return ret;
}

void sky_th_host_cleanup(SkyThHost *h)
{
    if (!h->cfg)
        return;
    sky_th_pairings_destroy(&h->pairings);
    sky_th_state_close(&h->state);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    sky_wipe(&h->session, sizeof(h->session));
    h->cfg = NULL;
}

void sky_th_host_stop(SkyThHost *h)
{
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
}

int sky_th_bind(const char *addr, int port, int type, int backlog, int *fd_out,
                uint16_t *port_out)
{
    char portstr[16];
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = type,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    snprintf(portstr, sizeof(portstr), "%d", port);
    int gai = getaddrinfo(addr, portstr, &hints, &res);
    if (gai != 0 || !res) {
        SKY_LOGE(TAG, "--bind: '%s' is not a numeric address (%s)", addr, gai_strerror(gai));
        if (res)
            freeaddrinfo(res);
        return SKY_ERR(EINVAL);
    }
    int ret = 0, one = 1;
    int fd = socket(res->ai_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0 ||
        (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
        bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
        (type == SOCK_STREAM && listen(fd, backlog) < 0)) {
        ret = SKY_ERR(errno);
        if (ret != SKY_ERR(EADDRINUSE))
            SKY_LOGE(TAG, "cannot bind %s port %d (%s): %s", addr, port,
                     type == SOCK_STREAM ? "tcp" : "udp", sky_strerror(ret));
        goto cleanup;
    }
    if (type == SOCK_DGRAM) {
        /* Room for a burst of large frames (best effort; the kernel may cap it). */
        int bytes = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
        ret = SKY_ERR(errno);
        goto cleanup;
    }
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    fd = -1;
cleanup:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return ret;
}
