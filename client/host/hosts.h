/* Known hosts: what the client remembers of each host, by the host's unique id, so that an
 * address change does not lose pairing. One file per host in <config>/hosts/:
 *   <uniqueid>.conf  name, last address, HTTPS port, MAC, paired flag ("key = value" lines)
 *   <uniqueid>.pem   the host certificate pinned at pairing (present only when paired)
 * Both are written atomically, the certificate first: the .conf saying "paired = yes" is what
 * commits a pairing. */
#ifndef SKY_CLIENT_HOSTS_H
#define SKY_CLIENT_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/proto/hostapi.h"

typedef struct SkyKnownHost {
    char uniqueid[SKY_HOSTAPI_UNIQUEID_MAX + 1];
    char name[128];
    char address[320];  /* as the user can type it: "host[:port]", IPv6 in brackets */
    uint16_t https_port;
    char mac[18];       /* "" if unknown */
    bool paired;
    char *cert_pem;     /* pinned host certificate (malloc'd), NULL unless paired */
    size_t cert_len;
} SkyKnownHost;

/* Loads every known host of config_dir into a malloc'd array (sky_hosts_free). A file that
 * cannot be read is skipped with a warning. */
int sky_hosts_load(const char *config_dir, SkyKnownHost **hosts, size_t *count);
void sky_hosts_free(SkyKnownHost *hosts, size_t count);
/* Frees the certificate of one entry. */
void sky_known_host_clear(SkyKnownHost *h);
/* Copies src into dst (deep). */
int sky_known_host_copy(SkyKnownHost *dst, const SkyKnownHost *src);

/* Writes (or replaces) the host's files. */
int sky_hosts_save(const char *config_dir, const SkyKnownHost *h);
/* Forgets a host. SKY_ERR(ENOENT) if it was not known. */
int sky_hosts_remove(const char *config_dir, const char *uniqueid);

/* Finds a host by unique id, name (case-insensitive) or address, in that order of preference.
 * Returns the index or -1. */
int sky_hosts_find(const SkyKnownHost *hosts, size_t count, const char *key);

/* A unique id usable as a file name: 1..SKY_HOSTAPI_UNIQUEID_MAX of [0-9A-Za-z._-], not "." or
 * "..". */
bool sky_hosts_uniqueid_ok(const char *uniqueid);

#endif
