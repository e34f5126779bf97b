/* The logger: tagged, levelled, one write per line, rate-limited per-packet messages (log.h). */
#include "common/core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/core/error.h"

static _Atomic int g_level = SKY_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "verbose", "debug"};

void sky_log_set_level(SkyLogLevel level)
{
    atomic_store(&g_level, (int)level);
}

SkyLogLevel sky_log_get_level(void)
{
    return (SkyLogLevel)atomic_load(&g_level);
}

int sky_log_level_parse(const char *s, SkyLogLevel *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (SkyLogLevel)i;
            return 0;
        }
    }
    return SKY_ERR(EINVAL);
}

static void vlog(SkyLogLevel level, const char *tag, uint32_t suppressed, const char *fmt,
                 va_list ap) __attribute__((format(printf, 4, 0)));

static void vlog(SkyLogLevel level, const char *tag, uint32_t suppressed, const char *fmt,
                 va_list ap)
{
    char line[1024];
    int n = snprintf(line, sizeof(line), "[%s] %s: ", tag, level_names[level]);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    int m = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
    if (m > 0)
        len += (size_t)m < sizeof(line) - len ? (size_t)m : sizeof(line) - len - 1;
    /* Strip a trailing newline the caller may have added (before the suffix goes on), then
     * add exactly one at the end. */
    while (len > 0 && line[len - 1] == '\n')
        len--;
    if (suppressed && len < sizeof(line) - 1) {
        m = snprintf(line + len, sizeof(line) - len, " (%u similar suppressed)", suppressed);
        if (m > 0)
            len += (size_t)m < sizeof(line) - len ? (size_t)m : sizeof(line) - len - 1;
    }
    if (len >= sizeof(line) - 1)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    /* One write() keeps lines from different threads whole. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

void sky_log(SkyLogLevel level, const char *tag, const char *fmt, ...)
{
    if ((int)level > atomic_load(&g_level))
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, tag, 0, fmt, ap);
    va_end(ap);
}

void sky_log_limited(SkyLogLimit *lim, int64_t now_us, SkyLogLevel level, const char *tag,
                     const char *fmt, ...)
{
    if ((int)level > atomic_load(&g_level))
        return;
    if (lim->burst_left == 0 && now_us < lim->next_us) {
        lim->suppressed++;
        return;
    }
    if (lim->burst_left > 0)
        lim->burst_left--;
    lim->next_us = now_us + 1000000;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, tag, lim->suppressed, fmt, ap);
    va_end(ap);
    lim->suppressed = 0;
}
