/* Writes the MD5 of every decoded picture in the format of `ffmpeg -f framemd5`, so a decode
 * can be compared bit for bit with FFmpeg's. The hash covers the picture's planes packed with
 * no padding, as FFmpeg's rawvideo does. */
#ifndef SKY_CLIENT_FRAME_MD5_H
#define SKY_CLIENT_FRAME_MD5_H

#include <libavutil/frame.h>
#include <libavutil/rational.h>

typedef struct SkyFrameMd5 SkyFrameMd5;

/* path "-" writes to stdout. Returns 0 or a negative errno (logged). */
int sky_frame_md5_open(SkyFrameMd5 **out, const char *path, AVRational time_base);
/* Appends one line for the picture (decoder thread). Returns 0 or a negative error. */
int sky_frame_md5_write(SkyFrameMd5 *m, const AVFrame *frame, int64_t pts, int64_t duration);
/* Flushes and closes; returns the first write error, if any. Accepts NULL. */
int sky_frame_md5_close(SkyFrameMd5 **m);

#endif
