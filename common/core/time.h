/* Monotonic time in microseconds. Code that decides something takes now_us as an argument;
 * only the edges (threads, pacing) read the clock. */
#ifndef SKY_COMMON_TIME_H
#define SKY_COMMON_TIME_H

#include <stdint.h>

int64_t sky_time_us(void);
/* Sleeps until the monotonic clock reaches deadline_us (returns at once if it has passed). */
void sky_sleep_until_us(int64_t deadline_us);
void sky_sleep_us(int64_t us);

#endif
