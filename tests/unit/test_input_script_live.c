/* Unit tests of client/input/input_script's live mode: a FIFO given to sky_input_script_load
 * is read line by line as it is written, each line's time counting from its step; a line
 * written in pieces waits for its end; a bad line is skipped; the writer going away ends
 * nothing; the deadline and the fd say when to step next. SDL's event queue alone (no video):
 * the posted key events are read back from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <SDL.h>

#include "client/input/input_script.h"

#define MS 1000

static char g_dir[256];
static char g_fifo[300];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/sky-live-XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    snprintf(g_fifo, sizeof(g_fifo), "%s/live.fifo", g_dir);
    assert_int_equal(mkfifo(g_fifo, 0600), 0);
    assert_int_equal(SDL_InitSubSystem(SDL_INIT_EVENTS), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    SDL_QuitSubSystem(SDL_INIT_EVENTS);
    unlink(g_fifo);
    rmdir(g_dir);
    return 0;
}

static void put(int fd, const char *text)
{
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* The next key event posted: its scancode, negative for a release; 0 if none. SDL's queue is
 * drained whole each time (SDL 2.26 ends a polling pass at a marker it queues, so events posted
 * after a pass left unfinished would wait behind it), the keys kept here. */
static int next_key(void)
{
    static int keys[64];
    static int n, first;
    SDL_Event ev;
    while (SDL_PollEvent(&ev))
        if ((ev.type == SDL_KEYDOWN || ev.type == SDL_KEYUP) && n < 64)
            keys[n++] = ev.type == SDL_KEYDOWN ? (int)ev.key.keysym.scancode
                                               : -(int)ev.key.keysym.scancode;
    if (first == n) {
        first = n = 0;
        return 0;
    }
    return keys[first++];
}

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void test_live_fifo(void **state)
{
    (void)state;
    SkyInputScript *s = NULL;
    assert_int_equal(sky_input_script_load(&s, g_fifo, 0), 0);
    int fd = sky_input_script_fd(s);
    assert_true(fd >= 0);
    assert_false(readable(fd));
    assert_int_equal(sky_input_script_deadline(s), INT64_MAX);
    int w = open(g_fifo, O_WRONLY | O_NONBLOCK); /* the script holds the reading side */
    assert_true(w >= 0);

    /* A line at once, one 100 ms after it was read. */
    put(w, "0 key down A\n100 key up A\n");
    assert_true(readable(fd));
    assert_false(sky_input_script_step(s, 1000 * MS));
    assert_int_equal(next_key(), SDL_SCANCODE_A);
    assert_int_equal(next_key(), 0);
    assert_int_equal(sky_input_script_deadline(s), 1100 * MS);
    assert_false(sky_input_script_step(s, 1099 * MS));
    assert_int_equal(next_key(), 0);
    assert_false(sky_input_script_step(s, 1100 * MS));
    assert_int_equal(next_key(), -SDL_SCANCODE_A);
    assert_int_equal(sky_input_script_deadline(s), INT64_MAX);

    /* Times count from the step that read the line, not from the start. */
    put(w, "50 key down B\n");
    assert_false(sky_input_script_step(s, 5000 * MS));
    assert_int_equal(sky_input_script_deadline(s), 5050 * MS);
    /* A later line due earlier runs first. */
    put(w, "0 key down C\n");
    assert_false(sky_input_script_step(s, 5010 * MS));
    assert_int_equal(next_key(), SDL_SCANCODE_C);
    assert_false(sky_input_script_step(s, 5050 * MS));
    assert_int_equal(next_key(), SDL_SCANCODE_B);

    /* A line in pieces waits for its end; a bad line is skipped, the next one runs. */
    put(w, "0 key do");
    assert_false(sky_input_script_step(s, 6000 * MS));
    assert_int_equal(next_key(), 0);
    put(w, "wn D\n0 key sideways E\n0 key up D\n");
    assert_false(sky_input_script_step(s, 6001 * MS));
    assert_int_equal(next_key(), SDL_SCANCODE_D);
    assert_int_equal(next_key(), -SDL_SCANCODE_D);
    assert_int_equal(next_key(), 0);

    /* No writer left: no end of file, nothing readable, nothing due, still not over. */
    close(w);
    assert_false(readable(fd));
    for (int i = 0; i < 3; i++)
        assert_false(sky_input_script_step(s, (7000 + i) * MS));
    w = open(g_fifo, O_WRONLY | O_NONBLOCK);
    assert_true(w >= 0);
    put(w, "0 key down F\n");
    assert_false(sky_input_script_step(s, 8000 * MS));
    assert_int_equal(next_key(), SDL_SCANCODE_F);
    close(w);
    sky_input_script_destroy(&s);
    assert_null(s);
}

/* A script read at once has no fd and runs out. */
static void test_file_has_no_fd(void **state)
{
    (void)state;
    char path[320];
    snprintf(path, sizeof(path), "%s/script.txt", g_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("10 key down A\n20 key up A\n", f);
    assert_int_equal(fclose(f), 0);
    SkyInputScript *s = NULL;
    assert_int_equal(sky_input_script_load(&s, path, 0), 0);
    assert_int_equal(sky_input_script_fd(s), -1);
    assert_int_equal(sky_input_script_deadline(s), 0); /* the first step starts the clock */
    assert_false(sky_input_script_step(s, 1000 * MS));
    assert_int_equal(sky_input_script_deadline(s), 1010 * MS);
    assert_true(sky_input_script_step(s, 1020 * MS));
    assert_int_equal(next_key(), SDL_SCANCODE_A);
    assert_int_equal(next_key(), -SDL_SCANCODE_A);
    assert_int_equal(sky_input_script_deadline(s), INT64_MAX);
    sky_input_script_destroy(&s);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_fifo),
        cmocka_unit_test(test_file_has_no_fd),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
