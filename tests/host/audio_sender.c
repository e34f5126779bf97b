/* The test host's audio thread: tones, Opus, the packetizer, into the audio sender
 * (audio_sender.h). */
#include "tests/host/audio_sender.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <opus_multistream.h>

#include "common/proto/audio_rtp.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/time.h"
#include "tests/host/proto/audio_packetizer.h"

#define TAG "th-audio"
#define RATE 48000
#define MAX_FRAME (RATE / 1000 * 60) /* 60 ms */
#define AMPLITUDE 0.25

struct SkyThAudio {
    SkyThAudioCfg cfg;
    pthread_t thread;
    bool started;

    /* Audio thread only (after start). */
    OpusMSEncoder *enc;
    SkyAudioPacketizer *pkt;
    double phase[8];
    double step[8];              /* radians per sample */
    int16_t pcm[MAX_FRAME * 8];
    uint8_t opus[SKY_AUDIO_MAX_OPUS];

    pthread_mutex_t lock;
    pthread_cond_t cond;         /* CLOCK_MONOTONIC; stop */
    bool stopping;               /* lock */

    atomic_uint_least64_t packets;
    atomic_int error;
};

int sky_th_audio_layout(int channels, bool high_quality, int *streams, int *coupled,
                        uint8_t mapping[8], int *bitrate_bps)
{
    switch (channels) {
    case 2:
        *streams = 1;
        *coupled = 1;
        *bitrate_bps = high_quality ? 512000 : 96000;
        break;
    case 6:
        *streams = high_quality ? 6 : 4;
        *coupled = high_quality ? 0 : 2;
        *bitrate_bps = high_quality ? 1536000 : 256000;
        break;
    case 8:
        *streams = high_quality ? 8 : 5;
        *coupled = high_quality ? 0 : 3;
        *bitrate_bps = high_quality ? 2048000 : 450000;
        break;
    default:
        return SKY_ERR(EINVAL);
    }
    for (int i = 0; i < 8; i++)
        mapping[i] = (uint8_t)i;
    return 0;
}

int sky_th_audio_error(SkyThAudio *a)
{
    return atomic_load(&a->error);
}

void sky_th_audio_stats(SkyThAudio *a, SkyThAudioStats *out)
{
    out->packets = atomic_load(&a->packets);
}

static bool wait_until(SkyThAudio *a, int64_t deadline_us)
{
    struct timespec ts = {.tv_sec = deadline_us / 1000000,
                          .tv_nsec = (long)(deadline_us % 1000000) * 1000};
    pthread_mutex_lock(&a->lock);
    while (!a->stopping && sky_time_us() < deadline_us)
        if (pthread_cond_timedwait(&a->cond, &a->lock, &ts) == ETIMEDOUT)
            break;
    bool stop = a->stopping;
    pthread_mutex_unlock(&a->lock);
    return stop;
}

/* One packet duration of tones into pcm (interleaved). */
static void make_tones(SkyThAudio *a, int frames)
{
    int ch = a->cfg.channels;
    for (int c = 0; c < ch; c++) {
        double ph = a->phase[c];
        for (int i = 0; i < frames; i++) {
            a->pcm[i * ch + c] = (int16_t)lrint(sin(ph) * AMPLITUDE * 32767.0);
            ph += a->step[c];
        }
        a->phase[c] = fmod(ph, 2.0 * M_PI);
    }
}

static void *audio_main(void *arg)
{
    SkyThAudio *a = arg;
    if (sky_th_udp_wait_client(a->cfg.udp) < 0)
        return NULL;
    const int64_t dur_us = (int64_t)a->cfg.packet_duration_ms * 1000;
    const int frames = RATE / 1000 * a->cfg.packet_duration_ms;
    int64_t start = sky_time_us();
    int ret = 0;
    for (uint64_t n = 0;; n++) {
        int64_t due = start + (int64_t)n * dur_us;
        if (wait_until(a, due))
            break;
        int64_t now = sky_time_us();
        if (now > due + 20 * dur_us) {
            /* Far behind (a stalled machine): start the clock again rather than bursting. */
            start = now - (int64_t)n * dur_us;
        }
        make_tones(a, frames);
        int len = opus_multistream_encode(a->enc, a->pcm, frames, a->opus, sizeof(a->opus));
        if (len < 0) {
            SKY_LOGE(TAG, "opus: %s", opus_strerror(len));
            ret = SKY_ERR(EIO);
            break;
        }
        const uint8_t *const *data;
        const size_t *lens;
        size_t count;
        if ((ret = sky_audio_packetize(a->pkt, a->opus, (size_t)len, &data, &lens, &count)) < 0) {
            SKY_LOGE(TAG, "packetize: %s", sky_strerror(ret));
            break;
        }
        for (size_t i = 0; i < count; i++)
            sky_th_udp_send(a->cfg.udp, data[i], lens[i], now);
        atomic_fetch_add(&a->packets, 1);
    }
    if (ret < 0)
        atomic_store(&a->error, ret);
    return NULL;
}

void sky_th_audio_destroy(SkyThAudio **pa)
{
    SkyThAudio *a = *pa;
    if (!a)
        return;
    if (a->started) {
        pthread_mutex_lock(&a->lock);
        a->stopping = true;
        pthread_cond_broadcast(&a->cond);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->thread, NULL);
    }
    if (a->enc)
        opus_multistream_encoder_destroy(a->enc);
    sky_audio_packetizer_destroy(&a->pkt);
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->lock);
    free(a);
    *pa = NULL;
}

int sky_th_audio_create(SkyThAudio **out, const SkyThAudioCfg *cfg)
{
    *out = NULL;
    int streams, coupled, bitrate;
    uint8_t mapping[8];
    int d = cfg->packet_duration_ms;
    if (sky_th_audio_layout(cfg->channels, cfg->high_quality, &streams, &coupled, mapping,
                            &bitrate) < 0 ||
        (d != 5 && d != 10 && d != 20 && d != 40 && d != 60))
        return SKY_ERR(EINVAL);
    SkyThAudio *a = calloc(1, sizeof(*a));
    if (!a)
        return SKY_ERR(ENOMEM);
    a->cfg = *cfg;
    a->cfg.key = NULL; /* copied into the packetizer below */
    pthread_mutex_init(&a->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->cond, &ca);
    pthread_condattr_destroy(&ca);
    for (int c = 0; c < cfg->channels; c++) {
        double hz = cfg->channels == 2 ? 440.0 : 300.0 + 100.0 * c;
        a->step[c] = 2.0 * M_PI * hz / RATE;
    }
    int err = 0, ret = SKY_ERR(EIO);
    a->enc = opus_multistream_encoder_create(RATE, cfg->channels, streams, coupled, mapping,
                                             OPUS_APPLICATION_RESTRICTED_LOWDELAY, &err);
    if (!a->enc || err != OPUS_OK) {
        SKY_LOGE(TAG, "opus encoder (%d channels, %d/%d): %s", cfg->channels, streams, coupled,
                 opus_strerror(err));
        goto fail;
    }
    if (opus_multistream_encoder_ctl(a->enc, OPUS_SET_BITRATE(bitrate)) != OPUS_OK ||
        opus_multistream_encoder_ctl(a->enc, OPUS_SET_VBR(0)) != OPUS_OK) {
        SKY_LOGE(TAG, "opus encoder: cannot set CBR at %d bps", bitrate);
        goto fail;
    }
    SkyAudioPacketizerCfg pc = {
        .key = cfg->key,
        .key_id = cfg->key_id,
        .packet_duration_ms = d,
        .fec = true,
    };
    if ((ret = sky_audio_packetizer_create(&a->pkt, &pc)) < 0) {
        SKY_LOGE(TAG, "audio packetizer: %s", sky_strerror(ret));
        goto fail;
    }
    SKY_LOGV(TAG, "%d channels, %d streams (%d coupled), %d bps, %d ms%s", cfg->channels,
             streams, coupled, bitrate, d, cfg->key ? ", encrypted" : "");
    *out = a;
    return 0;
fail:
    sky_th_audio_destroy(&a);
    return ret;
}

int sky_th_audio_start(SkyThAudio *a)
{
    int ret = pthread_create(&a->thread, NULL, audio_main, a);
    if (ret != 0) {
        SKY_LOGE(TAG, "cannot start the audio thread: %s", sky_strerror(SKY_ERR(ret)));
        return SKY_ERR(ret);
    }
    a->started = true;
    return 0;
}
