/* Fuzzes the test host's HTTP request parser: requests come from whatever connects to it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "tests/host/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SkyThReq g_req; /* large: not on the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > SKY_TH_REQ_MAX + 64)
        return 0;
    size_t head = sky_th_req_head_len((const char *)data, size);
    SKY_ASSERT(head <= size);
    if (head && sky_th_req_parse(&g_req, (const char *)data, head) == 0) {
        SKY_ASSERT(strcmp(g_req.method, "GET") == 0 && g_req.n_args <= SKY_TH_MAX_ARGS);
        for (size_t i = 0; i < g_req.n_args; i++) {
            SKY_ASSERT(strlen(g_req.args[i].value) == g_req.args[i].value_len);
            SKY_ASSERT(sky_th_req_arg(&g_req, g_req.args[i].name) != NULL);
        }
    }
    return 0;
}
