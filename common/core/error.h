/* Error codes: every function returns 0 on success or a negative errno.
 * libavcodec's AVERROR values are negative errnos (or tags) too and pass through unchanged. */
#ifndef SKY_COMMON_ERROR_H
#define SKY_COMMON_ERROR_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define SKY_ERR(e) (-(e))

/* Programmer errors only. Facts about peer or file data are handled as errors, never asserted. */
#define SKY_ASSERT(cond)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond);      \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* The message for an error code: the system's for a negative errno (strerror's text), the
 * registered describer's for anything else (FFmpeg's for its AVERROR tags: the client and the
 * test host register av_strerror at start), else "error N". "success" for err >= 0. Never
 * NULL; thread-safe. The text may live in a per-thread buffer: valid until this thread's next
 * call. */
const char *sky_strerror(int err);

/* Describes codes that are not errnos, av_strerror's way: writes a message into buf and returns
 * 0 (or a negative value, buf still holding a generic text). Set once, before threads start;
 * common/ does not link FFmpeg itself. */
typedef int (*SkyErrorDescriber)(int err, char *buf, size_t size);
void sky_error_set_describer(SkyErrorDescriber fn);

#endif
