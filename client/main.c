/* skylight: entry point and verb dispatch. */
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/log.h>
#include <opus.h>
#include <SDL.h>

#include "client/cli.h"
#include "client/host/host_cmds.h"
#include "client/ui/launcher.h"
#include "client/verbs.h"
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
    printf("Usage: skylight [--version] [--help] [VERB] [OPTIONS] [ARGS]\n\n"
           "Skylight is a low-latency GameStream (Sunshine) client. With no verb it opens the\n"
           "launcher (skylight ui).\n\n"
           "Verbs:\n");
    sky_host_cmd_list(stdout);
    printf("  %-16s %s\n", "stream HOST [APP]",
           "launch (or resume) an app and play it (APP: id or name; default: the running\n"
           "                   one, else Desktop)");
    printf("  %-16s %s\n", "play FILE",
           "play a local H.264/HEVC/AV1 file through the streaming pipeline (checks the\n"
           "                   decoder, renderer and audio set-up without a host)");
    printf("  %-16s %s\n", "ui", "the launcher: hosts, pairing, apps and settings on a screen\n"
                                 "                   driven by gamepad, keyboard, mouse or touch");
    printf("  %-16s %s\n\n", "help VERB", "the options of a verb");
    printf("Every verb takes --log-level=error|warn|info|verbose|debug and --config=FILE.\n"
           "Options can also be set in $XDG_CONFIG_HOME/skylight/skylight.conf as\n"
           "'option = value' lines, one file for every verb (a verb skips the others' options),\n"
           "and per host in [host NAME] sections (for stream). The command line wins.\n"
           "'skylight VERB --help' lists a verb's options with defaults.\n");
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
    if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--version") != 0 &&
                     strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0)) {
        /* No verb: the launcher, with the options given (argv[0] stands for the verb). */
        char *name = argv[0];
        argv[0] = "ui";
        int status = sky_ui_verb.main(argc, argv);
        argv[0] = name;
        return status;
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
        const SkyVerb *v = argc > 2 ? sky_verb_find(argv[2]) : NULL;
        if (v)
            v->usage(v->name);
        else
            print_help();
        return 0;
    }
    const SkyVerb *v = sky_verb_find(verb);
    if (v)
        return v->main(argc - 1, argv + 1);
    SkySuggest near;
    sky_suggest_init(&near, verb);
    for (size_t i = 0; sky_verb_at(i); i++)
        sky_suggest_offer(&near, sky_verb_at(i)->name);
    if (sky_suggest_result(&near))
        fprintf(stderr, "skylight: unknown verb '%s' (did you mean '%s'?)\n", verb,
                sky_suggest_result(&near));
    else
        fprintf(stderr, "skylight: unknown verb '%s' (see skylight --help)\n", verb);
    return 2;
}
