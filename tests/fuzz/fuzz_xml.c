/* Fuzzes the bounded XML reader: whatever the input, parsing ends with a tree within the limits
 * or an error, and walking the tree is safe. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/core/error.h"
#include "common/core/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned walk(const SkyXmlNode *n, unsigned depth)
{
    unsigned count = 0;
    for (; n; n = sky_xml_next(n, NULL)) {
        SKY_ASSERT(depth <= 8); /* the limit below */
        count++;
        SKY_ASSERT(sky_xml_name(n) != NULL && sky_xml_text(n) != NULL);
        (void)sky_xml_attr(n, "status_code");
        count += walk(sky_xml_child(n, NULL), depth + 1);
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const SkyXmlLimits lim = {4096, 8, 200, 512};
    SkyXml *x = NULL;
    char err[128];
    int ret = sky_xml_parse(&x, (const char *)data, size, &lim, err, sizeof(err));
    if (ret == 0) {
        SKY_ASSERT(walk(sky_xml_root(x), 1) <= lim.max_nodes);
        sky_xml_destroy(&x);
    } else {
        SKY_ASSERT(x == NULL && err[0] != '\0');
    }
    return 0;
}
