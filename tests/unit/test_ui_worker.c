/* Unit tests of client/ui/worker: results come back tagged and wake the main thread once; a
 * host that refuses is an error, not a hang; a job stuck on a host that never answers is
 * cancelled at once; the queue is bounded; destroying with work in flight is clean. Only
 * loopback is used: a closed port, and a listening socket that never answers. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <SDL.h>
#include <cmocka.h>

#include "client/host/http.h"
#include "client/host/identity.h"
#include "client/ui/worker.h"
#include "common/core/error.h"
#include "common/core/time.h"

static char g_dir[64];
static SkyIdentity *g_id;
static uint32_t g_event;

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/sky-worker-XXXXXX");
    if (!mkdtemp(g_dir) || sky_http_global_init() < 0 || SDL_Init(SDL_INIT_EVENTS) < 0)
        return -1;
    g_event = SDL_RegisterEvents(1);
    return sky_identity_load(&g_id, g_dir);
}

static int teardown(void **state)
{
    (void)state;
    sky_identity_destroy(&g_id);
    SDL_Quit();
    sky_http_global_cleanup();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A loopback port: listening but never accepting (listen), or closed (!listen). */
static int loopback_port(bool listen_too, int *fd_out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    if (listen_too) {
        assert_int_equal(listen(fd, 8), 0);
        *fd_out = fd;
    } else {
        close(fd); /* nobody there: connections are refused */
    }
    return ntohs(a.sin_port);
}

static SkyWorker *make(int64_t timeout_ms)
{
    SkyWorker *w = NULL;
    SkyWorkerCfg cfg = {g_dir, "", g_id, timeout_ms, g_event};
    assert_int_equal(sky_worker_create(&w, &cfg), 0);
    return w;
}

/* Waits up to timeout_us for one result (as the launcher does: the SDL event, then take). */
static bool wait_result(SkyWorker *w, SkyJobResult *r, int64_t timeout_us)
{
    int64_t end = sky_time_us() + timeout_us;
    while (sky_time_us() < end) {
        if (sky_worker_take(w, r))
            return true;
        SDL_Event ev;
        SDL_WaitEventTimeout(&ev, 50);
    }
    return false;
}

static void test_refused(void **state)
{
    (void)state;
    SkyWorker *w = make(5000);
    SkyJob job = {.kind = SKY_JOB_POLL, .tag = 7};
    snprintf(job.host, sizeof(job.host), "127.0.0.1:%d", loopback_port(false, NULL));
    SDL_FlushEvents(SDL_FIRSTEVENT, SDL_LASTEVENT);
    assert_int_equal(sky_worker_submit(w, &job), 0);
    SkyJobResult r;
    assert_true(wait_result(w, &r, 20000000));
    assert_int_equal(r.tag, 7);
    assert_int_equal(r.kind, SKY_JOB_POLL);
    assert_true(r.ret < 0);
    assert_true(r.err[0] != '\0');
    assert_false(r.have_info);
    sky_job_result_clear(&r);
    /* The wake-up came as an SDL event of the configured type, once. */
    SDL_PumpEvents();
    assert_true(SDL_PeepEvents(NULL, 0, SDL_PEEKEVENT, g_event, g_event) <= 1);
    assert_false(sky_worker_take(w, &r));
    sky_worker_destroy(&w);
    assert_null(w);
}

static void test_cancel(void **state)
{
    (void)state;
    int fd = -1;
    int port = loopback_port(true, &fd);
    SkyWorker *w = make(60000); /* far longer than the test waits */
    SkyJob job = {.kind = SKY_JOB_APPS, .tag = 9};
    snprintf(job.host, sizeof(job.host), "127.0.0.1:%d", port);
    assert_int_equal(sky_worker_submit(w, &job), 0);
    sky_sleep_us(300000); /* running: connected, waiting for an answer that never comes */
    int64_t t0 = sky_time_us();
    sky_worker_cancel(w, 9);
    SkyJobResult r;
    assert_true(wait_result(w, &r, 10000000));
    assert_int_equal(r.tag, 9);
    assert_int_equal(r.ret, SKY_ERR(ECANCELED));
    assert_true(sky_time_us() - t0 < 10000000);
    sky_job_result_clear(&r);

    /* Jobs that wait are dropped by a cancel, and a full queue refuses more. */
    SkyJob stuck = job;
    stuck.tag = 1;
    for (int i = 0; i < SKY_WORKER_THREADS; i++)
        assert_int_equal(sky_worker_submit(w, &stuck), 0); /* every thread busy */
    sky_sleep_us(300000);
    job.tag = 2;
    int queued = 0;
    while (sky_worker_submit(w, &job) == 0)
        queued++;
    assert_int_equal(queued, SKY_WORKER_QUEUE);
    assert_int_equal(sky_worker_submit(w, &job), SKY_ERR(EAGAIN));
    sky_worker_cancel(w, 2);
    assert_int_equal(sky_worker_submit(w, &job), 0); /* room again */
    /* Destroyed with every thread stuck and jobs waiting: it cancels, joins, frees. */
    t0 = sky_time_us();
    sky_worker_destroy(&w);
    assert_true(sky_time_us() - t0 < 10000000);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
