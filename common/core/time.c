/* The monotonic microsecond clock and sleeping until a deadline (time.h). */
#define _POSIX_C_SOURCE 200809L
#include "common/core/time.h"

#include <errno.h>
#include <time.h>

int64_t sky_time_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void sky_sleep_until_us(int64_t deadline_us)
{
    if (deadline_us <= 0)
        return;
    struct timespec ts = {
        .tv_sec = (time_t)(deadline_us / 1000000),
        .tv_nsec = (long)(deadline_us % 1000000) * 1000,
    };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

void sky_sleep_us(int64_t us)
{
    if (us > 0)
        sky_sleep_until_us(sky_time_us() + us);
}
