/* The client's identity: the self-signed certificate and key a GameStream host pairs with, and
 * the unique id the protocol sends with every request. Created on first use in the config
 * directory (client.pem, client.key with mode 0600, uniqueid) and reused afterwards; hosts know
 * the client by its certificate, so losing these files means pairing again. */
#ifndef SKY_CLIENT_IDENTITY_H
#define SKY_CLIENT_IDENTITY_H

#include <stddef.h>

#include "common/core/crypto.h"

#define SKY_IDENTITY_UNIQUEID_LEN 16

typedef struct SkyIdentity {
    char uniqueid[SKY_IDENTITY_UNIQUEID_LEN + 1]; /* 16 hex digits */
    char *cert_pem;                               /* NUL-terminated */
    size_t cert_len;
    char *key_pem;
    size_t key_len;
    SkyCert *cert;
    SkyKey *key;
} SkyIdentity;

/* Loads the identity from dir, creating it (and dir) if there is none. A partial or mismatched
 * set of files is an error with a message saying how to recover, never silently replaced.
 * On success *out is the caller's (sky_identity_destroy). */
int sky_identity_load(SkyIdentity **out, const char *dir);
/* Wipes the key material. Accepts NULL; NULLs the pointer. */
void sky_identity_destroy(SkyIdentity **id);

#endif
