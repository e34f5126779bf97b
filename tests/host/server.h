/* The test host's HTTP and HTTPS listeners: sockets, TLS and threads.
 *
 * One accept thread per port and one thread per connection (requests are short; a getservercert
 * that waits for the PIN blocks only its own thread). A connection reads one request head at a
 * time (at most SKY_TH_REQ_MAX bytes), answers it through sky_th_handle() and closes, as
 * Sunshine does. Connection threads are joinable: the accept thread reaps the finished ones and
 * sky_th_server_destroy() joins the rest.
 *
 * TLS is 1.2 or newer with the host certificate. Like Sunshine, the server asks for a client
 * certificate, fails the handshake of a client that sends none, accepts any certificate at the
 * TLS level, and answers every request from a certificate that is not paired with the 401
 * document. If SSLKEYLOGFILE is set, TLS secrets are appended to it (for Wireshark). */
#ifndef SKY_TESTHOST_SERVER_H
#define SKY_TESTHOST_SERVER_H

#include <stdbool.h>

#include "tests/host/endpoints.h"
#include "tests/host/host.h"

typedef struct SkyThServer SkyThServer;

/* Binds both ports on h->cfg->bind (port 0: any free one), stores the real ports in h and
 * starts the accept threads. h must outlive the server. On failure the reason is logged. */
int sky_th_server_create(SkyThServer **out, SkyThHost *h);

/* Stops accepting, wakes every connection (the host must already be stopping, see
 * sky_th_host_stop) and joins all threads. Accepts NULL; NULLs the pointer. */
void sky_th_server_destroy(SkyThServer **s);

/* True if the peer of the connection has hung up (checked without reading). */
bool sky_th_conn_peer_gone(const SkyThConnInfo *ci);

#endif
