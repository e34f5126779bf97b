/* Fuzzes the test host's impairment spec parser (tests/host/impair/impair.h). Whatever it accepts
 * must pass the configuration check and drive the model without breaking its promises on a short
 * run. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "tests/host/impair/impair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1);
    if (!spec)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';

    SkyImpairCfg cfg;
    char err[160];
    err[0] = '\0';
    int ret = sky_impair_parse(spec, &cfg, err, sizeof(err));
    free(spec);
    if (ret < 0) {
        SKY_ASSERT(ret == SKY_ERR(EINVAL) || ret == SKY_ERR(ERANGE));
        SKY_ASSERT(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
        return 0;
    }
    SKY_ASSERT(sky_impair_cfg_check(&cfg, NULL, 0) == 0);

    SkyImpair *imp = NULL;
    SKY_ASSERT(sky_impair_create(&imp, &cfg) == 0);
    int64_t last = INT64_MIN;
    for (int i = 0; i < 64; i++) {
        size_t len = (size_t)(i * 97) % 1500;
        int64_t now = i * 333LL;
        SkyImpairOut o;
        SkyImpairVerdict v = sky_impair_packet(imp, len, now, &o);
        if (v == SKY_IMPAIR_DROP) {
            SKY_ASSERT(o.drop_cause != SKY_IMPAIR_DROP_NONE);
            continue;
        }
        SKY_ASSERT(o.drop_cause == SKY_IMPAIR_DROP_NONE);
        SKY_ASSERT(o.deliver_at_us >= now);
        SKY_ASSERT(!o.corrupt || o.corrupt_bit < len * 8);
        if (cfg.keep_order)
            SKY_ASSERT(o.deliver_at_us >= last);
        last = o.deliver_at_us > last ? o.deliver_at_us : last;
        if (v == SKY_IMPAIR_DELIVER_DUP) {
            SKY_ASSERT(o.dup_deliver_at_us >= now);
            if (cfg.keep_order)
                SKY_ASSERT(o.dup_deliver_at_us >= o.deliver_at_us);
            last = o.dup_deliver_at_us > last ? o.dup_deliver_at_us : last;
        }
    }
    SkyImpairStats st;
    sky_impair_get_stats(imp, &st);
    SKY_ASSERT(st.offered == 64);
    SKY_ASSERT(st.delivered + st.dropped_queue + st.dropped_random + st.dropped_burst == 64);
    sky_impair_destroy(&imp);
    SKY_ASSERT(imp == NULL);
    return 0;
}
