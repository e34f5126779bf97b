/* skylight-embed-check: a launcher in small, for test_embed.py. One window (client/render)
 * that shows screen pictures without a pipeline and runs `skylight stream` inside itself
 * (sky_stream_run_embedded), as often as told, driven by lines on stdin:
 *
 *   screen 1|2   picture 1: the left half opaque red, the right half fully transparent;
 *                picture 2: the top half opaque green, the bottom half white at half alpha
 *   hide         no screen picture
 *   idle         loops 300 ms doing nothing and prints "idle redraws=N": how many turns had
 *                a redraw due (0: an idle launcher draws nothing)
 *   stream       runs the stream with the command line's arguments; prints "ended status=S
 *                failed=0|1 reason=TEXT"
 *   quit         ends
 *
 * Usage: skylight-embed-check sdl|placebo stream [OPTIONS] HOST [APP]
 * Test code only: not part of the product. */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL.h>

#include "client/render/render.h"
#include "client/stream.h"
#include "common/core/error.h"
#include "common/core/time.h"

static void show(SkyRender *r, int which)
{
    int w, h;
    sky_render_output_size(r, &w, &h);
    size_t stride = (size_t)w * 4 + 16; /* not packed: the stride is honoured */
    uint8_t *px = calloc((size_t)h, stride);
    if (!px)
        exit(1);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            uint8_t *p = px + (size_t)y * stride + (size_t)x * 4;
            static const uint8_t red[4] = {255, 0, 0, 255}, none[4] = {0, 0, 0, 0},
                                 green[4] = {0, 255, 0, 255}, white[4] = {255, 255, 255, 128};
            memcpy(p, which == 1 ? (x < w / 2 ? red : none) : (y < h / 2 ? green : white), 4);
        }
    }
    sky_render_set_screen(r, px, w, h, stride);
    free(px);
}

/* One turn of a launcher's loop: events, then draw if something changed. Returns whether a
 * redraw was due. */
static bool turn(SkyRender *r, bool *quit)
{
    SDL_Event ev;
    if (SDL_WaitEventTimeout(&ev, 20)) {
        do {
            if (ev.type == SDL_QUIT)
                *quit = true;
            else if (ev.type == SDL_WINDOWEVENT)
                sky_render_window_event(r, &ev.window);
        } while (SDL_PollEvent(&ev));
    }
    bool due = sky_render_redraw_due(r);
    int ret = sky_render_poll(r);
    if (ret < 0) {
        fprintf(stderr, "embed-check: drawing failed: %s\n", sky_strerror(ret));
        exit(1);
    }
    return due;
}

static bool read_line(char *line, size_t cap)
{
    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0)
        return false;
    if (!fgets(line, (int)cap, stdin))
        strcpy(line, "quit");
    line[strcspn(line, "\n")] = '\0';
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: skylight-embed-check sdl|placebo stream [OPTIONS] HOST\n");
        return 2;
    }
    setvbuf(stdin, NULL, _IONBF, 0);
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "embed-check: %s\n", SDL_GetError());
        return 1;
    }
    SkyRenderCfg rc = {
        .opts = {.width = 640, .height = 360, .vsync = true,
                 .renderer = strcmp(argv[1], "sdl") == 0 ? SKY_RENDERER_SDL : SKY_RENDERER_PLACEBO,
                 .gpu_api = SKY_GPU_API_OPENGL},
        .title = "Skylight launcher",
    };
    SkyRender *r;
    if (sky_render_create(&r, &rc) < 0)
        return 1;
    printf("ready\n");
    fflush(stdout);
    bool quit = false;
    char line[256];
    while (!quit) {
        turn(r, &quit);
        if (!read_line(line, sizeof(line)))
            continue;
        if (strncmp(line, "screen ", 7) == 0) {
            show(r, atoi(line + 7));
        } else if (strcmp(line, "hide") == 0) {
            sky_render_set_screen(r, NULL, 0, 0, 0);
        } else if (strcmp(line, "idle") == 0) {
            int due = 0;
            for (int64_t end = sky_time_us() + 300000; sky_time_us() < end;)
                due += turn(r, &quit);
            printf("idle redraws=%d\n", due);
        } else if (strcmp(line, "stream") == 0) {
            SkyStreamEmbed e = {.render = r};
            int status = sky_stream_run_embedded(argc - 2, argv + 2, &e);
            printf("ended status=%d failed=%d reason=%s\n", status, e.failed, e.reason);
        } else if (strcmp(line, "quit") == 0) {
            quit = true;
        }
        fflush(stdout);
    }
    sky_render_destroy(&r);
    SDL_Quit();
    return 0;
}
