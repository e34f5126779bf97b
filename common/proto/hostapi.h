/* The GameStream host's HTTP API, as Sunshine serves it: parsing its XML replies (status,
 * server info, app list, pairing and launch fields) and building request URLs. Pure: no I/O.
 *
 * Every reply is <root status_code="N" [status_message="..."]>...</root>; a code other than
 * 200 is an error the host explains in status_message. Text from the host is untrusted: sizes
 * are capped, numbers range-checked, and control characters in names are replaced by '?' so
 * nothing a host sends can drive the user's terminal. */
#ifndef SKY_COMMON_HOSTAPI_H
#define SKY_COMMON_HOSTAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/xml.h"

/* ServerCodecModeSupport bits. */
#define SKY_SCM_H264 0x00000001u
#define SKY_SCM_HEVC 0x00000100u
#define SKY_SCM_HEVC_MAIN10 0x00000200u
#define SKY_SCM_AV1_MAIN8 0x00010000u
#define SKY_SCM_AV1_MAIN10 0x00020000u
#define SKY_SCM_H264_HIGH8_444 0x00040000u
#define SKY_SCM_HEVC_REXT8_444 0x00080000u
#define SKY_SCM_HEVC_REXT10_444 0x00100000u
#define SKY_SCM_AV1_HIGH8_444 0x00200000u
#define SKY_SCM_AV1_HIGH10_444 0x00400000u

#define SKY_HOSTAPI_DEFAULT_HTTP_PORT 47989
#define SKY_HOSTAPI_DEFAULT_HTTPS_PORT 47984
/* Longest host unique id we accept; also a file name, so limited to [A-Za-z0-9._-]. */
#define SKY_HOSTAPI_UNIQUEID_MAX 64

/* Parses a reply and checks its status. Returns 0 with *doc (the caller's, sky_xml_destroy)
 * when the status is 200; otherwise *doc is NULL and err holds a one-line reason:
 *   SKY_ERR(EBADMSG) not XML or not a GameStream reply, SKY_ERR(E2BIG) over the XML limits,
 *   SKY_ERR(EACCES) status 401 (the host does not know this client's certificate),
 *   SKY_ERR(EPROTO) any other status; *status (if not NULL) gets the code either way. */
int sky_hostapi_reply(const char *body, size_t len, SkyXml **doc, int *status, char *err,
                      size_t errlen);

/* Copies the text of root's child `name` into out with control characters replaced.
 * Returns 0, SKY_ERR(ENOENT) if absent, SKY_ERR(E2BIG) if longer than cap - 1. */
int sky_hostapi_text(const SkyXmlNode *root, const char *name, char *out, size_t cap);
/* A decimal field in [min, max]. SKY_ERR(ENOENT) if absent, SKY_ERR(EBADMSG) if malformed or out
 * of range. */
int sky_hostapi_int(const SkyXmlNode *root, const char *name, int64_t min, int64_t max,
                    int64_t *out);
/* A hex field decoded into out (at most cap bytes). */
int sky_hostapi_hex(const SkyXmlNode *root, const char *name, uint8_t *out, size_t cap,
                    size_t *len);

typedef struct SkyDisplayMode {
    uint16_t width, height, refresh_hz;
} SkyDisplayMode;

#define SKY_SERVERINFO_MAX_MODES 128

typedef struct SkyServerInfo {
    char hostname[128];
    char uniqueid[SKY_HOSTAPI_UNIQUEID_MAX + 1];
    char appversion[32];
    int app_major;             /* the first number of appversion */
    bool sunshine;             /* appversion's fourth number is negative ("7.1.431.-1"): the
                                * host takes Sunshine's protocol extensions */
    char gfe_version[32];      /* "" if absent */
    char gpu_type[64];         /* "" if absent */
    char mac[18];              /* "aa:bb:..."; "" if absent or the 00:00:... placeholder */
    char local_ip[64];         /* "" if absent */
    uint16_t https_port;
    uint16_t http_port;        /* ExternalPort; 0 if absent */
    uint32_t codec_support;    /* SKY_SCM_* (H.264 only if absent) */
    uint64_t max_luma_pixels_hevc;
    bool paired;               /* PairStatus (meaningful over HTTPS only) */
    bool busy;                 /* state ends in _SERVER_BUSY: an app is streaming */
    uint32_t current_game;     /* app id running, 0 if none (forced to 0 when not busy) */
    char state[48];
    size_t n_modes;
    SkyDisplayMode modes[SKY_SERVERINFO_MAX_MODES];
} SkyServerInfo;

/* Parses /serverinfo. Required: uniqueid, appversion, state, currentgame, PairStatus. */
int sky_hostapi_serverinfo(const char *body, size_t len, SkyServerInfo *out, char *err,
                           size_t errlen);
/* The largest display mode (by pixels, then refresh); zeros if none. */
SkyDisplayMode sky_serverinfo_max_mode(const SkyServerInfo *si);
/* "H.264, HEVC, HEVC Main10, AV1, ..." */
void sky_codec_support_text(uint32_t scm, char *out, size_t cap);

typedef struct SkyApp {
    uint32_t id;
    bool hdr;
    char title[256];
} SkyApp;

#define SKY_APPLIST_MAX 1024

typedef struct SkyAppList {
    SkyApp *apps; /* malloc'd, count entries */
    size_t count;
} SkyAppList;

/* Parses /applist. On success the caller frees with sky_applist_free(). */
int sky_hostapi_applist(const char *body, size_t len, SkyAppList *out, char *err, size_t errlen);
void sky_applist_free(SkyAppList *l);
/* Finds an app by decimal id or by title (exact, then case-insensitive). NULL if none. */
const SkyApp *sky_applist_find(const SkyAppList *l, const char *id_or_title);

/* The RTSP session URL from /launch or /resume ("rtsp://h:p" or "rtspenc://h:p"). */
typedef struct SkySessionUrl {
    bool encrypted;           /* rtspenc: */
    char host[256];           /* without brackets */
    uint16_t port;
} SkySessionUrl;

/* Parses the /launch (want = "gamesession") or /resume (want = "resume") reply: the flag must be
 * non-zero and sessionUrl0, if present, well formed (else url->port is 0). */
int sky_hostapi_launch(const char *body, size_t len, const char *want, SkySessionUrl *url,
                       char *err, size_t errlen);
int sky_session_url_parse(const char *s, SkySessionUrl *out);

/* A host address as the user writes it: "name", "1.2.3.4", "::1", "[::1]", with ":port" after
 * a name, an IPv4 address or a bracketed IPv6 address. */
typedef struct SkyHostAddr {
    char host[256];           /* name or address, without brackets */
    uint16_t port;            /* 0 if none was given */
    bool ipv6;                /* host is an IPv6 literal */
} SkyHostAddr;

int sky_host_addr_parse(const char *s, SkyHostAddr *out);
/* "host:port" with brackets around IPv6 literals. */
void sky_host_addr_format(const char *host, bool ipv6, uint16_t port, char *out, size_t cap);
/* Whether a numeric address is on the local network, as Moonlight decides it: loopback,
 * RFC 1918 private IPv4, link-local (169.254/16, fe80::/10) and IPv6 unique-local (fc00::/7).
 * Anything else (public addresses, CGNAT and VPN ranges such as 100.64/10, names) is remote:
 * smaller packets, no QoS tagging. A zone suffix ("%eth0") is ignored. */
bool sky_host_addr_is_local(const char *numeric);

/* Builds "http[s]://HOST:PORT/PATH?uniqueid=ID&uuid=UUID[&QUERY]". Returns 0 or SKY_ERR(E2BIG). */
int sky_hostapi_url(char *out, size_t cap, bool https, const char *host, bool ipv6, uint16_t port,
                    const char *path, const char *uniqueid, const char *uuid, const char *query);

/* What /launch and /resume carry. */
typedef struct SkyLaunchParams {
    uint32_t appid;
    int width, height, fps;
    bool sops;                /* let the host change its display mode */
    bool local_audio;         /* keep playing audio on the host */
    int audio_channels;       /* 2, 6 or 8 */
    uint8_t rikey[16];        /* AES key of the session (remote input key) */
    uint32_t rikeyid;         /* first four bytes of its IV, big-endian */
    uint32_t gamepad_mask;    /* one bit per attached controller */
    bool hdr;                 /* ask for HDR (a 10-bit codec was chosen) */
} SkyLaunchParams;

/* The surroundAudioInfo value: channel mask << 16 | channel count. */
uint32_t sky_surround_audio_info(int channels);
/* The query string (without the uniqueid/uuid) for /launch or /resume. */
int sky_hostapi_launch_query(const SkyLaunchParams *p, char *out, size_t cap);

#endif
