/* `skylight stream HOST [APP]`: launch (or resume) an app and play it. */
#ifndef SKY_CLIENT_STREAM_H
#define SKY_CLIENT_STREAM_H

/* Runs the verb (argv[0] is "stream"). Returns the exit status: 0 the stream ended normally
 * (the user, the host's app, --duration, --dry-run), 1 it failed, 2 usage errors. */
int sky_stream_main(int argc, char **argv);
void sky_stream_usage(void);

#endif
