/* Fuzzes the audio RTP queue. The first byte picks the mode and the queue's settings:
 *   bit 0: encryption; bit 1: 10 ms packets (else 5); bits 2..6: reorder wait in ms (0: the
 *   default); bit 7: structured mode.
 * Raw mode: [key 16][key id BE32] when encrypted, then records [i8 time step ms][u16le len]
 *   [len bytes], each offered as a datagram at a time that may also go backwards.
 * Structured mode: the packetizer (FEC on, the queue's key) makes the datagrams from records
 *   [len byte][action byte]: an Opus packet of 1 + 5 * len bytes (bytes derived from its
 *   sequence number), then each datagram it yields is delivered, dropped, duplicated or
 *   delayed (2 action bits each: data, parity 0, parity 1); bits 6..7 step the time.
 * Checks: packets come out in sequence order, one after another except across a resync; no
 * more come out present than datagrams went in; present ones are 1..SKY_AUDIO_MAX_OPUS bytes
 * and, in structured mode, exactly what was packetized for their sequence number; after a
 * drain nothing is ready or overdue; the counters add up. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/proto/audio_rtp.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "tests/host/proto/audio_packetizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t KEY[16] = {0xb1, 0x5e, 0x61, 0xc6, 0x4f, 0x69, 0x58, 0xd3,
                                0x8a, 0x25, 0x3a, 0xd5, 0x2e, 0x27, 0x02, 0x37};
#define KEY_ID 509169654u
#define MAX_PACKETS 4096
#define DELAY_SLOTS 8

typedef struct Check {
    SkyAudioQueue *q;
    uint64_t adds, malformed;
    uint64_t present, lost;
    bool have_prev;
    uint16_t prev;
    uint64_t resyncs;
    const uint16_t *orig_len; /* structured mode: packetized lengths by sequence number */
} Check;

static uint8_t opus_byte(uint16_t seq, size_t i)
{
    return (uint8_t)(seq * 131u + i * 7u + 3u);
}

static void drain(Check *c, int64_t now)
{
    SkyAudioOut o;
    SkyAudioQueueStats st;
    for (int guard = 0; sky_audio_queue_poll(c->q, now, &o); guard++) {
        /* One drain hands out at most the ring's worth of sequence numbers. */
        SKY_ASSERT(guard < 4 * SKY_AUDIO_MAX_JUMP);
        sky_audio_queue_stats(c->q, &st);
        if (c->have_prev && st.resyncs == c->resyncs)
            SKY_ASSERT(o.seq == (uint16_t)(c->prev + 1));
        c->have_prev = true;
        c->prev = o.seq;
        c->resyncs = st.resyncs;
        if (o.lost) {
            SKY_ASSERT(!o.opus && o.len == 0 && !o.recovered);
            c->lost++;
            continue;
        }
        SKY_ASSERT(o.opus && o.len >= 1 && o.len <= SKY_AUDIO_MAX_OPUS);
        c->present++;
        if (c->orig_len) {
            SKY_ASSERT(o.len == c->orig_len[o.seq]);
            for (size_t i = 0; i < o.len; i++)
                SKY_ASSERT(o.opus[i] == opus_byte(o.seq, i));
        }
    }
    SKY_ASSERT(sky_audio_queue_deadline(c->q) > now);
    SKY_ASSERT(c->present <= c->adds);
    sky_audio_queue_stats(c->q, &st);
    SKY_ASSERT(st.datagrams == c->adds && st.malformed == c->malformed);
    SKY_ASSERT(st.data + st.fec + st.malformed == st.datagrams);
    SKY_ASSERT(st.lost == c->lost);
}

static void offer(Check *c, const uint8_t *pkt, size_t len, int64_t now)
{
    drain(c, now);
    int r = sky_audio_queue_add(c->q, pkt, len, now);
    SKY_ASSERT(r == 0 || r == SKY_ERR(EBADMSG));
    c->adds++;
    c->malformed += r < 0;
    drain(c, now);
}

static void raw(Check *c, const uint8_t *in, size_t n)
{
    int64_t t = 0;
    while (n >= 3) {
        t += (int8_t)in[0] * 1000;
        size_t len = (size_t)in[1] | (size_t)in[2] << 8;
        in += 3;
        n -= 3;
        if (len > n)
            len = n;
        offer(c, in, len, t);
        in += len;
        n -= len;
    }
    drain(c, t + 10000000);
}

typedef struct Delayed {
    uint8_t b[SKY_AUDIO_MAX_DATAGRAM];
    size_t len;
    int left; /* datagrams to let pass first */
} Delayed;

static void structured(Check *c, const uint8_t *key, int duration_ms, const uint8_t *in,
                       size_t n)
{
    static uint16_t orig_len[65536];
    static Delayed delayed[DELAY_SLOTS];
    static uint8_t opus[SKY_AUDIO_MAX_OPUS];
    memset(delayed, 0, sizeof(delayed));
    c->orig_len = orig_len;
    SkyAudioPacketizerCfg pc = {key, KEY_ID, duration_ms, true};
    SkyAudioPacketizer *p = NULL;
    SKY_ASSERT(sky_audio_packetizer_create(&p, &pc) == 0);
    int64_t t = 0;
    static const int64_t steps[4] = {0, 1000, 5000, 20000};
    for (uint16_t seq = 0; n >= 2 && seq < MAX_PACKETS; seq++, in += 2, n -= 2) {
        size_t len = 1 + (size_t)in[0] * 5;
        uint8_t action = in[1];
        orig_len[seq] = (uint16_t)len;
        for (size_t i = 0; i < len; i++)
            opus[i] = opus_byte(seq, i);
        const uint8_t *const *dg;
        const size_t *lens;
        size_t count;
        SKY_ASSERT(sky_audio_packetize(p, opus, len, &dg, &lens, &count) == 0);
        t += steps[action >> 6];
        for (size_t j = 0; j < count; j++) {
            int act = action >> (2 * j) & 3;
            if (act == 1)
                continue; /* dropped */
            if (act == 3) { /* delayed: 1..8 datagrams later, if a slot is free */
                for (int s = 0; s < DELAY_SLOTS; s++) {
                    if (delayed[s].len)
                        continue;
                    memcpy(delayed[s].b, dg[j], lens[j]);
                    delayed[s].len = lens[j];
                    delayed[s].left = 1 + (seq + (int)j) % DELAY_SLOTS;
                    break;
                }
                continue;
            }
            offer(c, dg[j], lens[j], t);
            if (act == 2)
                offer(c, dg[j], lens[j], t);
            for (int s = 0; s < DELAY_SLOTS; s++) {
                if (delayed[s].len && --delayed[s].left <= 0) {
                    offer(c, delayed[s].b, delayed[s].len, t);
                    delayed[s].len = 0;
                }
            }
        }
    }
    for (int s = 0; s < DELAY_SLOTS; s++)
        if (delayed[s].len)
            offer(c, delayed[s].b, delayed[s].len, t);
    drain(c, t + 10000000);
    /* Nothing malformed was made. */
    SKY_ASSERT(c->malformed == 0);
    sky_audio_packetizer_destroy(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    sky_log_set_level(SKY_LOG_WARN); /* resyncs are logged at info: not news here */
    uint8_t flags = data[0];
    data++;
    size--;
    bool structured_mode = flags & 0x80;
    uint8_t key[16];
    uint32_t key_id = KEY_ID;
    bool enc = flags & 1;
    memcpy(key, KEY, sizeof(key));
    if (enc && !structured_mode) {
        if (size < 20)
            return 0;
        memcpy(key, data, 16);
        key_id = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 | (uint32_t)data[18] << 8 |
                 data[19];
        data += 20;
        size -= 20;
    }
    int duration_ms = flags & 2 ? 10 : 5;
    SkyAudioQueueCfg cfg = {enc ? key : NULL, key_id, duration_ms,
                            (int64_t)((flags >> 2) & 0x1f) * 1000};
    Check c = {0};
    SKY_ASSERT(sky_audio_queue_create(&c.q, &cfg) == 0);
    if (structured_mode)
        structured(&c, enc ? key : NULL, duration_ms, data, size);
    else
        raw(&c, data, size);
    sky_audio_queue_destroy(&c.q);
    SKY_ASSERT(!c.q);
    return 0;
}
