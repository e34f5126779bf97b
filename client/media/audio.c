/* Audio output: Opus decoding and concealment on the audio thread, a lock-free ring to the SDL
 * callback (audio.h). */
/* Threads (docs/threading.md):
 *  - callers: sky_audio_create/drain/figures/destroy on the main thread, sky_audio_submit on the
 *    producer (the source's reader thread);
 *  - the audio thread owns the Opus decoder and the concealment state; it pops packets from
 *    packet_q, decodes them, writes PCM into the SPSC ring and gives the slots back to free_q;
 *  - SDL's audio thread runs the callback, which owns the playout state ("Callback only"): it
 *    reads the ring, takes no lock and never waits.
 * Everything else they share is an atomic (counters, histogram, packet_frames, draining).
 *
 * Buffering: the ring's fill at the moment the device asks for more (a "callback entry") plus
 * one device buffer is the latency of the newest sample; that sum is what the depth histogram
 * records. The fill at entry saws between a floor (just before a packet lands) and the floor plus
 * a packet. The callback keeps the floor near floor_frames(), chosen so that the average depth is
 * about opts.buffer_ms: it starts (and restarts after an underrun) once the ring holds
 * floor + one packet, and when the lowest fill seen over a window of a few packets is more than a
 * margin above the floor (the producer burst, or the device's clock is slower), it drops the
 * oldest audio down to the floor. */
#define _POSIX_C_SOURCE 200809L
#include "client/media/audio.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <opus_multistream.h>

#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/queue.h"
#include "common/core/spsc.h"
#include "common/core/stats.h"
#include "common/core/time.h"

#define TAG "audio"

#define RATE SKY_OPUS_SAMPLE_RATE
/* Packet pool: slots of a fixed size, so nothing is allocated per packet. A GameStream packet is
 * under an MTU; the size leaves room for file packets (7.1 at 60 ms and 512 kb/s is 3.8 kB). */
#define POOL_PACKETS 64
#define MAX_PACKET_BYTES 4000
/* The longest Opus packet: 120 ms. */
#define MAX_PACKET_FRAMES (RATE * 120 / 1000)
/* PLC works in multiples of 2.5 ms. */
#define PLC_QUANTUM_FRAMES (RATE / 400)
/* A gap up to this long is concealed; a longer jump resynchronises without concealment. */
#define MAX_CONCEAL_US 100000
/* The ring holds up to one second; more than that is dropped (newest first) and counted. */
#define RING_FRAMES RATE
/* Playout control, in frames: the window over which the lowest fill is taken (four packets, at
 * least 50 ms: long enough to see the fill just before a packet lands, short enough to follow a
 * drifting clock), and the least floor above one device buffer and the slack above the floor
 * before audio is dropped. */
#define WINDOW_PACKETS 4
#define MIN_WINDOW_FRAMES (RATE / 20)
#define SAFETY_FRAMES PLC_QUANTUM_FRAMES
/* Device buffer limits (frames, powers of two). */
#define MIN_DEVICE_FRAMES 128
#define MAX_DEVICE_FRAMES 2048

const SkyOpt sky_audio_opts_table[] = {
    /* The yes/no words keep old configs and --no-audio working. */
    {"audio", SKY_OPT_CHOICE, offsetof(SkyAudioOpts, layout), 0, 0, 0,
     "stereo,yes,true,1,on|5.1|7.1|off,no,false,0", "stereo", NULL,
     "the channels a stream asks the host for (play: any but off plays the file's track as "
     "it is); off or --no-audio: no sound"},
    {"audio-buffer-ms", SKY_OPT_INT, offsetof(SkyAudioOpts, buffer_ms), 0, 5, 200, NULL, "20",
     "MS", "target audio output latency (ring + device buffer); more rides out jitter; a "
     "stream adds the network jitter it measures on top"},
    SKY_OPT_END,
};

typedef struct AudioPacket {
    int64_t pts_us;
    size_t len;
    uint8_t data[MAX_PACKET_BYTES];
} AudioPacket;

struct SkyAudio {
    /* Set by create before the device opens; read-only afterwards. */
    SkyAudioOpts opts;
    SkyOpusConfig cfg;
    size_t frame_bytes;        /* one frame: channels * S16 */
    int device_frames;         /* the SDL buffer we asked for (and got) */
    int base_ring_frames;      /* buffer_ms minus the device buffer */
    _Atomic int target_ring_frames; /* base + what network jitter asks for (set_jitter_ms) */
    AudioPacket *pool;         /* POOL_PACKETS slots, owned here */
    SkyQueue *free_q;          /* free slots (items point into pool; freeing one is a no-op) */
    SkyQueue *packet_q;        /* slots holding a packet for the audio thread */
    SkySpsc *ring;             /* PCM: the audio thread writes, the callback reads */
    bool sdl_audio_init;
    SDL_AudioDeviceID dev;
    pthread_t thread;
    bool thread_started;

    /* Audio thread only (and create/destroy, before it starts / after it is joined). */
    OpusMSDecoder *dec;
    int16_t *pcm;              /* MAX_PACKET_FRAMES * channels */
    bool have_prev;            /* a packet has been decoded (or concealed) */
    int64_t expected_pts_us;   /* previous pts + previous duration */
    int prev_frames;           /* duration of the previous packet */
    int preskip_left;          /* frames still to discard at the start (OpusHead pre-skip) */
    SkyLogLimit corrupt_limit;
    SkyLogLimit jump_limit;

    /* Callback only (SDL's audio thread). */
    bool cb_priming;           /* silent until the ring holds the start level */
    size_t cb_window_min;      /* lowest fill at entry in the current window, bytes */
    int cb_window_frames;      /* frames played in the current window */

    /* Shared atomics. */
    _Atomic int packet_frames; /* duration of the latest decoded packet (audio thread writes) */
    _Atomic bool draining;     /* set by drain: play what is left without waiting to prime */
    _Atomic uint64_t accepted; /* packets queued by submit */
    _Atomic uint64_t handled;  /* packets the audio thread has finished with */
    SkyCounter packets;        /* decoded */
    SkyCounter concealed;      /* PLC decodes (one per concealed packet duration) */
    SkyCounter overflow_bytes; /* dropped: oldest by the callback, newest if the ring was full */
    SkyCounter underruns;      /* callbacks that found less than a device buffer */
    SkyCounter refused_full;   /* submit: no free slot */
    SkyCounter refused_big;    /* submit: over MAX_PACKET_BYTES */
    SkyCounter late;           /* pts behind the expected time (late or duplicate): dropped */
    SkyCounter corrupt;        /* undecodable packets (concealed) */
    SkyCounter jumps;          /* forward jumps too long to conceal */
    SkyHistogram depth_us;     /* ring + device buffer at each callback entry, microseconds */
};

static int64_t frames_to_us(int64_t frames)
{
    return frames * 1000000 / RATE;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return a > b ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return a > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* The largest power of two up to a third of the target, within the device limits: 256 frames
 * (5.3 ms) for the default 20 ms. */
static int pick_device_frames(int buffer_ms)
{
    int third = buffer_ms * (RATE / 1000) / 3;
    int frames = MIN_DEVICE_FRAMES;
    while (frames * 2 <= third && frames < MAX_DEVICE_FRAMES)
        frames *= 2;
    return frames;
}

/* ---------------------------------------------------------------------------------------------
 * SDL callback: SDL's audio thread. No locks, no waiting, no allocation. */

/* The floor (lowest fill at callback entry to aim for), in frames: the target less a device
 * buffer and half a packet (the fill's average over a packet's saw-tooth), but never below one
 * device buffer plus a little, or every callback would risk an underrun. */
static int floor_frames(const SkyAudio *a, int device_frames, int packet_frames)
{
    int f = atomic_load_explicit(&a->target_ring_frames, memory_order_relaxed) -
            packet_frames / 2;
    int least = device_frames + SAFETY_FRAMES;
    return f < least ? least : f;
}

/* Consumer-side drop of the oldest `bytes` (a whole number of frames), through `scratch`. */
static size_t skip_oldest(SkyAudio *a, uint8_t *scratch, size_t scratch_len, size_t bytes)
{
    size_t done = 0;
    while (done < bytes) {
        size_t n = bytes - done < scratch_len ? bytes - done : scratch_len;
        size_t got = sky_spsc_read(a->ring, scratch, n);
        done += got;
        if (got < n)
            break;
    }
    return done;
}

/* Once per window: if even the lowest fill stayed well above the floor, drop down to it. */
static size_t trim_window(SkyAudio *a, uint8_t *stream, size_t len, size_t floor_bytes,
                          size_t device_bytes)
{
    size_t dropped = 0;
    size_t high = floor_bytes + device_bytes + SAFETY_FRAMES * a->frame_bytes;
    if (a->cb_window_min != SIZE_MAX && a->cb_window_min > high) {
        size_t excess = a->cb_window_min - floor_bytes;
        excess -= excess % a->frame_bytes;
        dropped = skip_oldest(a, stream, len, excess);
        sky_counter_add(&a->overflow_bytes, dropped);
    }
    a->cb_window_min = SIZE_MAX;
    a->cb_window_frames = 0;
    return dropped;
}

/* While priming: the ring must hold the start level, the floor plus one packet (draining: any
 * audio at all). Audio lands a packet at a time, so the fill may overshoot by up to a packet;
 * the excess, the oldest, is dropped so playback starts at the start level. Returns true when
 * playback starts, with *fill updated. */
static bool start_playing(SkyAudio *a, uint8_t *scratch, size_t scratch_len, size_t start_bytes,
                          bool draining, size_t *fill)
{
    if (draining ? *fill == 0 : *fill < start_bytes)
        return false;
    if (!draining && *fill > start_bytes) {
        size_t dropped = skip_oldest(a, scratch, scratch_len, *fill - start_bytes);
        sky_counter_add(&a->overflow_bytes, dropped);
        *fill -= dropped;
    }
    a->cb_priming = false;
    a->cb_window_min = SIZE_MAX;
    a->cb_window_frames = 0;
    return true;
}

static void SDLCALL audio_callback(void *userdata, Uint8 *stream, int len_int)
{
    SkyAudio *a = userdata;
    size_t fb = a->frame_bytes;
    size_t len = len_int > 0 ? (size_t)len_int : 0;
    size_t whole = len - len % fb; /* SDL asks for whole frames; be sure */
    int device_frames = (int)(whole / fb);
    int packet_frames = atomic_load_explicit(&a->packet_frames, memory_order_relaxed);
    bool draining = atomic_load_explicit(&a->draining, memory_order_relaxed);
    size_t floor_bytes = (size_t)floor_frames(a, device_frames, packet_frames) * fb;
    size_t fill = sky_spsc_fill(a->ring);

    if (whole == 0 ||
        (a->cb_priming && !start_playing(a, stream, whole, floor_bytes + (size_t)packet_frames * fb,
                                         draining, &fill))) {
        memset(stream, 0, len);
        return;
    }
    if (fill < a->cb_window_min)
        a->cb_window_min = fill;
    a->cb_window_frames += device_frames;
    if (a->cb_window_frames >= MIN_WINDOW_FRAMES &&
        a->cb_window_frames >= WINDOW_PACKETS * packet_frames && !draining)
        fill -= trim_window(a, stream, whole, floor_bytes, whole);
    sky_hist_record(&a->depth_us, (uint64_t)frames_to_us((int64_t)((fill + whole) / fb)));

    size_t got = sky_spsc_read(a->ring, stream, whole);
    memset(stream + got, 0, len - got);
    if (got < whole) {
        /* Underrun: what there was, then silence; prime again. The end of the stream (drain)
         * is not an underrun. */
        a->cb_priming = true;
        if (!draining)
            sky_counter_add(&a->underruns, 1);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Audio thread. */

/* Appends decoded frames to the ring, after the start's pre-skip. Only whole frames go in; what
 * does not fit (the ring is a second deep) is dropped and counted. */
static void emit(SkyAudio *a, const int16_t *pcm, int frames)
{
    if (a->preskip_left > 0) {
        int skip = frames < a->preskip_left ? frames : a->preskip_left;
        a->preskip_left -= skip;
        pcm += (size_t)skip * (size_t)a->cfg.channels;
        frames -= skip;
    }
    if (frames <= 0)
        return;
    size_t bytes = (size_t)frames * a->frame_bytes;
    size_t space = sky_spsc_capacity(a->ring) - sky_spsc_fill(a->ring);
    space -= space % a->frame_bytes;
    if (bytes > space) {
        sky_counter_add(&a->overflow_bytes, bytes - space);
        bytes = space;
    }
    sky_spsc_write(a->ring, pcm, bytes);
}

/* Synthesises `frames` of packet-loss concealment (rounded to 2.5 ms), one previous packet's
 * duration at a time; each piece counts as a concealed frame. */
static void conceal(SkyAudio *a, int64_t frames)
{
    frames = (frames + PLC_QUANTUM_FRAMES / 2) / PLC_QUANTUM_FRAMES * PLC_QUANTUM_FRAMES;
    int step = a->prev_frames > 0 ? a->prev_frames : RATE / 50;
    while (frames > 0) {
        int n = frames < step ? (int)frames : step;
        int got = opus_multistream_decode(a->dec, NULL, 0, a->pcm, n, 0);
        if (got <= 0)
            return;
        emit(a, a->pcm, got);
        sky_counter_add(&a->concealed, 1);
        frames -= got;
    }
}

/* Looks at the packet's media time against the expected one. Returns false if the packet is to
 * be dropped (late or duplicate); conceals a gap first when there is one. */
static bool check_time(SkyAudio *a, int64_t pts_us, int64_t now_us)
{
    if (!a->have_prev || pts_us == INT64_MIN)
        return true;
    int64_t prev_us = frames_to_us(a->prev_frames);
    int64_t gap_us = sat_sub(pts_us, a->expected_pts_us);
    /* Timestamps may be rounded (Matroska: 1 ms), hence the half and three-quarter packets. */
    if (gap_us < -prev_us / 2) {
        sky_counter_add(&a->late, 1);
        return false;
    }
    if (prev_us > 0 && gap_us >= prev_us - prev_us / 4) {
        if (gap_us <= MAX_CONCEAL_US) {
            conceal(a, gap_us * RATE / 1000000);
        } else {
            sky_counter_add(&a->jumps, 1);
            sky_log_limited(&a->jump_limit, now_us, SKY_LOG_INFO, TAG,
                            "audio jumps %.1f ms ahead: resynchronising without concealment",
                            (double)gap_us / 1000.0);
        }
    }
    return true;
}

static void handle_packet(SkyAudio *a, const AudioPacket *p)
{
    int64_t now_us = sky_time_us();
    int nb = opus_packet_get_nb_samples(p->data, (opus_int32)p->len, RATE);
    if (!check_time(a, p->pts_us, now_us))
        return;
    int got = nb > 0 && nb <= MAX_PACKET_FRAMES
                  ? opus_multistream_decode(a->dec, p->data, (opus_int32)p->len, a->pcm,
                                            MAX_PACKET_FRAMES, 0)
                  : OPUS_INVALID_PACKET;
    int frames;
    if (got > 0) {
        /* Before the audio lands, so the callback's start level counts this packet. */
        atomic_store_explicit(&a->packet_frames, got, memory_order_relaxed);
        emit(a, a->pcm, got);
        sky_counter_add(&a->packets, 1);
        frames = got;
    } else {
        /* Undecodable: count it and conceal the previous packet's duration (a damaged TOC may
         * claim any duration), or the one it claims if it is the first. */
        sky_counter_add(&a->corrupt, 1);
        sky_log_limited(&a->corrupt_limit, now_us, SKY_LOG_WARN, TAG,
                        "undecodable Opus packet (%zu bytes): %s; concealed", p->len,
                        opus_strerror(got < 0 ? got : OPUS_INVALID_PACKET));
        frames = a->prev_frames > 0 ? a->prev_frames : nb;
        if (!a->have_prev || frames <= 0)
            return; /* nothing to conceal from, nor a duration to keep time by */
        conceal(a, frames);
    }
    int64_t base = p->pts_us != INT64_MIN ? p->pts_us : a->expected_pts_us;
    a->expected_pts_us = sat_add(base, frames_to_us(frames));
    a->prev_frames = frames;
    a->have_prev = true;
}

static void *audio_thread(void *arg)
{
    SkyAudio *a = arg;
    for (;;) {
        void *item;
        if (sky_queue_pop(a->packet_q, &item, NULL, -1) < 0)
            break; /* aborted: shutting down */
        handle_packet(a, item);
        int ret = sky_queue_push(a->free_q, item, 0, 0);
        SKY_ASSERT(ret == 0); /* free_q has room for every slot and is never aborted */
        atomic_fetch_add_explicit(&a->handled, 1, memory_order_release);
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * API. */

static void free_noop(void *opaque, void *item)
{
    (void)opaque;
    (void)item;
}

/* packet_q's free function: a flushed or leftover packet's slot goes back to the free list. */
static void slot_release(void *opaque, void *item)
{
    SkyAudio *a = opaque;
    if (a->free_q)
        sky_queue_push(a->free_q, item, 0, 0);
}

static int create_queues(SkyAudio *a)
{
    a->pool = calloc(POOL_PACKETS, sizeof(*a->pool));
    if (!a->pool)
        return SKY_ERR(ENOMEM);
    SkyQueueCfg fc = {.capacity = POOL_PACKETS, .free_fn = free_noop, .opaque = a};
    int ret = sky_queue_create(&a->free_q, &fc);
    if (ret < 0)
        return ret;
    for (int i = 0; i < POOL_PACKETS; i++) {
        ret = sky_queue_push(a->free_q, &a->pool[i], 0, 0);
        if (ret < 0)
            return ret;
    }
    SkyQueueCfg pc = {.capacity = POOL_PACKETS, .free_fn = slot_release, .opaque = a};
    return sky_queue_create(&a->packet_q, &pc);
}

static int create_decoder(SkyAudio *a)
{
    const SkyOpusConfig *c = &a->cfg;
    int err = OPUS_OK;
    a->dec = opus_multistream_decoder_create(RATE, c->channels, c->streams, c->coupled,
                                             c->mapping, &err);
    if (!a->dec || err != OPUS_OK) {
        SKY_LOGE(TAG, "cannot create the Opus decoder (%d channels, %d streams, %d coupled): %s",
                 c->channels, c->streams, c->coupled, opus_strerror(err));
        return err == OPUS_ALLOC_FAIL ? SKY_ERR(ENOMEM) : SKY_ERR(EINVAL);
    }
    if (c->output_gain_q8 != 0)
        opus_multistream_decoder_ctl(a->dec, OPUS_SET_GAIN(c->output_gain_q8));
    a->pcm = malloc((size_t)MAX_PACKET_FRAMES * a->frame_bytes);
    return a->pcm ? 0 : SKY_ERR(ENOMEM);
}

static int open_device(SkyAudio *a)
{
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
        SKY_LOGE(TAG, "no audio: SDL cannot start its audio subsystem: %s", SDL_GetError());
        return SKY_ERR(ENODEV);
    }
    a->sdl_audio_init = true;
    /* Exactly this format, no changes allowed: SDL converts if the hardware wants another, and
     * the disk driver writes S16 interleaved in SDL's channel order (the tests rely on it). */
    SDL_AudioSpec want, have;
    SDL_zero(want);
    want.freq = RATE;
    want.format = AUDIO_S16SYS;
    want.channels = (Uint8)a->cfg.channels;
    want.samples = (Uint16)a->device_frames;
    want.callback = audio_callback;
    want.userdata = a;
    a->dev = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
    if (a->dev == 0) {
        SKY_LOGE(TAG, "no audio device (%d channels at %d Hz, driver %s): %s", a->cfg.channels,
                 RATE, SDL_GetCurrentAudioDriver() ? SDL_GetCurrentAudioDriver() : "none",
                 SDL_GetError());
        return SKY_ERR(ENODEV);
    }
    if (have.samples != want.samples)
        a->device_frames = have.samples; /* the callback goes by its `len` in any case */
    SKY_LOGI(TAG, "%d Hz, %d channel%s, s16, device buffer %d frames (%.1f ms), target %d ms, "
                  "driver %s",
             RATE, a->cfg.channels, a->cfg.channels == 1 ? "" : "s", a->device_frames,
             (double)frames_to_us(a->device_frames) / 1000.0, a->opts.buffer_ms,
             SDL_GetCurrentAudioDriver() ? SDL_GetCurrentAudioDriver() : "?");
    return 0;
}

int sky_audio_create(SkyAudio **out, const SkyAudioOpts *opts, const SkyOpusConfig *cfg)
{
    *out = NULL;
    if (!opts || !cfg || opts->buffer_ms < 5 || opts->buffer_ms > 200 || opts->layout < 0 ||
        opts->layout >= SKY_AUDIO_OFF || sky_opus_config_validate(cfg) < 0) {
        SKY_LOGE(TAG, "invalid audio settings or Opus layout");
        return SKY_ERR(EINVAL);
    }
    SkyAudio *a = calloc(1, sizeof(*a));
    if (!a)
        return SKY_ERR(ENOMEM);
    a->opts = *opts;
    a->cfg = *cfg;
    a->frame_bytes = (size_t)cfg->channels * sizeof(int16_t);
    a->device_frames = pick_device_frames(opts->buffer_ms);
    a->base_ring_frames = opts->buffer_ms * (RATE / 1000) - a->device_frames;
    atomic_init(&a->target_ring_frames, a->base_ring_frames);
    a->preskip_left = cfg->pre_skip;
    a->corrupt_limit = (SkyLogLimit)SKY_LOG_LIMIT_INIT;
    a->jump_limit = (SkyLogLimit)SKY_LOG_LIMIT_INIT;
    a->cb_priming = true;
    a->cb_window_min = SIZE_MAX;
    atomic_init(&a->packet_frames, 0);
    atomic_init(&a->draining, false);
    atomic_init(&a->accepted, 0);
    atomic_init(&a->handled, 0);
    sky_hist_init(&a->depth_us);

    int ret = create_decoder(a);
    if (ret < 0)
        goto fail;
    ret = create_queues(a);
    if (ret < 0)
        goto fail;
    ret = sky_spsc_create(&a->ring, (size_t)RING_FRAMES * a->frame_bytes);
    if (ret < 0)
        goto fail;
    /* The device starts paused: the callback sees everything above, and the thread below. */
    ret = open_device(a);
    if (ret < 0)
        goto fail;
    if (pthread_create(&a->thread, NULL, audio_thread, a) != 0) {
        ret = SKY_ERR(EAGAIN);
        goto fail;
    }
    a->thread_started = true;
    pthread_setname_np(a->thread, "sky-audio");
    SDL_PauseAudioDevice(a->dev, 0);
    *out = a;
    return 0;
fail:
    sky_audio_destroy(&a);
    return ret;
}

void sky_audio_destroy(SkyAudio **pa)
{
    SkyAudio *a = *pa;
    if (!a)
        return;
    if (a->packet_q)
        sky_queue_abort(a->packet_q);
    if (a->thread_started)
        pthread_join(a->thread, NULL);
    if (a->dev)
        SDL_CloseAudioDevice(a->dev); /* returns once the callback has stopped */
    uint64_t full = sky_counter_get(&a->refused_full), big = sky_counter_get(&a->refused_big);
    uint64_t late = sky_counter_get(&a->late), bad = sky_counter_get(&a->corrupt);
    uint64_t jumps = sky_counter_get(&a->jumps);
    if (full || big || late || bad || jumps)
        SKY_LOGI(TAG, "packets refused: %llu (queue full), %llu (too big); dropped: %llu (late or "
                      "duplicate); %llu undecodable; %llu jumps not concealed",
                 (unsigned long long)full, (unsigned long long)big, (unsigned long long)late,
                 (unsigned long long)bad, (unsigned long long)jumps);
    sky_queue_destroy(&a->packet_q); /* gives leftover slots back to free_q */
    sky_queue_destroy(&a->free_q);
    if (a->dec)
        opus_multistream_decoder_destroy(a->dec);
    sky_spsc_destroy(&a->ring);
    free(a->pcm);
    free(a->pool);
    if (a->sdl_audio_init)
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
    free(a);
    *pa = NULL;
}

int sky_audio_submit(SkyAudio *a, const uint8_t *data, size_t len, int64_t pts_us)
{
    if (!data || len == 0)
        return SKY_ERR(EINVAL);
    if (len > MAX_PACKET_BYTES) {
        sky_counter_add(&a->refused_big, 1);
        return SKY_ERR(E2BIG);
    }
    void *item;
    if (sky_queue_pop(a->free_q, &item, NULL, 0) < 0) {
        sky_counter_add(&a->refused_full, 1);
        return SKY_ERR(EAGAIN);
    }
    AudioPacket *p = item;
    memcpy(p->data, data, len);
    p->len = len;
    p->pts_us = pts_us;
    int ret = sky_queue_push(a->packet_q, p, 0, 0);
    if (ret < 0) {
        sky_queue_push(a->free_q, p, 0, 0); /* still ours: back to the free list */
        return ret == SKY_ERR(EAGAIN) ? SKY_ERR(EAGAIN) : SKY_ERR(ESHUTDOWN);
    }
    atomic_fetch_add_explicit(&a->accepted, 1, memory_order_release);
    return 0;
}

void sky_audio_drain(SkyAudio *a, int64_t timeout_us)
{
    int64_t deadline = sat_add(sky_time_us(), timeout_us > 0 ? timeout_us : 0);
    atomic_store(&a->draining, true);
    while (atomic_load_explicit(&a->handled, memory_order_acquire) <
               atomic_load_explicit(&a->accepted, memory_order_acquire) &&
           sky_time_us() < deadline)
        sky_sleep_us(1000);
    while (sky_spsc_fill(a->ring) > 0 && sky_time_us() < deadline)
        sky_sleep_us(1000);
    /* The last device buffer is still playing. */
    int64_t tail_us = sat_add(sky_time_us(), frames_to_us(a->device_frames));
    sky_sleep_until_us(tail_us < deadline ? tail_us : deadline);
}

void sky_audio_set_jitter_ms(SkyAudio *a, int jitter_ms)
{
    if (jitter_ms < 0)
        jitter_ms = 0;
    if (jitter_ms > 200)
        jitter_ms = 200;
    atomic_store(&a->target_ring_frames, a->base_ring_frames + jitter_ms * (RATE / 1000));
}

void sky_audio_figures(SkyAudio *a, SkyAudioFigures *out)
{
    memset(out, 0, sizeof(*out));
    if (!a)
        return;
    out->active = true;
    out->packets = sky_counter_get(&a->packets);
    out->concealed_frames = sky_counter_get(&a->concealed);
    out->overflow_bytes = sky_counter_get(&a->overflow_bytes);
    out->underruns = sky_counter_get(&a->underruns);
    size_t frames = sky_spsc_fill(a->ring) / a->frame_bytes + (size_t)a->device_frames;
    out->buffer_ms_now = (double)frames_to_us((int64_t)frames) / 1000.0;
    out->buffer_ms_p50 = (double)sky_hist_percentile(&a->depth_us, 50) / 1000.0;
    out->buffer_ms_p99 = (double)sky_hist_percentile(&a->depth_us, 99) / 1000.0;
}
