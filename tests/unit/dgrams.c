/* Reader for the captured-datagram fixtures (see dgrams.h). */
#include "dgrams.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "common/core/hex.h"
#include "common/core/opts.h"

#define MAX_FILE (64u << 20)

int tdgram_init(TDgramReader *r, const uint8_t *buf, size_t len)
{
    r->rd = sky_rd_init(buf, len);
    const uint8_t *magic;
    if (!sky_rd_view(&r->rd, &magic, TDGRAM_MAGIC_LEN) ||
        memcmp(magic, TDGRAM_MAGIC, TDGRAM_MAGIC_LEN) != 0) {
        r->rd.error = true;
        return SKY_ERR(EBADMSG);
    }
    return 0;
}

int tdgram_next(TDgramReader *r, TDgram *out)
{
    if (r->rd.error)
        return SKY_ERR(EBADMSG);
    if (sky_rd_left(&r->rd) == 0)
        return 0;
    uint8_t stream, reserved8;
    uint16_t len;
    uint32_t reserved32;
    uint64_t time_us;
    const uint8_t *data;
    bool ok = sky_rd_u8(&r->rd, &stream) && sky_rd_u8(&r->rd, &reserved8) &&
              sky_rd_u16le(&r->rd, &len) && sky_rd_u32le(&r->rd, &reserved32) &&
              sky_rd_u64le(&r->rd, &time_us) && sky_rd_view(&r->rd, &data, len);
    if (!ok || reserved8 != 0 || reserved32 != 0 ||
        (stream != TDGRAM_VIDEO && stream != TDGRAM_AUDIO)) {
        r->rd.error = true;
        return SKY_ERR(EBADMSG);
    }
    out->stream = stream;
    out->time_us = time_us;
    out->data = data;
    out->len = len;
    return 1;
}

int tdgram_read_file(const char *path, uint8_t **buf, size_t *len)
{
    int ret = 0;
    uint8_t *data = NULL;
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return SKY_ERR(ENOENT);
    if (fseek(f, 0, SEEK_END) != 0) {
        ret = SKY_ERR(EIO);
        goto fail;
    }
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        ret = SKY_ERR(EIO);
        goto fail;
    }
    if ((unsigned long)size > MAX_FILE) {
        ret = SKY_ERR(EFBIG);
        goto fail;
    }
    data = malloc(size ? (size_t)size : 1);
    if (!data) {
        ret = SKY_ERR(ENOMEM);
        goto fail;
    }
    if (fread(data, 1, (size_t)size, f) != (size_t)size) {
        ret = SKY_ERR(EIO);
        goto fail;
    }
    fclose(f);
    *buf = data;
    *len = (size_t)size;
    return 0;
fail:
    free(data);
    fclose(f);
    return ret;
}

enum { K_CAPTURE, K_CODEC, K_RIKEY, K_RIKEYID, K_PACKET_SIZE, K_ENCRYPTED, K_FRAMES,
       K_FIRST, K_LAST, K_VDGRAMS, K_ES_BYTES, K_ES_SHA, K_ADGRAMS, K_ADATA, K_AFEC,
       K_OPUS_SHA, K_COUNT };

static const char *const key_names[K_COUNT] = {
    "capture", "codec", "rikey", "rikeyid", "packet_size", "video_encrypted", "frames",
    "first_frame", "last_frame", "video_datagrams", "video_es_bytes", "video_es_sha256",
    "audio_datagrams", "audio_data_packets", "audio_fec_packets", "opus_sha256",
};

typedef struct KeysCtx {
    TDgramKeys *k;
    bool seen[K_COUNT];
} KeysCtx;

static int parse_u64(const char *v, uint64_t max, uint64_t *out)
{
    if (*v < '0' || *v > '9')
        return SKY_ERR(EBADMSG);
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || x > max)
        return SKY_ERR(EBADMSG);
    *out = x;
    return 0;
}

static int parse_hex(const char *v, uint8_t *out, size_t n)
{
    size_t got;
    if (sky_hex_decode(v, strlen(v), out, n, &got) < 0 || got != n)
        return SKY_ERR(EBADMSG);
    return 0;
}

static int on_key(void *opaque, const char *key, const char *value, int line)
{
    KeysCtx *c = opaque;
    TDgramKeys *k = c->k;
    (void)line;
    int id = -1;
    for (int i = 0; i < K_COUNT; i++)
        if (strcmp(key, key_names[i]) == 0)
            id = i;
    if (id < 0)
        return 0;
    uint64_t u = 0;
    int r = 0;
    switch (id) {
    case K_CAPTURE:
    case K_CODEC: {
        char *dst = id == K_CAPTURE ? k->capture : k->codec;
        size_t cap = id == K_CAPTURE ? sizeof(k->capture) : sizeof(k->codec);
        if (strlen(value) >= cap)
            return SKY_ERR(EBADMSG);
        memcpy(dst, value, strlen(value) + 1);
        break;
    }
    case K_RIKEY: r = parse_hex(value, k->rikey, sizeof(k->rikey)); break;
    case K_ES_SHA: r = parse_hex(value, k->video_es_sha256, 32); break;
    case K_OPUS_SHA: r = parse_hex(value, k->opus_sha256, 32); break;
    case K_RIKEYID: r = parse_u64(value, UINT32_MAX, &u); k->rikeyid = (uint32_t)u; break;
    case K_ES_BYTES: r = parse_u64(value, UINT64_MAX, &k->video_es_bytes); break;
    case K_ENCRYPTED: r = parse_u64(value, 1, &u); k->video_encrypted = u != 0; break;
    default: {
        r = parse_u64(value, 1u << 30, &u);
        int *dst[K_COUNT] = {
            [K_PACKET_SIZE] = &k->packet_size, [K_FRAMES] = &k->frames,
            [K_FIRST] = &k->first_frame, [K_LAST] = &k->last_frame,
            [K_VDGRAMS] = &k->video_datagrams, [K_ADGRAMS] = &k->audio_datagrams,
            [K_ADATA] = &k->audio_data_packets, [K_AFEC] = &k->audio_fec_packets,
        };
        *dst[id] = (int)u;
        break;
    }
    }
    if (r < 0)
        return r;
    c->seen[id] = true;
    return 0;
}

int tdgram_keys_load(const char *path, TDgramKeys *out)
{
    uint8_t *buf;
    size_t len;
    int r = tdgram_read_file(path, &buf, &len);
    if (r < 0)
        return r;
    memset(out, 0, sizeof(*out));
    KeysCtx c = {.k = out};
    char err[128];
    r = sky_config_parse((const char *)buf, len, on_key, &c, err, sizeof(err));
    free(buf);
    if (r < 0)
        return SKY_ERR(EBADMSG);
    for (int i = 0; i < K_COUNT; i++)
        if (!c.seen[i])
            return SKY_ERR(EBADMSG);
    return 0;
}

int tdgram_load_capture(const char *test_data_dir, const char *capture, uint8_t **buf,
                        size_t *len, TDgramKeys *keys)
{
    char path[1024];
    *buf = NULL;
    *len = 0;
    int n = snprintf(path, sizeof(path), "%s/captures/%s.keys", test_data_dir, capture);
    if (n < 0 || (size_t)n >= sizeof(path))
        return SKY_ERR(ENAMETOOLONG);
    int r = tdgram_keys_load(path, keys);
    if (r < 0)
        return r;
    snprintf(path, sizeof(path), "%s/captures/%s.dgrams", test_data_dir, capture);
    return tdgram_read_file(path, buf, len);
}
