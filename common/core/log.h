/* Logging: one line per message, tagged by module, filtered by level.
 * Thread-safe: each message is formatted into one buffer and written with a single call. */
#ifndef SKY_COMMON_LOG_H
#define SKY_COMMON_LOG_H

#include <stdint.h>

typedef enum SkyLogLevel {
    SKY_LOG_ERROR = 0,
    SKY_LOG_WARN = 1,
    SKY_LOG_INFO = 2,
    SKY_LOG_VERBOSE = 3,
    SKY_LOG_DEBUG = 4,
} SkyLogLevel;

void sky_log_set_level(SkyLogLevel level);
SkyLogLevel sky_log_get_level(void);
/* Parses "error|warn|info|verbose|debug". Returns 0 or SKY_ERR(EINVAL). */
int sky_log_level_parse(const char *s, SkyLogLevel *out);

void sky_log(SkyLogLevel level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Rate limiter for per-packet messages: at most `burst` messages, then one per `interval_us`.
 * The number suppressed since the last printed message is appended to the next one. */
typedef struct SkyLogLimit {
    int64_t next_us;
    uint32_t burst_left;
    uint32_t suppressed;
} SkyLogLimit;

#define SKY_LOG_LIMIT_INIT {0, 5, 0}

void sky_log_limited(SkyLogLimit *lim, int64_t now_us, SkyLogLevel level, const char *tag,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define SKY_LOGE(tag, ...) sky_log(SKY_LOG_ERROR, tag, __VA_ARGS__)
#define SKY_LOGW(tag, ...) sky_log(SKY_LOG_WARN, tag, __VA_ARGS__)
#define SKY_LOGI(tag, ...) sky_log(SKY_LOG_INFO, tag, __VA_ARGS__)
#define SKY_LOGV(tag, ...) sky_log(SKY_LOG_VERBOSE, tag, __VA_ARGS__)
#define SKY_LOGD(tag, ...) sky_log(SKY_LOG_DEBUG, tag, __VA_ARGS__)

#endif
