/* The UDP socket of a media stream (video or audio): connected to the host's port, so only
 * that port reaches it, and pinged so the host knows where to send. A ping is Sunshine's
 * X-SS-Ping-Payload (16 characters from the RTSP SETUP reply) followed by a BE32 counter from
 * 1, or the legacy 4 bytes "PING" when the host gave no payload. Next to it, an eventfd that
 * the receive thread polls too, so that stopping it wakes it at once.
 *
 * Owned by one thread at a time (the stream's receive thread once it runs); the wake-up may be
 * written from any thread. */
#ifndef SKY_CLIENT_MEDIA_SOCKET_H
#define SKY_CLIENT_MEDIA_SOCKET_H

#include <stddef.h>
#include <stdint.h>

typedef struct SkyMediaSocket {
    int fd;                 /* non-blocking; -1 when closed */
    int wake_fd;            /* eventfd: sky_media_socket_wake; -1 when closed */
    char payload[17];       /* "" for the legacy ping */
    uint32_t count;         /* pings sent */
} SkyMediaSocket;

/* Opens the socket to host (a numeric address) and port, with a receive buffer of rcvbuf bytes
 * when rcvbuf > 0 (beyond net.core.rmem_max where the process may; a warning says when the
 * kernel gave less than half). `what` names the stream in messages. Returns 0 or a negative
 * errno (logged); *m can be closed either way. */
int sky_media_socket_open(SkyMediaSocket *m, const char *host, uint16_t port,
                          const char *ping_payload, int rcvbuf, const char *what);
/* Sends the next ping. Returns 0 or a negative errno. */
int sky_media_socket_ping(SkyMediaSocket *m);
/* Reads and clears a pending socket error (poll's POLLERR: an ICMP "port unreachable" from the
 * host, say), so poll does not report it again at once. Returns it (0 if none). */
int sky_media_socket_clear_error(SkyMediaSocket *m);
/* Any thread: makes the wake-up fd readable (the receive thread then checks its stop flag). */
void sky_media_socket_wake(SkyMediaSocket *m);
void sky_media_socket_close(SkyMediaSocket *m);

#endif
