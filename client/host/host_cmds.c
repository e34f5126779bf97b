/* The host verbs: pair, unpair, hosts, info, list, boxart, quit, discover, wake (host_cmds.h). */
/* Threads: the main thread only; SIGINT/SIGTERM set `g_cancel`, which stops a request in
 * flight (a pairing waiting for its PIN, say). */
#include "client/host/host_cmds.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <SDL_image.h>

#include "client/cli.h"
#include "client/fsutil.h"
#include "client/host/boxart.h"
#include "client/host/discovery.h"
#include "client/host/host_client.h"
#include "client/host/hosts.h"
#include "client/host/http.h"
#include "client/host/identity.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/json.h"
#include "common/core/log.h"
#include "common/core/time.h"
#include "common/proto/wol.h"

#define TAG "skylight"

typedef struct HostCmdOpts {
    char pin[16];
    double pin_timeout_s;
    bool json;
    int wol_port;
    char mac[32];
    char out[4096];
} HostCmdOpts;

static const SkyOpt pair_opts_table[] = {
    {"pin", SKY_OPT_STRING, offsetof(HostCmdOpts, pin), sizeof(((HostCmdOpts *)0)->pin), 0, 0,
     NULL, "", "NNNN", "use this 4-digit PIN instead of a random one (scripts)"},
    {"pin-timeout", SKY_OPT_DOUBLE, offsetof(HostCmdOpts, pin_timeout_s), 0, 1, 3600, NULL, "120",
     "SECONDS", "how long to wait for the PIN to be entered on the host"},
    SKY_OPT_END,
};

static const SkyOpt json_opts_table[] = {
    {"json", SKY_OPT_BOOL, offsetof(HostCmdOpts, json), 0, 0, 0, NULL, "no", NULL,
     "print JSON instead of text"},
    SKY_OPT_END,
};

static const SkyOpt wake_opts_table[] = {
    {"mac", SKY_OPT_STRING, offsetof(HostCmdOpts, mac), sizeof(((HostCmdOpts *)0)->mac), 0, 0,
     NULL, "", "MAC", "the host's MAC address (default: the one it told us when paired)"},
    {"wol-port", SKY_OPT_INT, offsetof(HostCmdOpts, wol_port), 0, 0, 65535, NULL, "0", "PORT",
     "send to this UDP port only (0: ports 7, 9 and the GameStream ports)"},
    SKY_OPT_END,
};

static const SkyOpt boxart_opts_table[] = {
    {"out", SKY_OPT_STRING, offsetof(HostCmdOpts, out), sizeof(((HostCmdOpts *)0)->out), 0, 0,
     NULL, "", "FILE", "write the PNG here (required)"},
    SKY_OPT_END,
};

typedef struct Ctx Ctx;

typedef struct HostCmd {
    SkyVerb verb;              /* name and option groups */
    const char *args;
    const char *summary;
    size_t min_pos, max_pos;
    bool contacts_host;        /* opens a SkyHostClient on pos[0] */
    int (*run)(Ctx *c);
} HostCmd;

struct Ctx {
    const HostCmd *cmd;
    HostCmdOpts opts;
    SkyHostClientOpts host_opts;
    SkyDiscoveryOpts discovery_opts;
    const char *pos[2];
    size_t npos;
    char config_dir[4096];
    SkyIdentity *id;
    SkyHostClient *hc;
    char err[1024];
};

static atomic_bool g_cancel;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&g_cancel, true);
}

/* ---- pair / unpair ---- */

static void show_pin(void *opaque, const char *pin)
{
    Ctx *c = opaque;
    const SkyServerInfo *si = sky_host_client_info(c->hc);
    printf("Enter PIN %s on %s (%s) to pair: in Sunshine's web UI, the PIN page.\n", pin,
           si->hostname[0] ? si->hostname : "the host", sky_host_client_address(c->hc));
    fflush(stdout);
}

static void print_fingerprint(const char *label, const SkyKnownHost *h)
{
    SkyCert *cert = NULL;
    char fp[96];
    if (h->cert_pem && sky_cert_from_pem(&cert, h->cert_pem, h->cert_len) == 0) {
        sky_cert_fingerprint_text(cert, fp);
        printf("%s%s\n", label, fp);
    }
    sky_cert_destroy(&cert);
}

static int run_pair(Ctx *c)
{
    const SkyServerInfo *si = sky_host_client_info(c->hc);
    if (sky_host_client_paired(c->hc)) {
        printf("Already paired with %s (%s).\n", si->hostname, sky_host_client_address(c->hc));
        return 0;
    }
    int ret = sky_host_client_pair(c->hc, c->opts.pin[0] ? c->opts.pin : NULL,
                                   (int64_t)(c->opts.pin_timeout_s * 1000), show_pin, c, c->err,
                                   sizeof(c->err));
    if (ret < 0)
        return ret;
    printf("Paired with %s (%s).\n", si->hostname, sky_host_client_address(c->hc));
    print_fingerprint("Host certificate SHA-256: ", sky_host_client_known(c->hc));
    return 0;
}

static int run_unpair(Ctx *c)
{
    int ret = sky_host_client_unpair(c->hc, c->err, sizeof(c->err));
    if (ret == 0)
        printf("Forgot %s (%s); pair it again to stream from it.\n",
               sky_host_client_info(c->hc)->hostname, sky_host_client_address(c->hc));
    return ret;
}

/* `skylight unpair` must work without the host too (it may be gone or reinstalled). */
static int unpair_offline(Ctx *c)
{
    SkyKnownHost *hosts = NULL;
    size_t n = 0;
    int ret = sky_hosts_load(c->config_dir, &hosts, &n);
    int idx = ret == 0 ? sky_hosts_find(hosts, n, c->pos[0]) : -1;
    if (idx < 0) {
        snprintf(c->err, sizeof(c->err), "'%s' is not a known host (see 'skylight hosts')",
                 c->pos[0]);
        ret = SKY_ERR(ENOENT);
    } else {
        ret = sky_hosts_remove(c->config_dir, hosts[idx].uniqueid);
        if (ret == 0)
            printf("Forgot %s (%s).\n", hosts[idx].name, hosts[idx].address);
        else
            snprintf(c->err, sizeof(c->err), "cannot remove the record: %s", sky_strerror(ret));
    }
    sky_hosts_free(hosts, n);
    return ret;
}

/* ---- hosts / info / list ---- */

static char *json_buf(size_t cap, SkyJson *j)
{
    char *buf = malloc(cap);
    if (buf)
        sky_json_init(j, buf, cap);
    return buf;
}

static int print_json(SkyJson *j, char *buf)
{
    int ret = sky_json_ok(j) ? 0 : SKY_ERR(E2BIG);
    if (ret == 0)
        printf("%s\n", buf);
    free(buf);
    return ret;
}

static void fingerprint_of(const SkyKnownHost *h, char out[96])
{
    SkyCert *cert = NULL;
    out[0] = '\0';
    if (h->cert_pem && sky_cert_from_pem(&cert, h->cert_pem, h->cert_len) == 0)
        sky_cert_fingerprint_text(cert, out);
    sky_cert_destroy(&cert);
}

static int run_hosts(Ctx *c)
{
    SkyKnownHost *hosts = NULL;
    size_t n = 0;
    int ret = sky_hosts_load(c->config_dir, &hosts, &n);
    if (ret < 0) {
        snprintf(c->err, sizeof(c->err), "cannot read the known hosts: %s", sky_strerror(ret));
        return ret;
    }
    char fp[96];
    if (c->opts.json) {
        SkyJson j;
        char *buf = json_buf(1024 + n * 1024, &j);
        if (!buf) {
            sky_hosts_free(hosts, n);
            return SKY_ERR(ENOMEM);
        }
        sky_json_obj_begin(&j, NULL);
        sky_json_arr_begin(&j, "hosts");
        for (size_t i = 0; i < n; i++) {
            fingerprint_of(&hosts[i], fp);
            sky_json_obj_begin(&j, NULL);
            sky_json_str(&j, "name", hosts[i].name);
            sky_json_str(&j, "uniqueid", hosts[i].uniqueid);
            sky_json_str(&j, "address", hosts[i].address);
            sky_json_uint(&j, "https_port", hosts[i].https_port);
            sky_json_bool(&j, "paired", hosts[i].paired);
            sky_json_str(&j, "cert_sha256", fp);
            sky_json_str(&j, "mac", hosts[i].mac);
            sky_json_obj_end(&j);
        }
        sky_json_arr_end(&j);
        sky_json_obj_end(&j);
        ret = print_json(&j, buf);
    } else if (n == 0) {
        printf("No known hosts. Pair one with 'skylight pair HOST'.\n");
    } else {
        for (size_t i = 0; i < n; i++) {
            fingerprint_of(&hosts[i], fp);
            printf("%s\n  address   %s\n  paired    %s\n  mac       %s\n  cert      %s\n"
                   "  uniqueid  %s\n",
                   hosts[i].name[0] ? hosts[i].name : "(unnamed)", hosts[i].address,
                   hosts[i].paired ? "yes" : "no", hosts[i].mac[0] ? hosts[i].mac : "unknown",
                   fp[0] ? fp : "-", hosts[i].uniqueid);
        }
    }
    sky_hosts_free(hosts, n);
    return ret;
}

static const char *running_title(const SkyAppList *apps, uint32_t id)
{
    for (size_t i = 0; apps && i < apps->count; i++)
        if (apps->apps[i].id == id)
            return apps->apps[i].title;
    return NULL;
}

static int run_info(Ctx *c)
{
    const SkyServerInfo *si = sky_host_client_info(c->hc);
    const SkyKnownHost *known = sky_host_client_known(c->hc);
    bool paired = sky_host_client_paired(c->hc);
    char codecs[256], fp[96] = "";
    SkyAppList apps = {0};
    sky_codec_support_text(si->codec_support, codecs, sizeof(codecs));
    if (known)
        fingerprint_of(known, fp);
    /* The running app's name needs the app list, which only a paired client may read. */
    if (paired && si->current_game)
        sky_host_client_applist(c->hc, &apps, c->err, sizeof(c->err));
    const char *running = running_title(&apps, si->current_game);
    SkyDisplayMode max = sky_serverinfo_max_mode(si);
    bool hevc = si->codec_support & (SKY_SCM_HEVC | SKY_SCM_HEVC_MAIN10);
    bool av1 = si->codec_support & (SKY_SCM_AV1_MAIN8 | SKY_SCM_AV1_MAIN10);
    bool tenbit = si->codec_support & (SKY_SCM_HEVC_MAIN10 | SKY_SCM_AV1_MAIN10 |
                                       SKY_SCM_HEVC_REXT10_444 | SKY_SCM_AV1_HIGH10_444);
    int ret = 0;
    if (c->opts.json) {
        SkyJson j;
        char *buf = json_buf(8192 + si->n_modes * 64, &j);
        if (!buf) {
            sky_applist_free(&apps);
            return SKY_ERR(ENOMEM);
        }
        sky_json_obj_begin(&j, NULL);
        sky_json_str(&j, "name", si->hostname);
        sky_json_str(&j, "address", sky_host_client_address(c->hc));
        sky_json_str(&j, "uniqueid", si->uniqueid);
        sky_json_bool(&j, "paired", paired);
        sky_json_str(&j, "state", si->busy ? "busy" : "free");
        sky_json_uint(&j, "current_app_id", si->current_game);
        if (running)
            sky_json_str(&j, "current_app", running);
        else
            sky_json_null(&j, "current_app");
        sky_json_str(&j, "appversion", si->appversion);
        sky_json_str(&j, "gfe_version", si->gfe_version);
        sky_json_str(&j, "gpu", si->gpu_type);
        sky_json_uint(&j, "codec_mode_support", si->codec_support);
        sky_json_arr_begin(&j, "codecs");
        if (si->codec_support & SKY_SCM_H264)
            sky_json_str(&j, NULL, "h264");
        if (hevc)
            sky_json_str(&j, NULL, "hevc");
        if (av1)
            sky_json_str(&j, NULL, "av1");
        sky_json_arr_end(&j);
        sky_json_bool(&j, "hevc", hevc);
        sky_json_bool(&j, "av1", av1);
        sky_json_bool(&j, "ten_bit", tenbit);
        sky_json_obj_begin(&j, "max_mode");
        sky_json_uint(&j, "width", max.width);
        sky_json_uint(&j, "height", max.height);
        sky_json_uint(&j, "fps", max.refresh_hz);
        sky_json_obj_end(&j);
        sky_json_arr_begin(&j, "modes");
        for (size_t i = 0; i < si->n_modes; i++) {
            sky_json_obj_begin(&j, NULL);
            sky_json_uint(&j, "width", si->modes[i].width);
            sky_json_uint(&j, "height", si->modes[i].height);
            sky_json_uint(&j, "fps", si->modes[i].refresh_hz);
            sky_json_obj_end(&j);
        }
        sky_json_arr_end(&j);
        sky_json_uint(&j, "https_port", si->https_port);
        sky_json_str(&j, "mac", si->mac[0] ? si->mac : known ? known->mac : "");
        sky_json_str(&j, "local_ip", si->local_ip);
        sky_json_str(&j, "cert_sha256", fp);
        sky_json_obj_end(&j);
        ret = print_json(&j, buf);
    } else {
        printf("name        %s\n", si->hostname[0] ? si->hostname : "(unnamed)");
        printf("address     %s (HTTPS port %u)\n", sky_host_client_address(c->hc),
               (unsigned)si->https_port);
        printf("uniqueid    %s\n", si->uniqueid);
        printf("paired      %s\n", paired ? "yes" : "no");
        if (si->busy)
            printf("state       streaming %s (app %" PRIu32 ")\n",
                   running ? running : "an app", si->current_game);
        else
            printf("state       free\n");
        printf("codecs      %s\n", codecs[0] ? codecs : "none announced");
        printf("10-bit/HDR  %s\n", tenbit ? "yes" : "no");
        if (max.width)
            printf("max mode    %ux%u at %u Hz\n", (unsigned)max.width, (unsigned)max.height,
                   (unsigned)max.refresh_hz);
        printf("version     %s%s%s\n", si->appversion, si->gfe_version[0] ? ", GFE " : "",
               si->gfe_version);
        if (si->gpu_type[0])
            printf("gpu         %s\n", si->gpu_type);
        const char *mac = si->mac[0] ? si->mac : known ? known->mac : "";
        printf("mac         %s\n", mac[0] ? mac : "unknown (hosts tell paired clients)");
        if (fp[0])
            printf("cert        %s\n", fp);
    }
    sky_applist_free(&apps);
    c->err[0] = '\0';
    return ret;
}

static int run_list(Ctx *c)
{
    SkyAppList apps;
    int ret = sky_host_client_applist(c->hc, &apps, c->err, sizeof(c->err));
    if (ret < 0)
        return ret;
    uint32_t running = sky_host_client_info(c->hc)->current_game;
    if (c->opts.json) {
        SkyJson j;
        char *buf = json_buf(1024 + apps.count * 800, &j);
        if (!buf) {
            sky_applist_free(&apps);
            return SKY_ERR(ENOMEM);
        }
        sky_json_obj_begin(&j, NULL);
        sky_json_str(&j, "host", sky_host_client_info(c->hc)->hostname);
        sky_json_arr_begin(&j, "apps");
        for (size_t i = 0; i < apps.count; i++) {
            sky_json_obj_begin(&j, NULL);
            sky_json_uint(&j, "id", apps.apps[i].id);
            sky_json_str(&j, "name", apps.apps[i].title);
            sky_json_bool(&j, "hdr", apps.apps[i].hdr);
            sky_json_bool(&j, "running", running && running == apps.apps[i].id);
            sky_json_obj_end(&j);
        }
        sky_json_arr_end(&j);
        sky_json_obj_end(&j);
        ret = print_json(&j, buf);
    } else {
        for (size_t i = 0; i < apps.count; i++)
            printf("%10" PRIu32 "  %s%s%s\n", apps.apps[i].id, apps.apps[i].title,
                   apps.apps[i].hdr ? "  [HDR]" : "",
                   running && running == apps.apps[i].id ? "  [running]" : "");
        if (apps.count == 0)
            printf("The host lists no apps.\n");
    }
    sky_applist_free(&apps);
    return ret;
}

/* ---- boxart ---- */

static int run_boxart(Ctx *c)
{
    char cache_dir[4096];
    SkyAppList apps;
    SkyBoxArt art;
    if (!c->opts.out[0]) {
        snprintf(c->err, sizeof(c->err), "say where to write the picture with --out FILE");
        return SKY_ERR(EINVAL);
    }
    if (sky_cache_dir(cache_dir, sizeof(cache_dir)) < 0) {
        snprintf(c->err, sizeof(c->err), "neither XDG_CACHE_HOME nor HOME is set: no cache");
        return SKY_ERR(ENOENT);
    }
    int ret = sky_host_client_applist(c->hc, &apps, c->err, sizeof(c->err));
    if (ret < 0)
        return ret;
    const SkyApp *app = sky_applist_find(&apps, c->pos[1]);
    if (!app) {
        snprintf(c->err, sizeof(c->err), "%s has no app '%s' (see 'skylight list %s')",
                 sky_host_client_info(c->hc)->hostname, c->pos[1], c->pos[0]);
        sky_applist_free(&apps);
        return SKY_ERR(ENOENT);
    }
    uint32_t appid = app->id;
    sky_applist_free(&apps);
    ret = sky_boxart_get(c->hc, cache_dir, appid, false, &art, c->err, sizeof(c->err));
    if (ret < 0)
        return ret;
    ret = sky_write_file_atomic(c->opts.out, art.png, art.png_len, 0644);
    if (ret < 0)
        snprintf(c->err, sizeof(c->err), "cannot write %.512s: %s", c->opts.out,
                 sky_strerror(ret));
    else
        printf("Box art of app %" PRIu32 ": %" PRIu32 "x%" PRIu32 ", %zu bytes, %s, written to "
               "%s.\n",
               appid, art.width, art.height, art.png_len,
               art.from_cache ? "from the cache" : "from the host", c->opts.out);
    sky_boxart_clear(&art);
    return ret;
}

/* ---- quit ---- */

static int run_quit(Ctx *c)
{
    int ret = sky_host_client_quit(c->hc, c->err, sizeof(c->err));
    if (ret == 0)
        printf("%s quit its app.\n", sky_host_client_info(c->hc)->hostname);
    return ret;
}

/* ---- wake ---- */

/* Sends the packet to addr on each port; returns how many sends worked. */
static int send_wol(const char *host, const uint16_t *ports, size_t nports, bool broadcast,
                    const uint8_t *pkt)
{
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int sent = 0;
    if (getaddrinfo(host, "9", &hints, &res) != 0)
        return 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, SOCK_DGRAM, 0);
        if (fd < 0)
            continue;
        int on = 1;
        if (broadcast)
            setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on));
        for (size_t i = 0; i < nports; i++) {
            if (a->ai_family == AF_INET)
                ((struct sockaddr_in *)a->ai_addr)->sin_port = htons(ports[i]);
            else if (a->ai_family == AF_INET6)
                ((struct sockaddr_in6 *)a->ai_addr)->sin6_port = htons(ports[i]);
            if (sendto(fd, pkt, SKY_WOL_PACKET_LEN, 0, a->ai_addr, a->ai_addrlen) ==
                SKY_WOL_PACKET_LEN)
                sent++;
        }
        close(fd);
    }
    freeaddrinfo(res);
    return sent;
}

int sky_host_wake(const char *mac, const char *address, uint16_t port, char *err,
                  size_t errlen)
{
    uint8_t m[6], pkt[SKY_WOL_PACKET_LEN];
    if (!mac[0]) {
        snprintf(err, errlen, "no MAC address known");
        return SKY_ERR(ENOENT);
    }
    if (sky_mac_parse(mac, m) < 0) {
        snprintf(err, errlen, "'%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", mac);
        return SKY_ERR(EINVAL);
    }
    sky_wol_packet(m, pkt);
    static const uint16_t std_ports[] = {9, 7, 47998, 47999, 48000, 48002, 48010};
    const uint16_t *ports = port ? &port : std_ports;
    size_t nports = port ? 1 : sizeof(std_ports) / sizeof(std_ports[0]);
    /* The last address the host had (it may be asleep at it), then the local broadcast. */
    SkyHostAddr a;
    int sent = 0;
    if (address && address[0] && sky_host_addr_parse(address, &a) == 0)
        sent += send_wol(a.host, ports, nports, false, pkt);
    sent += send_wol("255.255.255.255", ports, nports, true, pkt);
    if (sent == 0) {
        snprintf(err, errlen, "could not send the wake-on-LAN packet");
        return SKY_ERR(EIO);
    }
    return 0;
}

static int run_wake(Ctx *c)
{
    SkyKnownHost *hosts = NULL;
    size_t n = 0;
    sky_hosts_load(c->config_dir, &hosts, &n);
    int idx = sky_hosts_find(hosts, n, c->pos[0]);
    const char *mac = c->opts.mac[0] ? c->opts.mac : idx >= 0 ? hosts[idx].mac : "";
    const char *addr = idx >= 0 ? hosts[idx].address : c->pos[0];
    int ret;
    if (!mac[0]) {
        snprintf(c->err, sizeof(c->err),
                 "no MAC address known for '%s': pair it while it is awake (hosts tell paired "
                 "clients their MAC) or give --mac",
                 c->pos[0]);
        ret = SKY_ERR(ENOENT);
    } else {
        ret = sky_host_wake(mac, addr, (uint16_t)c->opts.wol_port, c->err, sizeof(c->err));
    }
    if (ret == 0) {
        SkyHostAddr a;
        bool parsed = sky_host_addr_parse(addr, &a) == 0;
        printf("Sent wake-on-LAN packets for %s (%s) to %s and the local broadcast address.\n",
               mac, idx >= 0 && hosts[idx].name[0] ? hosts[idx].name : c->pos[0],
               parsed ? a.host : addr);
    }
    sky_hosts_free(hosts, n);
    return ret;
}

/* ---- discover ---- */

static const char *change_name(SkyDiscoveryChange c)
{
    return c == SKY_DISCOVERY_FOUND ? "found" : c == SKY_DISCOVERY_UPDATED ? "updated" : "gone";
}

/* An address as a HOST argument of the other verbs: "198.51.100.1:47989",
 * "[fe80::1%eth0]:47989". */
static void host_arg(const SkyMdnsAddr *a, uint16_t port, char *out, size_t cap)
{
    char text[96];
    sky_discovery_addr_text(a, text, sizeof(text));
    snprintf(out, cap, a->family == 6 ? "[%s]:%u" : "%s:%u", text, (unsigned)port);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const SkyMdnsHost *)a)->name, ((const SkyMdnsHost *)b)->name);
}

/* IPv4 first, as the stream needs it (its control connection is IPv4 only). */
static int by_family(const void *a, const void *b)
{
    return ((const SkyMdnsAddr *)a)->family - ((const SkyMdnsAddr *)b)->family;
}

static int print_discovered(const Ctx *c, const char *backend, SkyMdnsHost *hosts, size_t n)
{
    char arg[128];
    qsort(hosts, n, sizeof(hosts[0]), by_name);
    for (size_t i = 0; i < n; i++)
        qsort(hosts[i].addrs, hosts[i].n_addrs, sizeof(hosts[i].addrs[0]), by_family);
    if (!c->opts.json) {
        for (size_t i = 0; i < n; i++) {
            printf("%s", hosts[i].name);
            for (size_t k = 0; k < hosts[i].n_addrs; k++) {
                host_arg(&hosts[i].addrs[k], hosts[i].port, arg, sizeof(arg));
                printf("\t%s", arg);
            }
            printf("\n");
        }
        if (n == 0)
            printf("No host answered on the local network within %g s.\n", c->host_opts.timeout_s);
        return 0;
    }
    SkyJson j;
    char *buf = json_buf(256 + n * 1536, &j);
    if (!buf)
        return SKY_ERR(ENOMEM);
    sky_json_obj_begin(&j, NULL);
    sky_json_str(&j, "backend", backend);
    sky_json_arr_begin(&j, "hosts");
    for (size_t i = 0; i < n; i++) {
        sky_json_obj_begin(&j, NULL);
        sky_json_str(&j, "name", hosts[i].name);
        sky_json_uint(&j, "port", hosts[i].port);
        sky_json_arr_begin(&j, "addresses");
        for (size_t k = 0; k < hosts[i].n_addrs; k++) {
            sky_discovery_addr_text(&hosts[i].addrs[k], arg, sizeof(arg));
            sky_json_str(&j, NULL, arg);
        }
        sky_json_arr_end(&j);
        sky_json_obj_end(&j);
    }
    sky_json_arr_end(&j);
    sky_json_obj_end(&j);
    return print_json(&j, buf);
}

/* Listens for --timeout seconds (or until Ctrl+C), then lists the hosts there are. */
static int run_discover(Ctx *c)
{
    SkyDiscovery *d = NULL;
    int ret = sky_discovery_create(&d, &c->discovery_opts, c->err, sizeof(c->err));
    if (ret < 0)
        return ret;
    int64_t end_us = sky_time_us() + (int64_t)(c->host_opts.timeout_s * 1e6);
    SkyDiscoveryEvent ev;
    char addr[96];
    for (int64_t left; !atomic_load(&g_cancel) && (left = end_us - sky_time_us()) > 0;) {
        struct pollfd p = {.fd = sky_discovery_fd(d), .events = POLLIN};
        poll(&p, 1, (int)((left + 999) / 1000));
        while (sky_discovery_next(d, &ev) == 1) {
            addr[0] = '\0';
            if (ev.host.n_addrs)
                sky_discovery_addr_text(&ev.host.addrs[0], addr, sizeof(addr));
            SKY_LOGV(TAG, "%s: %s (port %u, %zu addresses: %s...)", change_name(ev.change),
                     ev.host.name, (unsigned)ev.host.port, ev.host.n_addrs, addr);
        }
    }
    SkyMdnsHost hosts[SKY_DISCOVERY_MAX_HOSTS];
    size_t n = sky_discovery_hosts(d, hosts, SKY_DISCOVERY_MAX_HOSTS);
    uint64_t hosts_dropped, packets_dropped;
    sky_discovery_counts(d, &hosts_dropped, &packets_dropped);
    if (hosts_dropped || packets_dropped)
        SKY_LOGV(TAG, "discovery: %" PRIu64 " hosts over the cap of %d, %" PRIu64
                 " packets refused (malformed, cut, or not from port 5353)",
                 hosts_dropped, SKY_DISCOVERY_MAX_HOSTS, packets_dropped);
    ret = print_discovered(c, sky_discovery_backend_name(d), hosts, n);
    sky_discovery_destroy(&d);
    return ret;
}

/* ---- the table ---- */

static int run_unpair_any(Ctx *c);

/* The option groups of the verbs. */
#define GROUP(title, table) {title, table, offsetof(Ctx, opts)}
#define HOST_GROUP {"Host", sky_host_client_opts_table, offsetof(Ctx, host_opts)}
static const SkyOptGroup pair_groups[] = {
    GROUP("Pairing", pair_opts_table), HOST_GROUP, SKY_OPT_GROUP_END};
static const SkyOptGroup host_groups[] = {HOST_GROUP, SKY_OPT_GROUP_END};
static const SkyOptGroup json_groups[] = {GROUP("Output", json_opts_table), SKY_OPT_GROUP_END};
static const SkyOptGroup json_host_groups[] = {
    GROUP("Output", json_opts_table), HOST_GROUP, SKY_OPT_GROUP_END};
static const SkyOptGroup boxart_groups[] = {
    GROUP("Output", boxart_opts_table), HOST_GROUP, SKY_OPT_GROUP_END};
static const SkyOptGroup discover_groups[] = {
    GROUP("Output", json_opts_table),
    {"Discovery", sky_discovery_opts_table, offsetof(Ctx, discovery_opts)}, HOST_GROUP,
    SKY_OPT_GROUP_END};
static const SkyOptGroup wake_groups[] = {
    GROUP("Wake-on-LAN", wake_opts_table), SKY_OPT_GROUP_END};

static int host_cmd_main(int argc, char **argv);
static void host_cmd_usage(const char *verb);
#define VERB(name, groups) {name, groups, false, host_cmd_main, host_cmd_usage}

static const HostCmd cmds[] = {
    {VERB("pair", pair_groups), "HOST", "pair with a host (once): shows a PIN to enter on the host",
     1, 1, true, run_pair},
    {VERB("unpair", host_groups), "HOST", "forget a host (pair again to use it)", 1, 1, false,
     run_unpair_any},
    {VERB("hosts", json_groups), "", "list the hosts known here", 0, 0, false, run_hosts},
    {VERB("info", json_host_groups), "HOST",
     "show a host's name, state, codecs, modes and version", 1, 1, true, run_info},
    {VERB("list", json_host_groups), "HOST", "list the apps a host offers", 1, 1, true,
     run_list},
    {VERB("boxart", boxart_groups), "HOST APP",
     "save an app's box art (a PNG, fetched once then cached) to --out FILE", 2, 2, true,
     run_boxart},
    {VERB("quit", host_groups), "HOST", "quit the app running on a host", 1, 1, true, run_quit},
    {VERB("discover", discover_groups), "",
     "list the hosts on the local network (mDNS), listening for --timeout seconds", 0, 0, false,
     run_discover},
    {VERB("wake", wake_groups), "HOST", "wake a sleeping host with wake-on-LAN", 1, 1, false,
     run_wake},
};

static const HostCmd *find_cmd(const char *verb)
{
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(cmds[i].verb.name, verb) == 0)
            return &cmds[i];
    return NULL;
}

static int open_host(Ctx *c)
{
    int ret = sky_identity_load(&c->id, c->config_dir);
    if (ret < 0) {
        snprintf(c->err, sizeof(c->err), "no usable client identity (see above)");
        return ret;
    }
    SkyHostClientCfg hc = {c->config_dir, c->id, c->pos[0],
                           (int64_t)(c->host_opts.timeout_s * 1000), &g_cancel};
    return sky_host_client_open(&c->hc, &hc, c->err, sizeof(c->err));
}

/* unpair: with the host when it answers (it is told), else from the records alone. */
static int run_unpair_any(Ctx *c)
{
    int ret = open_host(c);
    if (ret == 0 && sky_host_client_known(c->hc))
        return run_unpair(c);
    if (ret < 0)
        SKY_LOGV(TAG, "host not reachable (%s); forgetting it from the records", c->err);
    c->err[0] = '\0';
    return unpair_offline(c);
}

const SkyVerb *sky_host_cmd_verb(size_t i)
{
    return i < sizeof(cmds) / sizeof(cmds[0]) ? &cmds[i].verb : NULL;
}

static void host_cmd_usage(const char *verb)
{
    const HostCmd *cmd = find_cmd(verb);
    if (!cmd)
        return;
    printf("Usage: skylight %s [OPTIONS]%s%s\n\n  %s\n", cmd->verb.name, cmd->args[0] ? " " : "",
           cmd->args, cmd->summary);
    if (cmd->contacts_host || cmd->run == run_unpair_any || cmd->run == run_wake)
        printf("\nHOST is a known host's name, or an address: NAME, IPv4, IPv6, with an optional\n"
               ":PORT (the host's HTTP port, 47989 by default; IPv6 with a port in brackets).\n");
    sky_cli_print_groups(stdout, &cmd->verb);
}

void sky_host_cmd_list(FILE *out)
{
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        char left[32];
        snprintf(left, sizeof(left), "%s %s", cmds[i].verb.name, cmds[i].args);
        fprintf(out, "  %-16s %s\n", left, cmds[i].summary);
    }
}

static int host_cmd_main(int argc, char **argv)
{
    Ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return 1;
    c->cmd = find_cmd(argv[0]);
    SkyCli *cli = NULL;
    bool help = false;
    int status = 1;
    int parsed = sky_cli_parse(&cli, &c->cmd->verb, c, argc, argv, c->pos, c->cmd->max_pos,
                               &c->npos, &help);
    sky_cli_destroy(&cli); /* host sections are for `stream` */
    if (parsed < 0) {
        status = 2;
        goto done;
    }
    if (help) {
        host_cmd_usage(c->cmd->verb.name);
        status = 0;
        goto done;
    }
    if (c->npos < c->cmd->min_pos) {
        fprintf(stderr, "skylight %s: missing %s (skylight %s --help)\n", c->cmd->verb.name,
                c->cmd->args, c->cmd->verb.name);
        status = 2;
        goto done;
    }
    if (sky_config_dir(c->config_dir, sizeof(c->config_dir)) < 0) {
        fprintf(stderr, "skylight: neither XDG_CONFIG_HOME nor HOME is set: nowhere to keep the "
                        "client identity\n");
        goto done;
    }
    sky_cli_on_quit_signals(on_signal);
    if (sky_http_global_init() < 0)
        goto done;
    IMG_Init(IMG_INIT_PNG); /* before any decoding (boxart.h) */
    int ret = c->cmd->contacts_host ? open_host(c) : 0;
    if (ret == 0)
        ret = c->cmd->run(c);
    if (ret < 0) {
        if (atomic_load(&g_cancel) && ret == SKY_ERR(ECANCELED))
            snprintf(c->err, sizeof(c->err), "%s cancelled", c->cmd->verb.name);
        fprintf(stderr, "skylight %s: %s\n", c->cmd->verb.name,
                c->err[0] ? c->err : sky_strerror(ret));
    } else {
        status = 0;
    }
    sky_host_client_destroy(&c->hc);
    sky_identity_destroy(&c->id);
    sky_http_global_cleanup();
    IMG_Quit();
done:
    free(c);
    return status;
}
