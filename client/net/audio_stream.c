/* The audio receiver: socket, pings, reorder/FEC/decrypt, Opus packets to the output
 * (audio_stream.h). */
/* Threads: create/destroy on the session's thread; the receive thread owns the socket and the
 * queue; figures are atomics. */
#define _POSIX_C_SOURCE 200809L
#include "client/net/audio_stream.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/net/media_socket.h"
#include "common/proto/audio_rtp.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/time.h"

#define TAG "audio-net"
#define PING_INTERVAL_US 500000

struct SkyAudioStream {
    SkyAudioStreamCfg cfg;
    uint8_t key[16];
    SkyMediaSocket sock;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;

    /* Receive thread only. */
    SkyAudioQueue *queue;
    int64_t next_ping_us;
    bool have_transit;
    double transit_us, jitter_us;   /* RFC 3550 interarrival jitter */
    int jitter_ms_set;
    SkyLogLimit limit;

    _Atomic uint64_t bytes, lost, recovered;
};

static void send_ping(SkyAudioStream *as, int64_t now)
{
    int ret = sky_media_socket_ping(&as->sock);
    if (ret < 0)
        sky_log_limited(&as->limit, now, SKY_LOG_WARN, TAG, "audio ping failed: %s",
                        sky_strerror(ret));
    as->next_ping_us = now + PING_INTERVAL_US;
}

/* RFC 3550 6.4.1: J += (|D| - J) / 16, D the change in transit time. */
static void update_jitter(SkyAudioStream *as, uint32_t ts_ms, int64_t arrival_us)
{
    double transit = (double)arrival_us - (double)ts_ms * 1000.0;
    if (as->have_transit) {
        double d = transit - as->transit_us;
        as->jitter_us += ((d < 0 ? -d : d) - as->jitter_us) / 16.0;
    }
    as->have_transit = true;
    as->transit_us = transit;
    /* The output absorbs about three times the mean deviation. */
    int want = (int)(as->jitter_us * 3.0 / 1000.0);
    if (as->cfg.audio && want != as->jitter_ms_set) {
        as->jitter_ms_set = want;
        sky_audio_set_jitter_ms(as->cfg.audio, want);
    }
}

static void drain(SkyAudioStream *as, int64_t now)
{
    SkyAudioOut o;
    while (sky_audio_queue_poll(as->queue, now, &o)) {
        if (o.lost) {
            atomic_fetch_add(&as->lost, 1);
            continue; /* the output conceals the gap in media time */
        }
        if (o.recovered)
            atomic_fetch_add(&as->recovered, 1);
        else
            update_jitter(as, o.timestamp_ms, o.arrival_us);
        if (as->cfg.recorder)
            sky_recorder_audio(as->cfg.recorder, o.opus, o.len, o.timestamp_ms);
        if (as->cfg.audio)
            sky_audio_submit(as->cfg.audio, o.opus, o.len, (int64_t)o.timestamp_ms * 1000);
    }
}

static void *receive_thread(void *arg)
{
    SkyAudioStream *as = arg;
    uint8_t buf[SKY_AUDIO_MAX_DATAGRAM + 64];
    struct pollfd fds[2] = {{as->sock.fd, POLLIN, 0}, {as->sock.wake_fd, POLLIN, 0}};
    while (!atomic_load(&as->stop)) {
        int64_t now = sky_time_us();
        int64_t wake = as->next_ping_us, d = sky_audio_queue_deadline(as->queue);
        if (d < wake)
            wake = d;
        int timeout = (int)((wake - now + 999) / 1000);
        if (timeout < 0)
            timeout = 0;
        poll(fds, 2, timeout);
        now = sky_time_us();
        if (fds[0].revents & POLLERR) /* an ICMP error (host port closed): noted, then go on */
            sky_media_socket_clear_error(&as->sock);
        for (int i = 0; i < 64 && (fds[0].revents & POLLIN); i++) {
            ssize_t n = recv(as->sock.fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (n <= 0)
                break;
            atomic_fetch_add(&as->bytes, (uint64_t)n);
            sky_audio_queue_add(as->queue, buf, (size_t)n, now);
        }
        drain(as, now);
        if (now >= as->next_ping_us)
            send_ping(as, now);
    }
    return NULL;
}

int sky_audio_stream_create(SkyAudioStream **out, const SkyAudioStreamCfg *cfg)
{
    *out = NULL;
    SkyAudioStream *as = calloc(1, sizeof(*as));
    if (!as)
        return SKY_ERR(ENOMEM);
    as->cfg = *cfg;
    as->sock = (SkyMediaSocket){.fd = -1, .wake_fd = -1};
    as->limit = (SkyLogLimit)SKY_LOG_LIMIT_INIT;
    if (cfg->key) {
        memcpy(as->key, cfg->key, 16);
        as->cfg.key = as->key;
    }
    SkyAudioQueueCfg qc = {as->cfg.key, cfg->key_id, cfg->packet_duration_ms, 0};
    int ret = sky_audio_queue_create(&as->queue, &qc);
    if (ret < 0)
        SKY_LOGE(TAG, "cannot set up the audio receiver: %s", sky_strerror(ret));
    if (ret == 0)
        ret = sky_media_socket_open(&as->sock, cfg->host, cfg->port, cfg->ping_payload, 0,
                                    "audio");
    if (ret == 0) {
        send_ping(as, sky_time_us());
        if (pthread_create(&as->thread, NULL, receive_thread, as) != 0) {
            ret = SKY_ERR(EAGAIN);
            SKY_LOGE(TAG, "cannot start the audio thread");
        } else {
            as->thread_started = true;
        }
    }
    if (ret < 0) {
        sky_audio_stream_destroy(&as);
        return ret;
    }
    *out = as;
    return 0;
}

void sky_audio_stream_destroy(SkyAudioStream **pas)
{
    SkyAudioStream *as = *pas;
    if (!as)
        return;
    atomic_store(&as->stop, true);
    if (as->thread_started) {
        sky_media_socket_wake(&as->sock);
        pthread_join(as->thread, NULL);
    }
    sky_media_socket_close(&as->sock);
    sky_audio_queue_destroy(&as->queue);
    sky_wipe(as->key, sizeof(as->key));
    free(as);
    *pas = NULL;
}

void sky_audio_stream_figures(SkyAudioStream *as, SkyNetFigures *out)
{
    out->audio_bytes = atomic_load(&as->bytes);
    out->audio_packets_lost = atomic_load(&as->lost);
    out->audio_fec_recovered = atomic_load(&as->recovered);
}
