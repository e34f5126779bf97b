/* The UDP socket of a media stream: connected, pinged, with a wake-up fd (media_socket.h). */
/* Threads: see media_socket.h. */
#include "client/net/media_socket.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "net"

int sky_media_socket_open(SkyMediaSocket *m, const char *host, uint16_t port,
                          const char *ping_payload, int rcvbuf, const char *what)
{
    *m = (SkyMediaSocket){.fd = -1, .wake_fd = -1};
    if (ping_payload)
        snprintf(m->payload, sizeof(m->payload), "%s", ping_payload);
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char service[8];
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    if (getaddrinfo(host, service, &hints, &res) != 0 || !res) {
        SKY_LOGE(TAG, "cannot open the %s socket: '%s' is not a numeric address", what, host);
        return SKY_ERR(EINVAL);
    }
    m->fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int ret = m->fd < 0 ? SKY_ERR(errno) : 0;
    if (ret == 0) {
        m->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (m->wake_fd < 0)
            ret = SKY_ERR(errno);
    }
    if (ret == 0 && rcvbuf > 0) {
        if (setsockopt(m->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
            setsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        int got = 0;
        socklen_t gl = sizeof(got);
        /* Linux reports twice what it grants (bookkeeping included). */
        if (getsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0 && got / 2 < rcvbuf / 2)
            SKY_LOGW(TAG, "the %s socket's receive buffer is %d KiB (asked for %d KiB): bursts "
                          "at high bitrates may be lost; raise net.core.rmem_max",
                     what, got / 2 / 1024, rcvbuf / 1024);
    }
    if (ret == 0 && connect(m->fd, res->ai_addr, res->ai_addrlen) < 0)
        ret = SKY_ERR(errno);
    freeaddrinfo(res);
    if (ret < 0) {
        SKY_LOGE(TAG, "cannot open the %s socket: %s", what, sky_strerror(ret));
        sky_media_socket_close(m);
    }
    return ret;
}

int sky_media_socket_ping(SkyMediaSocket *m)
{
    uint8_t ping[20];
    size_t len = 4;
    if (m->payload[0]) {
        uint32_t n = ++m->count;
        memcpy(ping, m->payload, 16);
        ping[16] = (uint8_t)(n >> 24);
        ping[17] = (uint8_t)(n >> 16);
        ping[18] = (uint8_t)(n >> 8);
        ping[19] = (uint8_t)n;
        len = 20;
    } else {
        m->count++;
        memcpy(ping, "PING", 4);
    }
    return send(m->fd, ping, len, MSG_NOSIGNAL) < 0 ? SKY_ERR(errno) : 0;
}

int sky_media_socket_clear_error(SkyMediaSocket *m)
{
    int e = 0;
    socklen_t len = sizeof(e);
    if (getsockopt(m->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
        return SKY_ERR(errno);
    return e ? SKY_ERR(e) : 0;
}

void sky_media_socket_wake(SkyMediaSocket *m)
{
    uint64_t one = 1;
    ssize_t w = write(m->wake_fd, &one, sizeof(one));
    (void)w; /* a saturated counter is readable anyway */
}

void sky_media_socket_close(SkyMediaSocket *m)
{
    if (m->fd >= 0)
        close(m->fd);
    if (m->wake_fd >= 0)
        close(m->wake_fd);
    m->fd = m->wake_fd = -1;
}
