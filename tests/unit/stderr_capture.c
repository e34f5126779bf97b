/* stderr into a temporary file and back (see stderr_capture.h). */
#include "tests/unit/stderr_capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char captured[16384];
static int saved_fd = -1;
static FILE *capture_file;

static void need(int ok, const char *what)
{
    if (!ok) {
        perror(what);
        abort();
    }
}

void tstderr_begin(void)
{
    fflush(stderr);
    capture_file = tmpfile();
    need(capture_file != NULL, "tmpfile");
    saved_fd = dup(STDERR_FILENO);
    need(saved_fd >= 0, "dup");
    need(dup2(fileno(capture_file), STDERR_FILENO) >= 0, "dup2");
}

const char *tstderr_end(void)
{
    fflush(stderr);
    need(dup2(saved_fd, STDERR_FILENO) >= 0, "dup2");
    close(saved_fd);
    saved_fd = -1;
    rewind(capture_file);
    size_t n = fread(captured, 1, sizeof(captured) - 1, capture_file);
    captured[n] = '\0';
    fclose(capture_file);
    capture_file = NULL;
    return captured;
}
