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

/* A static message for a negative errno. Never NULL. */
const char *sky_strerror(int err);

#endif
