/* Files written so that a crash or a full disk never leaves a half-written one behind: write a
 * temporary file beside the target, fsync it, rename it over the target, fsync the directory. */
#ifndef SKY_CLIENT_FSUTIL_H
#define SKY_CLIENT_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Creates dir and its missing parents with `mode`. Returns 0 or a negative errno. */
int sky_mkdirs(const char *dir, mode_t mode);
/* Replaces path with data atomically; the file gets `mode` (e.g. 0600 for keys). */
int sky_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Reads a whole file of at most max bytes into a malloc'd, NUL-terminated buffer.
 * SKY_ERR(ENOENT) if it does not exist, SKY_ERR(E2BIG) if it is larger than max. */
int sky_read_file(const char *path, size_t max, char **data, size_t *len);
/* $XDG_CONFIG_HOME/skylight, else $HOME/.config/skylight. SKY_ERR(ENOENT) if neither is set. */
int sky_config_dir(char *out, size_t cap);
/* $XDG_CACHE_HOME/skylight, else $HOME/.cache/skylight (what can be fetched again: box art).
 * SKY_ERR(ENOENT) if neither is set. */
int sky_cache_dir(char *out, size_t cap);

#endif
