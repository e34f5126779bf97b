/* The GameStream endpoints of the test host, as Sunshine v0.23 answers them:
 *   HTTP  (47989): /serverinfo, /pair
 *   HTTPS (47984): /serverinfo, /pair, /applist, /appasset, /launch, /resume, /cancel, for
 *                  paired clients; anything from an unknown certificate gets the 401 document.
 * Every reply is "HTTP/1.1 200 OK" whatever the status_code inside the XML, and the connection
 * closes after it (except after a getservercert answered once the PIN came, as Sunshine does). */
#ifndef SKY_TESTHOST_ENDPOINTS_H
#define SKY_TESTHOST_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/host/host.h"
#include "tests/host/http.h"

/* What a handler knows about the connection; filled by server.c. */
typedef struct SkyThConnInfo {
    int fd;                         /* the socket: only to notice the peer hanging up */
    bool tls;
    bool authorized;                /* TLS with a paired client certificate */
    uint16_t port;                  /* the local port it came in on */
    char local_addr[64];            /* numeric, IPv4-mapped IPv6 written as IPv4 */
    bool local_v6;                  /* a real IPv6 address */
    char peer_addr[64];
    char peer_subject[256];         /* "/CN=..." of the client certificate, "" if none */
} SkyThConnInfo;

/* A handler's answer. */
typedef struct SkyThReply {
    char *data;                     /* the complete HTTP response (malloc'd); NULL: close unanswered */
    size_t len;
    bool keep_alive;                /* read another request on this connection */
    int status;                     /* the status_code inside, for the log */
} SkyThReply;

void sky_th_reply_free(SkyThReply *rep);

/* Answers one parsed GET request. Takes host->lock as needed; /pair may block until the PIN
 * is typed. rep is the caller's and is filled (data may be NULL: close without a reply). */
void sky_th_handle(SkyThHost *h, const SkyThConnInfo *ci, const SkyThReq *req, SkyThReply *rep);

/* The 401 document an unknown client certificate gets for any request. */
void sky_th_reply_unauthorized(SkyThReply *rep);
/* A plain HTTP error (400 for a malformed request, 413 for one too large). */
void sky_th_reply_http_error(SkyThReply *rep, int code);

/* Replies for the handlers: a 200 OK carrying x (freed here). */
void sky_th_reply_xml(SkyThReply *rep, SkyThXml *x, int status);
/* <root status_code=STATUS status_message=MSG>[<ELEM>VALUE</ELEM>]</root>; elem may be NULL. */
void sky_th_reply_error(SkyThReply *rep, int status, const char *msg, const char *elem,
                        int value);

#endif
