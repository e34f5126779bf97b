/* The test host's identity and paired clients in --state-dir, written atomically (state.h). */
#include "tests/host/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/core/error.h"
#include "common/core/hex.h"
#include "common/core/log.h"
#include "tests/host/host.h"

#define TAG "th-state"
#define PATH_CAP 1200
/* A PEM certificate or key file is a few KB; anything past this is not one. */
#define PEM_MAX (64 * 1024)
#define MAX_PAIRED 1024

typedef struct Paired {
    uint8_t *der;
    size_t len;
} Paired;

struct SkyThState {
    char dir[PATH_CAP];
    char clients_dir[PATH_CAP];
    char uniqueid[SKY_TH_UNIQUEID_MAX + 1];
    char *cert_pem, *key_pem;   /* owned, NUL-terminated */
    size_t cert_len, key_len;
    SkyCert *cert;
    SkyKey *key;
    Paired *paired;             /* owned array of n_paired */
    size_t n_paired, cap_paired;
};

static int join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? SKY_ERR(ENAMETOOLONG) : 0;
}

/* Reads a whole file of at most max bytes into a malloc'd NUL-terminated buffer. */
static int read_file(const char *path, size_t max, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return SKY_ERR(errno);
    int ret = 0;
    char *buf = malloc(max + 1);
    size_t n = 0;
    if (!buf) {
        ret = SKY_ERR(ENOMEM);
        goto cleanup;
    }
    for (;;) {
        if (n > max) {
            ret = SKY_ERR(E2BIG);
            goto cleanup;
        }
        ssize_t r = read(fd, buf + n, max + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ret = SKY_ERR(errno);
            goto cleanup;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
cleanup:
    free(buf);
    close(fd);
    return ret;
}

/* Replaces dir/name with data: temporary file, fsync, rename, fsync of the directory. */
static int write_atomic(const char *dir, const char *name, const void *data, size_t len,
                        mode_t mode)
{
    char path[PATH_CAP], tmp[PATH_CAP];
    int ret = join(path, sizeof(path), dir, name);
    if (ret < 0)
        return ret;
    int n = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%ld", dir, name, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return SKY_ERR(ENAMETOOLONG);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return SKY_ERR(errno);
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            ret = SKY_ERR(errno);
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (ret == 0 && fsync(fd) < 0)
        ret = SKY_ERR(errno);
    if (close(fd) < 0 && ret == 0)
        ret = SKY_ERR(errno);
    if (ret == 0 && rename(tmp, path) < 0)
        ret = SKY_ERR(errno);
    if (ret < 0) {
        unlink(tmp);
        return ret;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) < 0)
            ret = SKY_ERR(errno);
        close(dfd);
    }
    return ret;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) < 0)
            return SKY_ERR(errno);
        return S_ISDIR(st.st_mode) ? 0 : SKY_ERR(ENOTDIR);
    }
    return SKY_ERR(errno);
}

/* Parses one PEM certificate with OpenSSL (NULL if it is none; the error queue is cleared). */
static X509 *pem_x509(const char *pem, size_t len)
{
    if (len > PEM_MAX)
        return NULL;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    ERR_clear_error();
    return x;
}

static int x509_der(X509 *x, uint8_t **der, size_t *len)
{
    *der = NULL;
    *len = 0;
    int n = i2d_X509(x, NULL);
    if (n <= 0)
        return SKY_ERR(EBADMSG);
    uint8_t *buf = malloc((size_t)n), *p = buf;
    if (!buf)
        return SKY_ERR(ENOMEM);
    if (i2d_X509(x, &p) != n) {
        free(buf);
        return SKY_ERR(EBADMSG);
    }
    *der = buf;
    *len = (size_t)n;
    return 0;
}

static void x509_cn(X509 *x, char *out, size_t cap)
{
    char cn[256] = "";
    out[0] = '\0';
    if (!x)
        return;
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) < 0)
        cn[0] = '\0';
    ERR_clear_error();
    sky_th_sanitize(cn, out, cap, true);
}

void sky_th_cert_cn_pem(const char *pem, size_t len, char *out, size_t cap)
{
    X509 *x = pem_x509(pem, len);
    x509_cn(x, out, cap);
    X509_free(x);
}

void sky_th_cert_cn_der(const uint8_t *der, size_t len, char *out, size_t cap)
{
    const unsigned char *p = der;
    X509 *x = len <= PEM_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
    ERR_clear_error();
    x509_cn(x, out, cap);
    X509_free(x);
}

static int add_der(SkyThState *s, uint8_t *der, size_t len)
{
    if (s->n_paired >= MAX_PAIRED)
        return SKY_ERR(ENOSPC);
    if (s->n_paired == s->cap_paired) {
        size_t ncap = s->cap_paired ? s->cap_paired * 2 : 8;
        Paired *np = realloc(s->paired, ncap * sizeof(*np));
        if (!np)
            return SKY_ERR(ENOMEM);
        s->paired = np;
        s->cap_paired = ncap;
    }
    s->paired[s->n_paired].der = der;
    s->paired[s->n_paired].len = len;
    s->n_paired++;
    return 0;
}

static int load_identity(SkyThState *s, const char *cert_file, const char *key_file)
{
    char cert_path[PATH_CAP], key_path[PATH_CAP];
    int ret;
    bool given = cert_file[0] || key_file[0];
    if (given && !(cert_file[0] && key_file[0])) {
        SKY_LOGE(TAG, "--cert and --key go together");
        return SKY_ERR(EINVAL);
    }
    if (given) {
        snprintf(cert_path, sizeof(cert_path), "%s", cert_file);
        snprintf(key_path, sizeof(key_path), "%s", key_file);
    } else if ((ret = join(cert_path, sizeof(cert_path), s->dir, "cert.pem")) < 0 ||
               (ret = join(key_path, sizeof(key_path), s->dir, "key.pem")) < 0) {
        SKY_LOGE(TAG, "state directory path too long");
        return ret;
    }

    int rc = read_file(cert_path, PEM_MAX, &s->cert_pem, &s->cert_len);
    int rk = read_file(key_path, PEM_MAX, &s->key_pem, &s->key_len);
    if (!given && rc == SKY_ERR(ENOENT) && rk == SKY_ERR(ENOENT)) {
        SKY_LOGI(TAG, "generating the host identity in %s", s->dir);
        ret = sky_identity_generate("Sunshine Gamestream Host", 20, &s->cert_pem, &s->key_pem);
        if (ret < 0) {
            SKY_LOGE(TAG, "cannot generate the host identity: %s", sky_strerror(ret));
            return ret;
        }
        s->cert_len = strlen(s->cert_pem);
        s->key_len = strlen(s->key_pem);
        if ((ret = write_atomic(s->dir, "key.pem", s->key_pem, s->key_len, 0600)) < 0 ||
            (ret = write_atomic(s->dir, "cert.pem", s->cert_pem, s->cert_len, 0644)) < 0) {
            SKY_LOGE(TAG, "cannot write the host identity to %s: %s", s->dir,
                     sky_strerror(ret));
            return ret;
        }
        rc = rk = 0;
    }
    if (rc < 0 || rk < 0) {
        SKY_LOGE(TAG, "cannot read %s: %s", rc < 0 ? cert_path : key_path,
                 sky_strerror(rc < 0 ? rc : rk));
        return rc < 0 ? rc : rk;
    }
    if ((ret = sky_cert_from_pem(&s->cert, s->cert_pem, s->cert_len)) < 0) {
        SKY_LOGE(TAG, "%s is not a PEM certificate", cert_path);
        return ret;
    }
    if ((ret = sky_key_from_pem(&s->key, s->key_pem, s->key_len)) < 0) {
        SKY_LOGE(TAG, "%s is not a PEM private key", key_path);
        return ret;
    }
    if (!sky_key_matches_cert(s->key, s->cert)) {
        SKY_LOGE(TAG, "%s does not belong to %s", key_path, cert_path);
        return SKY_ERR(EINVAL);
    }
    char fp[96];
    sky_cert_fingerprint_text(s->cert, fp);
    SKY_LOGI(TAG, "host certificate %s (SHA-256 %s)", cert_path, fp);
    return 0;
}

static bool uniqueid_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SKY_TH_UNIQUEID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '-'))
            return false;
    }
    return true;
}

static int load_uniqueid(SkyThState *s)
{
    char path[PATH_CAP];
    char *data = NULL;
    size_t len = 0;
    int ret = join(path, sizeof(path), s->dir, "uniqueid");
    if (ret < 0)
        return ret;
    ret = read_file(path, 256, &data, &len);
    if (ret == 0) {
        while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' ||
                           data[len - 1] == ' '))
            data[--len] = '\0';
        if (!uniqueid_valid(data)) {
            SKY_LOGE(TAG, "%s does not hold a unique id", path);
            free(data);
            return SKY_ERR(EINVAL);
        }
        snprintf(s->uniqueid, sizeof(s->uniqueid), "%s", data);
        free(data);
        return 0;
    }
    if (ret != SKY_ERR(ENOENT)) {
        SKY_LOGE(TAG, "cannot read %s: %s", path, sky_strerror(ret));
        return ret;
    }
    uint8_t r[16];
    char hex[33], text[40];
    if ((ret = sky_random_bytes(r, sizeof(r))) < 0)
        return ret;
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40); /* a version-4 UUID, as Sunshine makes */
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    sky_hex_encode(r, sizeof(r), hex, true);
    snprintf(text, sizeof(text), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
    snprintf(s->uniqueid, sizeof(s->uniqueid), "%s", text);
    char line[48];
    int n = snprintf(line, sizeof(line), "%s\n", text);
    ret = write_atomic(s->dir, "uniqueid", line, (size_t)n, 0644);
    if (ret < 0)
        SKY_LOGE(TAG, "cannot write %s: %s", path, sky_strerror(ret));
    return ret;
}

static bool is_pem_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".pem") == 0;
}

static int load_paired(SkyThState *s)
{
    int ret = join(s->clients_dir, sizeof(s->clients_dir), s->dir, "clients");
    if (ret < 0 || (ret = make_dir(s->clients_dir)) < 0) {
        SKY_LOGE(TAG, "cannot create %s/clients: %s", s->dir, sky_strerror(ret));
        return ret;
    }
    DIR *d = opendir(s->clients_dir);
    if (!d) {
        ret = SKY_ERR(errno);
        SKY_LOGE(TAG, "cannot list %s: %s", s->clients_dir, sky_strerror(ret));
        return ret;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_pem_name(e->d_name))
            continue;
        char path[PATH_CAP], *pem = NULL;
        size_t len = 0;
        if (join(path, sizeof(path), s->clients_dir, e->d_name) < 0 ||
            read_file(path, PEM_MAX, &pem, &len) < 0) {
            SKY_LOGW(TAG, "cannot read %s/%s; skipped", s->clients_dir, e->d_name);
            continue;
        }
        X509 *x = pem_x509(pem, len);
        free(pem);
        uint8_t *der = NULL;
        size_t der_len = 0;
        if (!x || x509_der(x, &der, &der_len) < 0) {
            SKY_LOGW(TAG, "%s holds no certificate; skipped", path);
            X509_free(x);
            continue;
        }
        X509_free(x);
        if (sky_th_state_is_paired(s, der, der_len) || add_der(s, der, der_len) < 0)
            free(der);
    }
    closedir(d);
    SKY_LOGI(TAG, "%zu paired client(s)", s->n_paired);
    return 0;
}

int sky_th_state_open(SkyThState **out, const char *dir, const char *cert_file,
                      const char *key_file)
{
    *out = NULL;
    int ret;
    SkyThState *s = calloc(1, sizeof(*s));
    if (!s)
        return SKY_ERR(ENOMEM);
    if (!dir[0] || strlen(dir) >= sizeof(s->dir) - 64) {
        SKY_LOGE(TAG, "--state-dir is required (and shorter than %zu bytes)",
                 sizeof(s->dir) - 64);
        ret = SKY_ERR(EINVAL);
        goto fail;
    }
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
    if ((ret = make_dir(s->dir)) < 0) {
        SKY_LOGE(TAG, "cannot create %s: %s", s->dir, sky_strerror(ret));
        goto fail;
    }
    if ((ret = load_identity(s, cert_file, key_file)) < 0 || (ret = load_uniqueid(s)) < 0 ||
        (ret = load_paired(s)) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    sky_th_state_close(&s);
    return ret;
}

void sky_th_state_close(SkyThState **ps)
{
    SkyThState *s = *ps;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_paired; i++)
        free(s->paired[i].der);
    free(s->paired);
    sky_cert_destroy(&s->cert);
    sky_key_destroy(&s->key);
    if (s->key_pem)
        sky_wipe(s->key_pem, s->key_len);
    free(s->key_pem);
    free(s->cert_pem);
    free(s);
    *ps = NULL;
}

const char *sky_th_state_uniqueid(const SkyThState *s)
{
    return s->uniqueid;
}

const char *sky_th_state_cert_pem(const SkyThState *s, size_t *len)
{
    *len = s->cert_len;
    return s->cert_pem;
}

const char *sky_th_state_key_pem(const SkyThState *s, size_t *len)
{
    *len = s->key_len;
    return s->key_pem;
}

const SkyCert *sky_th_state_cert(const SkyThState *s)
{
    return s->cert;
}

const SkyKey *sky_th_state_key(const SkyThState *s)
{
    return s->key;
}

bool sky_th_state_is_paired(const SkyThState *s, const uint8_t *der, size_t len)
{
    for (size_t i = 0; i < s->n_paired; i++)
        if (s->paired[i].len == len && memcmp(s->paired[i].der, der, len) == 0)
            return true;
    return false;
}

size_t sky_th_state_n_paired(const SkyThState *s)
{
    return s->n_paired;
}

int sky_th_state_add_paired(SkyThState *s, const char *pem, size_t len, char fingerprint[65])
{
    uint8_t *der = NULL, hash[SKY_SHA256_LEN];
    size_t der_len = 0;
    fingerprint[0] = '\0';
    X509 *x = pem_x509(pem, len);
    int ret = x ? x509_der(x, &der, &der_len) : SKY_ERR(EBADMSG);
    X509_free(x);
    if (ret < 0)
        return ret;
    sky_sha256(der, der_len, hash);
    sky_hex_encode(hash, sizeof(hash), fingerprint, false);
    if (sky_th_state_is_paired(s, der, der_len)) {
        free(der);
        return 0;
    }
    char name[80];
    snprintf(name, sizeof(name), "%s.pem", fingerprint);
    ret = write_atomic(s->clients_dir, name, pem, len, 0644);
    if (ret < 0) {
        SKY_LOGE(TAG, "cannot write %s/%s: %s", s->clients_dir, name, sky_strerror(ret));
        free(der);
        return ret;
    }
    ret = add_der(s, der, der_len);
    if (ret < 0)
        free(der);
    return ret;
}
