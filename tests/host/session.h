/* The streaming side of the test host: the sockets it listens on, the RTSP server, and the
 * stream sessions an ANNOUNCE starts.
 *
 * sky_th_stream_create binds, once for the life of the program, the RTSP listener (TCP), the
 * video and audio sockets (UDP) and the control ENet host (UDP, IPv4), stores their real ports
 * in the host, and starts the RTSP thread (rtsp_server.h). A valid ANNOUNCE starts a session:
 *
 *   session thread   the control stream and the session's clock (control_server.h); when it
 *                    returns, it stops and frees the rest, prints `stream-end`, updates the host
 *   video thread     pattern -> encoder -> packetizer (video_sender.h)
 *   audio thread     tones -> Opus -> packetizer (audio_sender.h)
 *   2 sender threads one per UDP socket: pings in, impairment, paced sends (udp_sender.h)
 *
 * One session at a time (Sunshine v0.23's default of one channel): an ANNOUNCE while one runs
 * gets 503. A finished session's thread is joined at the next ANNOUNCE or at stop. */
#ifndef SKY_TESTHOST_SESSION_H
#define SKY_TESTHOST_SESSION_H

#include <stdint.h>

#include "tests/host/control_server.h"
#include "tests/host/host.h"

typedef struct SkyThStream SkyThStream;

/* Parses --impair and --impair-upstream, binds the sockets (ports from the options; 0 picks a
 * free one) and starts the RTSP thread. h must outlive the stream side. Returns 0 or an error
 * (logged). */
int sky_th_stream_create(SkyThStream **out, SkyThHost *h);

/* Ends the running session as `shutdown` (termination sent), stops the RTSP thread (the host
 * must already be stopping, see sky_th_host_stop), joins everything, closes the sockets.
 * Accepts NULL; NULLs the pointer. */
void sky_th_stream_destroy(SkyThStream **st);

/* A stdin command for the running session: SKY_TH_END_QUIT_APP, _TERMINATE (code), _DROP.
 * Returns 0, or SKY_ERR(ENOENT) when no session runs. */
int sky_th_stream_command(SkyThStream *st, SkyThEnd how, uint32_t code);
/* Sends a host message (rumble, LED, ...) to the running stream's client. SKY_ERR(ENOENT) if
 * no stream runs; otherwise as sky_th_control_send. */
int sky_th_stream_send(SkyThStream *st, const uint8_t *msg, size_t len);

#endif
