/* Unit tests for common/core/xml: the bounded XML reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/core/error.h"
#include "common/core/xml.h"

static SkyXml *parse_ok(const char *s)
{
    SkyXml *x = NULL;
    char err[128];
    int ret = sky_xml_parse(&x, s, strlen(s), NULL, err, sizeof(err));
    if (ret != 0)
        fail_msg("parse failed: %s", err);
    return x;
}

static int parse_err(const char *s, const SkyXmlLimits *lim)
{
    SkyXml *x = (SkyXml *)1;
    char err[128];
    int ret = sky_xml_parse(&x, s, strlen(s), lim, err, sizeof(err));
    assert_null(x);
    assert_true(ret < 0);
    assert_true(err[0] != '\0');
    return ret;
}

static void test_tree(void **state)
{
    (void)state;
    SkyXml *x = parse_ok("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                         "<root status_code=\"200\" status_message=\"a &amp; b\">"
                         "<a>one</a><b x=\"1\">two<c>inner</c>more</b><a>three</a><empty/>"
                         "</root>");
    const SkyXmlNode *r = sky_xml_root(x);
    assert_string_equal(sky_xml_name(r), "root");
    assert_string_equal(sky_xml_attr(r, "status_code"), "200");
    assert_string_equal(sky_xml_attr(r, "status_message"), "a & b");
    assert_null(sky_xml_attr(r, "nope"));
    const SkyXmlNode *a = sky_xml_child(r, "a");
    assert_string_equal(sky_xml_text(a), "one");
    const SkyXmlNode *a2 = sky_xml_next(a, "a");
    assert_non_null(a2);
    assert_string_equal(sky_xml_text(a2), "three");
    assert_null(sky_xml_next(a2, "a"));
    const SkyXmlNode *b = sky_xml_next(a, NULL);
    assert_string_equal(sky_xml_name(b), "b");
    /* An element's own text excludes its children's. */
    assert_string_equal(sky_xml_text(b), "twomore");
    assert_string_equal(sky_xml_child_text(b, "c"), "inner");
    assert_string_equal(sky_xml_attr(b, "x"), "1");
    assert_string_equal(sky_xml_child_text(r, "empty"), "");
    assert_null(sky_xml_child_text(r, "missing"));
    assert_null(sky_xml_child(a, NULL));
    sky_xml_destroy(&x);
    assert_null(x);
    sky_xml_destroy(&x);
}

static void test_malformed(void **state)
{
    (void)state;
    assert_int_equal(parse_err("", NULL), SKY_ERR(EBADMSG));
    assert_int_equal(parse_err("<root>", NULL), SKY_ERR(EBADMSG));
    assert_int_equal(parse_err("<root></wrong>", NULL), SKY_ERR(EBADMSG));
    assert_int_equal(parse_err("<a/><b/>", NULL), SKY_ERR(EBADMSG));
    assert_int_equal(parse_err("not xml", NULL), SKY_ERR(EBADMSG));
    assert_int_equal(parse_err("<root>&undefined;</root>", NULL), SKY_ERR(EBADMSG));
    /* Truncated in the middle of a tag. */
    assert_int_equal(parse_err("<root status_code=\"20", NULL), SKY_ERR(EBADMSG));
}

static void test_dtd_refused(void **state)
{
    (void)state;
    /* Entity expansion ("billion laughs") and external entities never get a chance. */
    assert_int_equal(parse_err("<!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
                               "<r>&b;</r>",
                               NULL),
                     SKY_ERR(EBADMSG));
    assert_int_equal(parse_err("<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r/>", NULL),
                     SKY_ERR(EBADMSG));
}

static void test_limits(void **state)
{
    (void)state;
    SkyXmlLimits lim = {1000, 3, 5, 10};
    assert_int_equal(parse_err("<a><b><c><d/></c></b></a>", &lim), SKY_ERR(E2BIG));
    SkyXml *x = NULL;
    const char *ok = "<a><b><c/></b></a>";
    assert_int_equal(sky_xml_parse(&x, ok, strlen(ok), &lim, NULL, 0), 0);
    sky_xml_destroy(&x);
    assert_int_equal(parse_err("<a><b/><b/><b/><b/><b/></a>", &lim), SKY_ERR(E2BIG));
    assert_int_equal(parse_err("<a>01234567890</a>", &lim), SKY_ERR(E2BIG));
    /* Text arriving in several pieces (entities split it) still counts as one. */
    assert_int_equal(parse_err("<a>01234&amp;67890</a>", &lim), SKY_ERR(E2BIG));
    assert_int_equal(parse_err("<a x=\"01234567890\"/>", &lim), SKY_ERR(E2BIG));
    char big[1200];
    memset(big, ' ', sizeof(big));
    memcpy(big, "<a>", 3);
    memcpy(big + sizeof(big) - 5, "</a>", 5);
    assert_int_equal(parse_err(big, &lim), SKY_ERR(E2BIG));
    /* Deep nesting under the default limits. */
    char deep[2000] = "";
    for (int i = 0; i < 100; i++)
        strcat(deep, "<a>");
    for (int i = 0; i < 100; i++)
        strcat(deep, "</a>");
    assert_int_equal(parse_err(deep, NULL), SKY_ERR(E2BIG));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_dtd_refused),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
