/* Lock-free single-producer single-consumer byte ring. One thread writes, one thread reads
 * (the audio callback); neither ever blocks or takes a lock. */
#ifndef SKY_COMMON_SPSC_H
#define SKY_COMMON_SPSC_H

#include <stddef.h>

typedef struct SkySpsc SkySpsc;

/* capacity_bytes is rounded up to a power of two. */
int sky_spsc_create(SkySpsc **out, size_t capacity_bytes);
void sky_spsc_destroy(SkySpsc **r);

size_t sky_spsc_capacity(const SkySpsc *r);
/* Producer: copies up to n bytes in, returns how many fit. */
size_t sky_spsc_write(SkySpsc *r, const void *src, size_t n);
/* Consumer: copies up to n bytes out, returns how many there were. */
size_t sky_spsc_read(SkySpsc *r, void *dst, size_t n);
/* Either side: bytes currently readable (a snapshot). */
size_t sky_spsc_fill(const SkySpsc *r);
/* Consumer: drops everything readable. */
void sky_spsc_clear(SkySpsc *r);

#endif
