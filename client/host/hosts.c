/* Known-host records, one file per host by unique id, written atomically (hosts.h). */
#include "client/host/hosts.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client/fsutil.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/hex.h"
#include "common/core/log.h"
#include "common/core/opts.h"

#define TAG "hosts"
#define CONF_MAX (16 * 1024)
#define PEM_MAX (64 * 1024)

/* Values are written with '%XX' escapes for what the config syntax gives a meaning to. */
static void escape(const char *s, char *out, size_t cap)
{
    size_t j = 0;
    for (; *s && j + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == '#' || c == '%' || c == 0x7f) {
            snprintf(out + j, cap - j, "%%%02X", c);
            j += 3;
        } else {
            out[j++] = (char)c;
        }
    }
    out[j] = '\0';
}

/* Decodes into out; false if it does not fit. Malformed escapes are kept as they are. */
static bool unescape(const char *s, char *out, size_t cap)
{
    size_t j = 0;
    for (; *s; s++) {
        if (j + 1 >= cap)
            return false;
        int hi, lo;
        if (s[0] == '%' && (hi = sky_hex_digit(s[1])) >= 0 &&
            (lo = sky_hex_digit(s[2])) >= 0) {
            char c = (char)(hi << 4 | lo);
            out[j++] = (unsigned char)c < 0x20 || c == 0x7f ? '?' : c;
            s += 2;
        } else {
            out[j++] = *s;
        }
    }
    out[j] = '\0';
    return true;
}

static int path_of(char *out, size_t cap, const char *dir, const char *uid, const char *ext)
{
    int n = snprintf(out, cap, "%s/hosts/%s%s", dir, uid, ext);
    return n < 0 || (size_t)n >= cap ? SKY_ERR(ENAMETOOLONG) : 0;
}

bool sky_hosts_uniqueid_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SKY_HOSTAPI_UNIQUEID_MAX)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return strcmp(s - n, ".") != 0 && strcmp(s - n, "..") != 0;
}

typedef struct LoadCtx {
    SkyKnownHost *h;
    bool bad;
} LoadCtx;

static int on_entry(void *opaque, const char *key, const char *value, int line)
{
    LoadCtx *c = opaque;
    SkyKnownHost *h = c->h;
    (void)line;
    bool ok = true;
    if (strcmp(key, "uniqueid") == 0)
        ok = unescape(value, h->uniqueid, sizeof(h->uniqueid));
    else if (strcmp(key, "name") == 0)
        ok = unescape(value, h->name, sizeof(h->name));
    else if (strcmp(key, "address") == 0)
        ok = unescape(value, h->address, sizeof(h->address));
    else if (strcmp(key, "mac") == 0)
        ok = unescape(value, h->mac, sizeof(h->mac));
    else if (strcmp(key, "paired") == 0)
        h->paired = strcmp(value, "yes") == 0;
    else if (strcmp(key, "https_port") == 0) {
        char *end;
        long v = strtol(value, &end, 10);
        ok = *value && !*end && v > 0 && v < 65536;
        if (ok)
            h->https_port = (uint16_t)v;
    }
    if (!ok)
        c->bad = true;
    return 0;
}

/* Loads one host from its .conf (and .pem when paired). */
static int load_one(const char *dir, const char *uid, SkyKnownHost *h)
{
    char path[4200];
    char *text = NULL;
    size_t len = 0;
    memset(h, 0, sizeof(*h));
    int ret = path_of(path, sizeof(path), dir, uid, ".conf");
    if (ret == 0)
        ret = sky_read_file(path, CONF_MAX, &text, &len);
    if (ret < 0)
        return ret;
    LoadCtx ctx = {h, false};
    char err[128];
    ret = sky_config_parse(text, len, on_entry, &ctx, err, sizeof(err));
    free(text);
    if (ret < 0 || ctx.bad || strcmp(h->uniqueid, uid) != 0 || !h->address[0]) {
        SKY_LOGW(TAG, "ignoring %s: malformed", path);
        return SKY_ERR(EBADMSG);
    }
    if (!h->https_port)
        h->https_port = SKY_HOSTAPI_DEFAULT_HTTPS_PORT;
    if (!h->paired)
        return 0;
    path_of(path, sizeof(path), dir, uid, ".pem");
    SkyCert *cert = NULL;
    ret = sky_read_file(path, PEM_MAX, &h->cert_pem, &h->cert_len);
    if (ret == 0)
        ret = sky_cert_from_pem(&cert, h->cert_pem, h->cert_len);
    sky_cert_destroy(&cert);
    if (ret < 0) {
        SKY_LOGW(TAG, "host %s: its pinned certificate %s cannot be read (%s); treating it as "
                      "not paired",
                 uid, path, sky_strerror(ret));
        sky_known_host_clear(h);
        h->paired = false;
    }
    return 0;
}

int sky_hosts_load(const char *config_dir, SkyKnownHost **hosts, size_t *count)
{
    *hosts = NULL;
    *count = 0;
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/hosts", config_dir);
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : SKY_ERR(errno);
    SkyKnownHost *arr = NULL;
    size_t n = 0, cap = 0;
    int ret = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".conf") != 0)
            continue;
        char uid[SKY_HOSTAPI_UNIQUEID_MAX + 1];
        if (len - 5 > SKY_HOSTAPI_UNIQUEID_MAX)
            continue;
        memcpy(uid, e->d_name, len - 5);
        uid[len - 5] = '\0';
        if (!sky_hosts_uniqueid_ok(uid))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            SkyKnownHost *a = realloc(arr, ncap * sizeof(*a));
            if (!a) {
                ret = SKY_ERR(ENOMEM);
                break;
            }
            arr = a;
            cap = ncap;
        }
        if (load_one(config_dir, uid, &arr[n]) == 0)
            n++;
    }
    closedir(d);
    if (ret < 0) {
        sky_hosts_free(arr, n);
        return ret;
    }
    *hosts = arr;
    *count = n;
    return 0;
}

void sky_known_host_clear(SkyKnownHost *h)
{
    free(h->cert_pem);
    h->cert_pem = NULL;
    h->cert_len = 0;
}

void sky_hosts_free(SkyKnownHost *hosts, size_t count)
{
    for (size_t i = 0; i < count; i++)
        sky_known_host_clear(&hosts[i]);
    free(hosts);
}

int sky_known_host_copy(SkyKnownHost *dst, const SkyKnownHost *src)
{
    *dst = *src;
    dst->cert_pem = NULL;
    if (src->cert_pem) {
        dst->cert_pem = malloc(src->cert_len + 1);
        if (!dst->cert_pem)
            return SKY_ERR(ENOMEM);
        memcpy(dst->cert_pem, src->cert_pem, src->cert_len + 1);
    }
    return 0;
}

int sky_hosts_save(const char *config_dir, const SkyKnownHost *h)
{
    if (!sky_hosts_uniqueid_ok(h->uniqueid) || (h->paired && !h->cert_pem))
        return SKY_ERR(EINVAL);
    char dir[4200], path[4200];
    snprintf(dir, sizeof(dir), "%s/hosts", config_dir);
    int ret = sky_mkdirs(dir, 0700);
    if (ret < 0)
        return ret;
    if (h->paired) {
        path_of(path, sizeof(path), config_dir, h->uniqueid, ".pem");
        ret = sky_write_file_atomic(path, h->cert_pem, h->cert_len, 0644);
        if (ret < 0)
            return ret;
    }
    char name[400], addr[980], mac[60], text[2048];
    escape(h->name, name, sizeof(name));
    escape(h->address, addr, sizeof(addr));
    escape(h->mac, mac, sizeof(mac));
    int n = snprintf(text, sizeof(text),
                     "# Skylight: a known GameStream host (written by skylight; edits are kept)\n"
                     "uniqueid = %s\nname = %s\naddress = %s\nhttps_port = %u\nmac = %s\n"
                     "paired = %s\n",
                     h->uniqueid, name, addr, (unsigned)h->https_port, mac,
                     h->paired ? "yes" : "no");
    if (n < 0 || (size_t)n >= sizeof(text))
        return SKY_ERR(E2BIG);
    path_of(path, sizeof(path), config_dir, h->uniqueid, ".conf");
    ret = sky_write_file_atomic(path, text, (size_t)n, 0644);
    if (ret < 0 || h->paired)
        return ret;
    /* Not paired (any more): the pinned certificate goes, after the .conf says so. */
    path_of(path, sizeof(path), config_dir, h->uniqueid, ".pem");
    if (unlink(path) != 0 && errno != ENOENT)
        return SKY_ERR(errno);
    return 0;
}

int sky_hosts_remove(const char *config_dir, const char *uniqueid)
{
    char path[4200];
    if (!sky_hosts_uniqueid_ok(uniqueid))
        return SKY_ERR(EINVAL);
    path_of(path, sizeof(path), config_dir, uniqueid, ".conf");
    int ret = unlink(path) == 0 ? 0 : SKY_ERR(errno);
    path_of(path, sizeof(path), config_dir, uniqueid, ".pem");
    unlink(path);
    return ret;
}

int sky_hosts_find(const SkyKnownHost *hosts, size_t count, const char *key)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(hosts[i].uniqueid, key) == 0)
            return (int)i;
    for (size_t i = 0; i < count; i++)
        if (hosts[i].name[0] && strcasecmp(hosts[i].name, key) == 0)
            return (int)i;
    for (size_t i = 0; i < count; i++)
        if (strcasecmp(hosts[i].address, key) == 0)
            return (int)i;
    return -1;
}
