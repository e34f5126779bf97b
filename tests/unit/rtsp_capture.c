/* Test helper: reads a decrypted RTSP exchange of the recorded sessions (rtsp_capture.h). */
#include "rtsp_capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *trtsp_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *bigger = realloc(buf, 2 * cap + 1);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

static const char *find(const char *hay, const char *end, const char *needle)
{
    size_t m = strlen(needle);
    for (const char *p = hay; p + m <= end; p++)
        if (memcmp(p, needle, m) == 0)
            return p;
    return NULL;
}

bool trtsp_load(const char *data_dir, const char *name, TRtspCapture *c)
{
    memset(c, 0, sizeof(*c));
    char path[512];
    snprintf(path, sizeof(path), "%s/captures/%s", data_dir, name);
    c->file = trtsp_read_file(path, &c->file_len);
    if (!c->file)
        return false;
    const char *p = c->file, *end = c->file + c->file_len;
    while (p < end) {
        if (c->n == TRTSP_MAX_MSGS || strncmp(p, "==== ", 5) != 0)
            return false;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return false;
        TRtspMsg *m = &c->msgs[c->n];
        unsigned seq;
        char who[16];
        if (sscanf(p, "==== %15[a-z], encryption seq %u", who, &seq) != 2)
            return false;
        m->from_client = strcmp(who, "client") == 0;
        m->seq = seq;
        m->text = nl + 1;
        const char *next = find(m->text, end, "\n==== ");
        const char *stop = next ? next : end - 1;
        if (stop < m->text || *stop != '\n')
            return false;
        m->len = (size_t)(stop - m->text);
        c->n++;
        p = next ? next + 1 : end;
    }
    return c->n > 0;
}

void trtsp_free(TRtspCapture *c)
{
    free(c->file);
    memset(c, 0, sizeof(*c));
}
