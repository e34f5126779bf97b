/* Fuzzes the video receive path: datagram headers (RTP, shard header, FEC block layout) and
 * reassembly with FEC over arbitrary datagrams, times and orders. The input is a sequence of
 * records: u8 length/8, u8 time step (ms), then that many bytes, laid over a valid datagram
 * template so most inputs reach deep into the assembler. Invariants: access units never exceed
 * what the datagrams could carry; frames handed out, dropped and lost account for consecutive
 * frame indexes (each exactly once, in order, across wraparound and far jumps; a restart begins
 * a new numbering); nothing crashes or hangs. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/core/error.h"
#include "common/proto/frame_assembler.h"
#include "common/proto/video_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PACKET_SIZE 256
#define DLEN (PACKET_SIZE + 16)

static SkyAssembler *g_asm;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SkyAssemblerCfg cfg = {.packet_size = PACKET_SIZE, .reorder_wait_us = 2000, .rfi = size & 1};
    sky_assembler_destroy(&g_asm);
    SKY_ASSERT(sky_assembler_create(&g_asm, &cfg) == 0);
    uint8_t pkt[DLEN];
    int64_t now = 0;
    uint32_t expect = 0; /* the next frame index to be accounted for */
    bool any = false;
    size_t pos = 0;
    while (pos + 2 <= size) {
        size_t n = (size_t)data[pos] * 8 % (DLEN + 1);
        now += data[pos + 1];
        pos += 2;
        /* A plausible header: version bits, a small frame index, a small block. */
        memset(pkt, 0, sizeof(pkt));
        pkt[0] = 0x90;
        size_t take = n < size - pos ? n : size - pos;
        memcpy(pkt, data + pos, take);
        pos += take;
        size_t len = (n % 7 == 0) ? take : DLEN; /* sometimes a wrong length */
        sky_assembler_add(g_asm, pkt, len, now * 1000);
        SkyAsmEvent ev;
        int guard = 0;
        while (sky_assembler_poll(g_asm, now * 1000, &ev)) {
            SKY_ASSERT(++guard < 100000);
            if (ev.type == SKY_ASM_FRAME || ev.type == SKY_ASM_DROPPED) {
                SKY_ASSERT(ev.frame.len <= (size_t)SKY_VIDEO_MAX_BLOCKS * SKY_FEC_MAX_SHARDS *
                                               (PACKET_SIZE - 16));
                SKY_ASSERT(!any || ev.frame.frame_index == expect);
                expect = ev.frame.frame_index + 1;
                any = true;
                (void)sky_assembler_frame_data(g_asm);
            }
            if (ev.type == SKY_ASM_RESTART)
                any = false; /* the stream starts over: a new numbering */
            if (ev.type == SKY_ASM_LOST) {
                SKY_ASSERT((int32_t)(ev.last - ev.first) >= 0);
                SKY_ASSERT(!any || ev.first == expect);
                expect = ev.last + 1;
                any = true;
            }
        }
    }
    (void)sky_assembler_deadline(g_asm);
    return 0;
}
