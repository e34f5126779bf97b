/* `skylight play FILE`: the media pipeline on a local file (see source_file.h). */
#ifndef SKY_CLIENT_PLAY_H
#define SKY_CLIENT_PLAY_H

/* Runs the verb with its arguments (argv[0] is "play"). Returns the process exit status:
 * 0 done, 1 runtime error, 2 usage error. */
int sky_play_main(int argc, char **argv);
void sky_play_usage(void);

#endif
