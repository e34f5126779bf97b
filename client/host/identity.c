/* The client identity: certificate, key and unique id, created once in the config directory
 * (identity.h). */
#include "client/host/identity.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "client/fsutil.h"
#include "common/core/error.h"
#include "common/core/hex.h"
#include "common/core/log.h"

#define TAG "identity"
#define PEM_MAX (64 * 1024)
/* The common name GameStream hosts expect of a client certificate. */
#define CLIENT_CN "NVIDIA GameStream Client"

typedef struct Paths {
    char cert[4200], key[4200], uid[4200];
} Paths;

static int make_paths(const char *dir, Paths *p)
{
    int a = snprintf(p->cert, sizeof(p->cert), "%s/client.pem", dir);
    int b = snprintf(p->key, sizeof(p->key), "%s/client.key", dir);
    int c = snprintf(p->uid, sizeof(p->uid), "%s/uniqueid", dir);
    if (a < 0 || b < 0 || c < 0 || (size_t)a >= sizeof(p->cert) || (size_t)b >= sizeof(p->key) ||
        (size_t)c >= sizeof(p->uid))
        return SKY_ERR(ENAMETOOLONG);
    return 0;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Writes a new identity: the key first, the unique id, then the certificate last, which is
 * what marks the identity as complete. */
static int create(const char *dir, const Paths *p)
{
    char *cert = NULL, *key = NULL;
    uint8_t raw[SKY_IDENTITY_UNIQUEID_LEN / 2];
    char uid[SKY_IDENTITY_UNIQUEID_LEN + 2];
    int ret = sky_mkdirs(dir, 0700);
    if (ret < 0) {
        SKY_LOGE(TAG, "cannot create %s: %s", dir, sky_strerror(ret));
        return ret;
    }
    SKY_LOGI(TAG, "creating this client's identity in %s", dir);
    ret = sky_identity_generate(CLIENT_CN, 20, &cert, &key);
    if (ret == 0)
        ret = sky_random_bytes(raw, sizeof(raw));
    if (ret < 0) {
        SKY_LOGE(TAG, "cannot generate a certificate: %s", sky_strerror(ret));
        goto cleanup;
    }
    sky_hex_encode(raw, sizeof(raw), uid, true);
    strcat(uid, "\n");
    ret = sky_write_file_atomic(p->key, key, strlen(key), 0600);
    if (ret == 0)
        ret = sky_write_file_atomic(p->uid, uid, strlen(uid), 0644);
    if (ret == 0)
        ret = sky_write_file_atomic(p->cert, cert, strlen(cert), 0644);
    if (ret < 0)
        SKY_LOGE(TAG, "cannot write the identity into %s: %s", dir, sky_strerror(ret));
cleanup:
    if (key) {
        sky_wipe(key, strlen(key));
        free(key);
    }
    free(cert);
    return ret;
}

static int read_uniqueid(const char *path, char out[SKY_IDENTITY_UNIQUEID_LEN + 1])
{
    char *data = NULL;
    size_t len = 0;
    int ret = sky_read_file(path, 256, &data, &len);
    if (ret < 0)
        return ret;
    while (len > 0 && isspace((unsigned char)data[len - 1]))
        len--;
    ret = SKY_ERR(EBADMSG);
    if (len == SKY_IDENTITY_UNIQUEID_LEN) {
        ret = 0;
        for (size_t i = 0; i < len; i++)
            if (!isxdigit((unsigned char)data[i]))
                ret = SKY_ERR(EBADMSG);
        memcpy(out, data, len);
        out[len] = '\0';
    }
    free(data);
    return ret;
}

int sky_identity_load(SkyIdentity **out, const char *dir)
{
    *out = NULL;
    Paths p;
    int ret = make_paths(dir, &p);
    if (ret < 0)
        return ret;
    bool have_cert = exists(p.cert), have_key = exists(p.key), have_uid = exists(p.uid);
    if (!have_cert && !have_key && !have_uid) {
        ret = create(dir, &p);
        if (ret < 0)
            return ret;
    } else if (!have_cert || !have_key || !have_uid) {
        SKY_LOGE(TAG, "the client identity in %s is incomplete (client.pem, client.key and "
                      "uniqueid must all be there); remove what is left of it to create a new one "
                      "(hosts will then need pairing again)",
                 dir);
        return SKY_ERR(ENOENT);
    }
    SkyIdentity *id = calloc(1, sizeof(*id));
    if (!id)
        return SKY_ERR(ENOMEM);
    const char *bad = NULL;
    if ((ret = sky_read_file(p.cert, PEM_MAX, &id->cert_pem, &id->cert_len)) < 0 ||
        (ret = sky_cert_from_pem(&id->cert, id->cert_pem, id->cert_len)) < 0)
        bad = "client.pem";
    else if ((ret = sky_read_file(p.key, PEM_MAX, &id->key_pem, &id->key_len)) < 0 ||
             (ret = sky_key_from_pem(&id->key, id->key_pem, id->key_len)) < 0)
        bad = "client.key";
    else if ((ret = read_uniqueid(p.uid, id->uniqueid)) < 0)
        bad = "uniqueid";
    else if (!sky_key_matches_cert(id->key, id->cert)) {
        bad = "client.key (it does not belong to client.pem)";
        ret = SKY_ERR(EBADMSG);
    }
    if (bad) {
        SKY_LOGE(TAG, "cannot use the client identity in %s: %s: %s", dir, bad, sky_strerror(ret));
        sky_identity_destroy(&id);
        return ret;
    }
    *out = id;
    return 0;
}

void sky_identity_destroy(SkyIdentity **pid)
{
    SkyIdentity *id = *pid;
    if (!id)
        return;
    if (id->key_pem) {
        sky_wipe(id->key_pem, id->key_len);
        free(id->key_pem);
    }
    free(id->cert_pem);
    sky_cert_destroy(&id->cert);
    sky_key_destroy(&id->key);
    free(id);
    *pid = NULL;
}
