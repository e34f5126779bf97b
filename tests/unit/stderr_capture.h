/* For tests of what goes to stderr (the logger writes there): redirects it into a temporary
 * file and gives back what was written. */
#ifndef SKY_TESTS_STDERR_CAPTURE_H
#define SKY_TESTS_STDERR_CAPTURE_H

/* Starts redirecting stderr (file descriptor 2). Not nested. */
void tstderr_begin(void);
/* Restores stderr and returns what was written since tstderr_begin(), NUL-terminated (the
 * first 16 KiB; the buffer is static and valid until the next call). */
const char *tstderr_end(void);

#endif
