/* Atomic file writes, capped reads, the config and cache directories (fsutil.h). */
#include "client/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/core/error.h"

int sky_mkdirs(const char *dir, mode_t mode)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(path))
        return SKY_ERR(EINVAL);
    memcpy(path, dir, n + 1);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, mode) != 0 && errno != EEXIST)
            return SKY_ERR(errno);
        *p = '/';
    }
    if (mkdir(path, mode) != 0 && errno != EEXIST)
        return SKY_ERR(errno);
    struct stat st;
    if (stat(path, &st) != 0)
        return SKY_ERR(errno);
    return S_ISDIR(st.st_mode) ? 0 : SKY_ERR(ENOTDIR);
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return SKY_ERR(errno);
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int sky_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    char tmp[4096 + 16];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return SKY_ERR(ENAMETOOLONG);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return SKY_ERR(errno);
    int ret = 0;
    if (fchmod(fd, mode) != 0)
        ret = SKY_ERR(errno);
    if (ret == 0)
        ret = write_all(fd, data, len);
    if (ret == 0 && fsync(fd) != 0)
        ret = SKY_ERR(errno);
    if (close(fd) != 0 && ret == 0)
        ret = SKY_ERR(errno);
    if (ret == 0 && rename(tmp, path) != 0)
        ret = SKY_ERR(errno);
    if (ret < 0) {
        unlink(tmp);
        return ret;
    }
    /* Make the rename itself durable. */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        int dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return 0;
}

int sky_read_file(const char *path, size_t max, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return SKY_ERR(errno);
    char *buf = malloc(max + 1);
    if (!buf) {
        fclose(f);
        return SKY_ERR(ENOMEM);
    }
    size_t n = fread(buf, 1, max + 1, f);
    int err = ferror(f) ? SKY_ERR(EIO) : 0;
    fclose(f);
    if (err == 0 && n > max)
        err = SKY_ERR(E2BIG);
    if (err < 0) {
        free(buf);
        return err;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

/* $VAR/skylight if VAR holds an absolute path, else $HOME/FALLBACK/skylight. */
static int xdg_dir(const char *var, const char *fallback, char *out, size_t cap)
{
    const char *xdg = getenv(var);
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, cap, "%s/skylight", xdg);
    else if (home && home[0])
        n = snprintf(out, cap, "%s/%s/skylight", home, fallback);
    else
        return SKY_ERR(ENOENT);
    return n < 0 || (size_t)n >= cap ? SKY_ERR(ENAMETOOLONG) : 0;
}

int sky_config_dir(char *out, size_t cap)
{
    return xdg_dir("XDG_CONFIG_HOME", ".config", out, cap);
}

int sky_cache_dir(char *out, size_t cap)
{
    return xdg_dir("XDG_CACHE_HOME", ".cache", out, cap);
}
