/* The decoder's decisions after an error: resync or fall back to software (decode_policy.h). */
#include "common/media/decode_policy.h"

void sky_decode_policy_init(SkyDecodePolicy *p, const SkyDecodePolicyCfg *cfg, bool hw)
{
    *p = (SkyDecodePolicy){.cfg = *cfg, .hw = hw};
    if (p->cfg.max_hw_failures == 0)
        p->cfg.max_hw_failures = 1;
}

SkyDecodeAction sky_decode_policy_result(SkyDecodePolicy *p, int err)
{
    if (err >= 0) {
        p->hw_failures = 0;
        return SKY_DECODE_OK;
    }
    p->errors++;
    if (p->hw && ++p->hw_failures >= p->cfg.max_hw_failures) {
        p->fallbacks++;
        return SKY_DECODE_FALLBACK;
    }
    if (p->cfg.resync_on_error) {
        p->resyncs++;
        return SKY_DECODE_RESYNC;
    }
    return SKY_DECODE_OK;
}

void sky_decode_policy_fell_back(SkyDecodePolicy *p)
{
    p->hw = false;
    p->hw_failures = 0;
}
