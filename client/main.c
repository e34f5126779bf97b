/* skylight: entry point and verb dispatch. */
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/log.h>
#include <opus.h>
#include <SDL.h>

#include "client/cli.h"
#include "client/host/host_cmds.h"
#include "client/play.h"
#include "client/stream.h"
#include "common/core/error.h"
#include "common/core/log.h"

static void print_version(void)
{
    SDL_version sdl;
    SDL_GetVersion(&sdl);
    printf("skylight %s\n", SKY_VERSION);
    printf("  libavcodec %s, SDL %d.%d.%d, %s\n", AV_STRINGIFY(LIBAVCODEC_VERSION), sdl.major,
           sdl.minor, sdl.patch, opus_get_version_string());
}

static void print_help(void)
{
    printf("Usage: skylight [--version] [--help] VERB [OPTIONS] [ARGS]\n\n"
           "Skylight is a low-latency GameStream (Sunshine) client.\n\n"
           "Verbs:\n");
    sky_host_cmd_list(stdout);
    printf("  %-16s %s\n", "stream HOST [APP]",
           "launch (or resume) an app and play it (APP: id or name; default: the running\n"
           "                   one, else Desktop)");
    printf("  %-16s %s\n", "play FILE",
           "play a local H.264/HEVC/AV1 file through the streaming pipeline (checks the\n"
           "                   decoder, renderer and audio set-up without a host)");
    printf("  %-16s %s\n\n", "help VERB", "the options of a verb");
    printf(
           "Every verb takes --log-level=error|warn|info|verbose|debug and --config=FILE.\n"
           "Options can also be set in $XDG_CONFIG_HOME/skylight/skylight.conf as\n"
           "'option = value' lines. 'skylight VERB --help' lists a verb's options with defaults.\n");
}

/* FFmpeg's messages go through our logger, a level lower than FFmpeg gives them: probing
 * hardware decoders makes FFmpeg report errors that are expected. */
static void av_log_forward(void *avcl, int level, const char *fmt, va_list vl)
{
    static _Thread_local int print_prefix = 1;
    SkyLogLevel ours = level <= AV_LOG_FATAL     ? SKY_LOG_ERROR
                       : level <= AV_LOG_WARNING ? SKY_LOG_VERBOSE
                                                 : SKY_LOG_DEBUG;
    if ((int)ours > (int)sky_log_get_level())
        return;
    char line[1024];
    av_log_format_line2(avcl, level, fmt, vl, line, sizeof(line), &print_prefix);
    sky_log(ours, "ffmpeg", "%s", line);
}

int main(int argc, char **argv)
{
    av_log_set_callback(av_log_forward);
    sky_error_set_describer(av_strerror);
    if (argc < 2) {
        print_help();
        return 2;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "--version") == 0 || strcmp(verb, "version") == 0) {
        print_version();
        return 0;
    }
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        print_help();
        return 0;
    }
    if (strcmp(verb, "help") == 0) {
        if (argc > 2 && strcmp(argv[2], "play") == 0)
            sky_play_usage();
        else if (argc > 2 && strcmp(argv[2], "stream") == 0)
            sky_stream_usage();
        else if (argc > 2 && sky_host_cmd_exists(argv[2]))
            sky_host_cmd_usage(argv[2]);
        else
            print_help();
        return 0;
    }
    if (strcmp(verb, "play") == 0)
        return sky_play_main(argc - 1, argv + 1);
    if (strcmp(verb, "stream") == 0)
        return sky_stream_main(argc - 1, argv + 1);
    if (sky_host_cmd_exists(verb))
        return sky_host_cmd_main(argc - 1, argv + 1);
    fprintf(stderr, "skylight: unknown verb '%s' (see skylight --help)\n", verb);
    return 2;
}
