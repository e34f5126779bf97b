/* skylight-testhost: options, stdin commands, signals, start and stop (docs/testhost.md).
 * Start: the streaming side (its ports must be known before the first /launch reply), then the
 * HTTP side. Stop: the host's stopping flag, the streaming side (a running stream is ended with
 * a termination message), the HTTP side. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

#include "common/proto/control.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/proto/pairing.h"
#include "tests/host/host.h"
#include "tests/host/impair/impair.h"
#include "tests/host/mdns.h"
#include "tests/host/pair.h"
#include "tests/host/proto/control_host.h"
#include "tests/host/server.h"
#include "tests/host/session.h"

#define TAG "testhost"
#define FIELD(f) offsetof(SkyThCfg, f), sizeof(((SkyThCfg *)0)->f)
#define INTF(f) offsetof(SkyThCfg, f), 0

const SkyOpt sky_th_opts_table[] = {
    {"bind", SKY_OPT_STRING, FIELD(bind), 0, 0, NULL, "127.0.0.1", "ADDR",
     "numeric address to listen on (\"::1\" for IPv6)"},
    {"http-port", SKY_OPT_INT, INTF(http_port), 0, 65535, NULL, "47989", "N",
     "plain HTTP port (0: any free port; see the ready line)"},
    {"https-port", SKY_OPT_INT, INTF(https_port), 0, 65535, NULL, "47984", "N",
     "HTTPS port (0: any free port)"},
    {"rtsp-port", SKY_OPT_INT, INTF(rtsp_port), 0, 65535, NULL, "48010", "N",
     "RTSP port (TCP; put into sessionUrl0; 0: any free port)"},
    {"video-port", SKY_OPT_INT, INTF(video_port), 0, 65535, NULL, "47998", "N",
     "video port (UDP; 0: any free port)"},
    {"audio-port", SKY_OPT_INT, INTF(audio_port), 0, 65535, NULL, "48000", "N",
     "audio port (UDP; 0: any free port)"},
    {"control-port", SKY_OPT_INT, INTF(control_port), 0, 65535, NULL, "47999", "N",
     "control port (UDP, ENet, IPv4; 0: any free port)"},
    {"state-dir", SKY_OPT_STRING, FIELD(state_dir), 0, 0, NULL, "", "DIR",
     "where the host identity and paired clients live (required)"},
    {"cert", SKY_OPT_STRING, FIELD(cert), 0, 0, NULL, "", "FILE",
     "host certificate to use instead of DIR/cert.pem (with --key)"},
    {"key", SKY_OPT_STRING, FIELD(key), 0, 0, NULL, "", "FILE",
     "host private key to use instead of DIR/key.pem (with --cert)"},
    {"hostname", SKY_OPT_STRING, FIELD(hostname), 0, 0, NULL, "skylight-testhost", "NAME",
     "host name in serverinfo"},
    {"appversion", SKY_OPT_STRING, FIELD(appversion), 0, 0, NULL, "7.1.431.-1", "V",
     "appversion in serverinfo (major >= 7: SHA-256 pairing, else SHA-1)"},
    {"gfe-version", SKY_OPT_STRING, FIELD(gfe_version), 0, 0, NULL, "3.23.0.74", "V",
     "GfeVersion in serverinfo"},
    {"codec-support", SKY_OPT_INT, INTF(codec_support), 0, 2147483647.0, NULL, "0x101", "N",
     "ServerCodecModeSupport (decimal or 0x hex; 0x101 = H.264 + HEVC)"},
    {"feature-flags", SKY_OPT_INT, INTF(feature_flags), 0, 3, NULL, "0", "N",
     "x-ss-general.featureFlags in DESCRIBE: 1 pen and touch, 2 gamepad touchpad and motion "
     "(0 as the recorded Sunshine v0.23 on Linux)"},
    {"rfi", SKY_OPT_BOOL, INTF(rfi), 0, 0, NULL, "false", NULL,
     "offer reference frame invalidation in DESCRIBE (as Sunshine with NVENC); an invalidation "
     "is answered with an IDR"},
    {"plain-rtsp", SKY_OPT_BOOL, INTF(plain_rtsp), 0, 0, NULL, "false", NULL,
     "answer /launch with rtsp:// (plain RTSP) whatever corever says, as Sunshine before v0.23"},
    {"mac", SKY_OPT_STRING, FIELD(mac), 0, 0, NULL, "02:00:00:00:00:01", "MAC",
     "MAC address sent to paired clients over HTTPS"},
    {"apps", SKY_OPT_STRING, FIELD(apps), 0, 0, NULL, "Desktop,Low Res Desktop,Steam Big Picture",
     "LIST", "comma-separated app titles, each optionally =ID"},
    {"boxart", SKY_OPT_STRING, FIELD(boxart), 0, 0, NULL, "", "LIST",
     "what /appasset sends per app, ID=MODE,...: png (its own picture, the default), default, "
     "empty, 404, broken, big (over 4 MiB), huge (8192x2 pixels), slow (no answer)"},
    {"pin", SKY_OPT_STRING, FIELD(pin), 0, 0, NULL, "", "NNNN",
     "answer pairing requests at once with this PIN (else wait for 'pin NNNN' on stdin)"},
    {"pin-timeout", SKY_OPT_INT, INTF(pin_timeout_s), 1, 86400, NULL, "120", "S",
     "seconds a pairing request waits for the PIN"},
    {"log-level", SKY_OPT_CHOICE, INTF(log_level), 0, 0, "error|warn|info|verbose|debug", "info",
     NULL, "how much to log (to stderr)"},
    {"video-encryption", SKY_OPT_CHOICE, INTF(video_encryption), 0, 0,
     "never|opportunistic|mandatory", "never", NULL,
     "Sunshine's encryption mode: offer video encryption (opportunistic), or require video and "
     "audio encryption (mandatory)"},
    {"fec-percent", SKY_OPT_INT, INTF(fec_percent), 0, 255, NULL, "20", "P",
     "video FEC parity, percent of the data shards"},
    {"ping-timeout", SKY_OPT_INT, INTF(ping_timeout_s), 1, 3600, NULL, "10", "S",
     "end a stream after S seconds without control traffic (or without the first pings)"},
    {"stream-seconds", SKY_OPT_INT, INTF(stream_seconds), 0, 86400 * 7, NULL, "0", "S",
     "end every stream S seconds after its first frame, as if the app quit (0: no limit)"},
    {"impair", SKY_OPT_STRING, FIELD(impair), 0, 0, NULL, "", "SPEC",
     "impair what the host sends (video, audio), e.g. loss=5%,delay=20ms (docs/testhost.md)"},
    {"impair-upstream", SKY_OPT_STRING, FIELD(impair_upstream), 0, 0, NULL, "", "SPEC",
     "impair what the host receives (pings; control: loss and corruption only)"},
    {"dump-video", SKY_OPT_STRING, FIELD(dump_video), 0, 0, NULL, "", "FILE",
     "write every access unit sent (Annex B .h264/.hevc, IVF for AV1); rewritten per stream"},
    {"video-file", SKY_OPT_STRING, FIELD(video_file), 0, 0, NULL, "", "FILE",
     "send this pre-encoded clip (looped; its codec must be the one asked for) instead of "
     "encoding the test pattern (benchmarks)"},
    {"sdr-display", SKY_OPT_BOOL, INTF(sdr_display), 0, 0, NULL, "false", NULL,
     "capture an SDR display: an HDR request (dynamicRangeMode 1) gets 10-bit SDR video and "
     "\"HDR off\", as Sunshine (default: an HDR display, BT.2020 PQ video and \"HDR on\")"},
    {"no-mastering-sei", SKY_OPT_BOOL, INTF(no_mastering_sei), 0, 0, NULL, "false", NULL,
     "HDR video without the mastering display in the bitstream: the HDR mode message alone "
     "carries it (as from encoders that write none)"},
    {"log-frames", SKY_OPT_BOOL, INTF(log_frames), 0, 0, NULL, "false", NULL,
     "a `frame` event per video frame sent"},
    {"stats", SKY_OPT_BOOL, INTF(stats), 0, 0, NULL, "false", NULL,
     "a `stats` event per second while streaming"},
    {"mdns", SKY_OPT_BOOL, INTF(mdns), 0, 0, NULL, "false", NULL,
     "answer mDNS queries for _nvstream._tcp.local on UDP port 5353 as Sunshine's published "
     "service does (an `mdns-answer` event each)"},
    SKY_OPT_END,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: skylight-testhost --state-dir DIR [options]\n"
            "A GameStream host (Sunshine v0.23 behaviour) for tests. Stdin commands:\n"
            "  pin NNNN        the PIN the user typed into the host (answers the waiting pairing)\n"
            "  quit-app        the app exits: the stream ends with a termination message\n"
            "  terminate CODE  end the stream with a termination message carrying CODE\n"
            "  drop            disconnect the stream's control peer without a message\n"
            "  rumble PAD LOW HIGH           rumble gamepad PAD (motor speeds 0..65535)\n"
            "  rumble-triggers PAD LEFT RIGHT  rumble its triggers\n"
            "  led PAD R G B                 set its LED colour\n"
            "  motion PAD accel|gyro HZ      ask for its motion reports (0 Hz: stop)\n"
            "  quit            stop\n"
            "Events (one line each) go to stdout; see docs/testhost.md.\n\noptions:\n");
    sky_opts_print_help(out, sky_th_opts_table);
}

static bool mac_ok(const char *m)
{
    if (strlen(m) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        char c = m[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (i % 3 == 2 ? c != ':' : !hex)
            return false;
    }
    return true;
}

/* Returns 0, 1 if --help was asked for, or a negative error (reported). */
static int parse_args(int argc, char **argv, SkyThCfg *cfg)
{
    char err[256];
    memset(cfg, 0, sizeof(*cfg)); /* fields outside the table (stream_ports_given) */
    int ret = sky_opts_defaults(sky_th_opts_table, cfg);
    SKY_ASSERT(ret == 0);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return 1;
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "skylight-testhost: unexpected argument '%s' (see --help)\n", a);
            return SKY_ERR(EINVAL);
        }
        char name[64];
        const char *eq = strchr(a + 2, '=');
        size_t n = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        if (n >= sizeof(name)) {
            fprintf(stderr, "skylight-testhost: unknown option '%.40s...'\n", a);
            return SKY_ERR(EINVAL);
        }
        memcpy(name, a + 2, n);
        name[n] = '\0';
        const SkyOpt *o = sky_opts_find(sky_th_opts_table, name);
        if (!o) {
            fprintf(stderr, "skylight-testhost: unknown option '--%s' (see --help)\n", name);
            return SKY_ERR(EINVAL);
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value && o->type != SKY_OPT_BOOL) {
            if (i + 1 >= argc) {
                fprintf(stderr, "skylight-testhost: --%s needs a value\n", name);
                return SKY_ERR(EINVAL);
            }
            value = argv[++i];
        }
        if (strcmp(name, "rtsp-port") == 0 || strcmp(name, "video-port") == 0 ||
            strcmp(name, "audio-port") == 0 || strcmp(name, "control-port") == 0)
            cfg->stream_ports_given = true;
        if ((ret = sky_opts_set(o, cfg, value, err, sizeof(err))) < 0) {
            fprintf(stderr, "skylight-testhost: %s\n", err);
            return ret;
        }
    }
    const char *bad = NULL;
    if (!cfg->state_dir[0])
        bad = "--state-dir is required";
    else if (cfg->pin[0] && sky_pair_pin_valid(cfg->pin) < 0)
        bad = "--pin must be 4 digits";
    else if (!mac_ok(cfg->mac))
        bad = "--mac must look like 02:00:00:00:00:01";
    else if (!cfg->hostname[0])
        bad = "--hostname must not be empty";
    else if (!!cfg->cert[0] != !!cfg->key[0])
        bad = "--cert and --key go together";
    SkyImpairCfg ic;
    if (!bad && sky_impair_parse(cfg->impair, &ic, err, sizeof(err)) < 0) {
        fprintf(stderr, "skylight-testhost: --impair: %s\n", err);
        return SKY_ERR(EINVAL);
    }
    if (!bad && sky_impair_parse(cfg->impair_upstream, &ic, err, sizeof(err)) < 0) {
        fprintf(stderr, "skylight-testhost: --impair-upstream: %s\n", err);
        return SKY_ERR(EINVAL);
    }
    if (bad) {
        fprintf(stderr, "skylight-testhost: %s\n", bad);
        return SKY_ERR(EINVAL);
    }
    return 0;
}

/* The stream commands: quit-app, terminate CODE, drop. Returns false if line is none of them. */
static bool stream_command(SkyThStream *st, const char *p)
{
    SkyThEnd how;
    uint32_t code = 0;
    if (strcmp(p, "quit-app") == 0) {
        how = SKY_TH_END_QUIT_APP;
    } else if (strcmp(p, "drop") == 0) {
        how = SKY_TH_END_DROP;
    } else if (strncmp(p, "terminate", 9) == 0 && (p[9] == ' ' || p[9] == '\t' || !p[9])) {
        const char *v = p + 9;
        while (*v == ' ' || *v == '\t')
            v++;
        char *end;
        errno = 0;
        unsigned long long c = strtoull(v, &end, 0);
        if (!*v || *end || errno || c > UINT32_MAX) {
            SKY_LOGW(TAG, "terminate: CODE is a 32-bit number (decimal or 0x hex); ignored");
            return true;
        }
        how = SKY_TH_END_TERMINATE;
        code = (uint32_t)c;
    } else {
        return false;
    }
    if (sky_th_stream_command(st, how, code) < 0)
        SKY_LOGW(TAG, "%s: no stream is running; ignored", p);
    return true;
}

/* The gamepad feedback commands: rumble, rumble-triggers, led, motion. Returns false if line is
 * none of them. */
static bool feedback_command(SkyThStream *st, const char *p)
{
    char word[32], kind[16];
    unsigned a, b, c, d;
    uint8_t msg[64];
    size_t len = 0;
    int ret = SKY_ERR(EINVAL);
    if (sscanf(p, "%31s", word) != 1)
        return false;
    if (strcmp(word, "rumble") == 0) {
        if (sscanf(p, "rumble %u %u %u", &a, &b, &c) == 3 && a < 65536 && b < 65536 && c < 65536) {
            SkyControlRumble r = {(uint16_t)a, (uint16_t)b, (uint16_t)c};
            ret = sky_control_build_rumble(&r, msg, sizeof(msg), &len);
        }
    } else if (strcmp(word, "rumble-triggers") == 0) {
        if (sscanf(p, "rumble-triggers %u %u %u", &a, &b, &c) == 3 && a < 65536 && b < 65536 &&
            c < 65536) {
            SkyControlTriggerRumble r = {(uint16_t)a, (uint16_t)b, (uint16_t)c};
            ret = sky_control_build_rumble_triggers(&r, msg, sizeof(msg), &len);
        }
    } else if (strcmp(word, "led") == 0) {
        if (sscanf(p, "led %u %u %u %u", &a, &b, &c, &d) == 4 && a < 65536 && b < 256 &&
            c < 256 && d < 256) {
            SkyControlLed l = {(uint16_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d};
            ret = sky_control_build_set_led(&l, msg, sizeof(msg), &len);
        }
    } else if (strcmp(word, "motion") == 0) {
        if (sscanf(p, "motion %u %15s %u", &a, kind, &b) == 3 && a < 65536 && b < 65536 &&
            (strcmp(kind, "accel") == 0 || strcmp(kind, "gyro") == 0)) {
            SkyControlMotionState m = {(uint16_t)a, (uint16_t)b, kind[0] == 'a' ? 1 : 2};
            ret = sky_control_build_motion_event(&m, msg, sizeof(msg), &len);
        }
    } else {
        return false;
    }
    if (ret < 0)
        SKY_LOGW(TAG, "%s: bad arguments (see --help); ignored", word);
    else if (sky_th_stream_send(st, msg, len) < 0)
        SKY_LOGW(TAG, "%s: no stream is running (or too many waiting); ignored", word);
    return true;
}

/* Runs one stdin command. Returns true if the host should stop. */
static bool command(SkyThHost *h, SkyThStream *st, char *line)
{
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        line[--n] = '\0';
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return false;
    if (strcmp(p, "quit") == 0) {
        SKY_LOGI(TAG, "quit: stopping");
        return true;
    }
    if (strncmp(p, "pin", 3) == 0 && (p[3] == ' ' || p[3] == '\t' || !p[3])) {
        char *pin = p + 3;
        while (*pin == ' ' || *pin == '\t')
            pin++;
        char uid[SKY_TH_UNIQUEID_MAX + 1] = "";
        int ret = sky_th_pair_enter_pin(h, pin, uid, sizeof(uid));
        if (ret == SKY_ERR(EINVAL))
            SKY_LOGW(TAG, "pin: a PIN is 4 digits; ignored");
        else if (ret == SKY_ERR(ENOENT))
            SKY_LOGW(TAG, "pin: no pairing waits for a PIN; ignored");
        else
            SKY_LOGI(TAG, "pin: entered for the pairing of %s", uid);
        return false;
    }
    if (stream_command(st, p) || feedback_command(st, p))
        return false;
    char shown[64];
    sky_th_sanitize(p, shown, sizeof(shown), true);
    SKY_LOGW(TAG, "unknown command '%s' (commands: pin NNNN, quit-app, terminate CODE, drop, rumble, "
             "rumble-triggers, led, motion, quit)",
             shown);
    return false;
}

/* Serves stdin commands and signals until one says stop. */
static void run(SkyThHost *h, SkyThStream *st, int sfd)
{
    char line[512];
    size_t len = 0;
    bool stdin_open = true, overlong = false;
    for (;;) {
        struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
        int n = poll(p, stdin_open ? 2 : 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            SKY_LOGE(TAG, "poll: %s", sky_strerror(SKY_ERR(errno)));
            return;
        }
        if (p[0].revents) {
            struct signalfd_siginfo si;
            ssize_t r = read(sfd, &si, sizeof(si));
            SKY_LOGI(TAG, "signal %d: stopping", r == (ssize_t)sizeof(si) ? (int)si.ssi_signo : 0);
            return;
        }
        if (!stdin_open || !p[1].revents)
            continue;
        ssize_t r = read(STDIN_FILENO, line + len, sizeof(line) - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            SKY_LOGV(TAG, "stdin closed; stdin commands end (signals still stop the host)");
            stdin_open = false;
            continue;
        }
        len += (size_t)r;
        for (;;) {
            char *nl = memchr(line, '\n', len);
            if (!nl)
                break;
            *nl = '\0';
            bool stop = !overlong && command(h, st, line);
            overlong = false;
            size_t used = (size_t)(nl - line) + 1;
            memmove(line, nl + 1, len - used);
            len -= used;
            if (stop)
                return;
        }
        if (len == sizeof(line) - 1) {
            SKY_LOGW(TAG, "stdin line over %zu bytes; ignored", sizeof(line) - 1);
            overlong = true;
            len = 0;
        }
    }
}

int main(int argc, char **argv)
{
    SkyThCfg cfg;
    SkyThHost host;
    SkyThServer *srv = NULL;
    SkyThStream *st = NULL;
    SkyThMdns *mdns = NULL;
    int ret = parse_args(argc, argv, &cfg);
    if (ret == 1) {
        usage(stdout);
        return 0;
    }
    if (ret < 0)
        return 2;
    if (cfg.plain_rtsp && cfg.video_encryption == 2) {
        fprintf(stderr, "skylight-testhost: --plain-rtsp and --video-encryption mandatory "
                        "exclude each other\n");
        return 2;
    }
    sky_log_set_level((SkyLogLevel)cfg.log_level);
    /* The encoders' own chatter: errors only (SVT-AV1 reads SVT_LOG; set before any thread). */
    av_log_set_level(cfg.log_level >= SKY_LOG_DEBUG ? AV_LOG_VERBOSE : AV_LOG_ERROR);
    sky_error_set_describer(av_strerror);
    setenv("SVT_LOG", cfg.log_level >= SKY_LOG_VERBOSE ? "3" : "1", 0);

    /* Signals arrive through a signalfd in this thread only; the threads started below inherit
     * the blocked mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) {
        SKY_LOGE(TAG, "signalfd: %s", sky_strerror(SKY_ERR(errno)));
        return 1;
    }
    if (sky_th_host_init(&host, &cfg) < 0) {
        close(sfd);
        return 1;
    }
    if (sky_th_stream_create(&st, &host) < 0 || sky_th_server_create(&srv, &host) < 0 ||
        (cfg.mdns && sky_th_mdns_start(&mdns, &host) < 0)) {
        sky_th_host_stop(&host);
        sky_th_stream_destroy(&st);
        sky_th_server_destroy(&srv);
        sky_th_host_cleanup(&host);
        close(sfd);
        return 1;
    }
    sky_th_event("ready http=%u https=%u rtsp=%u video=%u audio=%u control=%u", host.http_port,
                 host.https_port, host.rtsp_port, host.video_port, host.audio_port,
                 host.control_port);

    run(&host, st, sfd);

    sky_th_mdns_stop(&mdns); /* its goodbye first, as Sunshine's on exit */
    sky_th_host_stop(&host);
    sky_th_stream_destroy(&st);
    sky_th_server_destroy(&srv);
    sky_th_host_cleanup(&host);
    close(sfd);
    SKY_LOGI(TAG, "stopped");
    return 0;
}
