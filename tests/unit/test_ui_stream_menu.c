/* Unit tests of the in-stream menu's decisions (client/ui/stream_menu.h): only the combination
 * opens it, focus starts at Resume and stops at the ends, each item says what the session is to
 * do, the toggles keep it open, and --menu-combo values are checked with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/ui/stream_menu.h"
#include "common/core/error.h"

static SkyStreamMenuAction step(SkyStreamMenuState *st, SkyNavAction a, bool want_changed)
{
    bool changed = !want_changed;
    SkyStreamMenuAction act = sky_stream_menu_step(st, a, &changed);
    assert_int_equal(changed, want_changed);
    return act;
}

static void test_closed_takes_only_the_menu(void **state)
{
    (void)state;
    SkyStreamMenuState st = {0};
    static const SkyNavAction others[] = {SKY_NAV_UP,     SKY_NAV_DOWN,      SKY_NAV_LEFT,
                                          SKY_NAV_RIGHT,  SKY_NAV_ACCEPT,    SKY_NAV_BACK,
                                          SKY_NAV_PAGE_PREV, SKY_NAV_PAGE_NEXT, SKY_NAV_NONE};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_int_equal(step(&st, others[i], false), SKY_STREAM_MENU_NONE);
        assert_false(st.open);
    }
    assert_int_equal(step(&st, SKY_NAV_MENU, true), SKY_STREAM_MENU_OPENED);
    assert_true(st.open);
    assert_int_equal(st.focus, SKY_STREAM_MENU_RESUME);
    /* The combination again closes it. */
    assert_int_equal(step(&st, SKY_NAV_MENU, true), SKY_STREAM_MENU_CLOSED);
    assert_false(st.open);
}

static void test_focus_stops_at_the_ends(void **state)
{
    (void)state;
    SkyStreamMenuState st = {0};
    step(&st, SKY_NAV_MENU, true);
    assert_int_equal(step(&st, SKY_NAV_UP, false), SKY_STREAM_MENU_NONE);
    assert_int_equal(st.focus, SKY_STREAM_MENU_RESUME);
    for (int i = 1; i < SKY_STREAM_MENU_ITEMS; i++) {
        assert_int_equal(step(&st, SKY_NAV_DOWN, true), SKY_STREAM_MENU_NONE);
        assert_int_equal(st.focus, i);
    }
    assert_int_equal(step(&st, SKY_NAV_DOWN, false), SKY_STREAM_MENU_NONE);
    assert_int_equal(st.focus, SKY_STREAM_MENU_MOUSE);
    /* Sideways and paging are not the menu's. */
    assert_int_equal(step(&st, SKY_NAV_LEFT, false), SKY_STREAM_MENU_NONE);
    assert_int_equal(step(&st, SKY_NAV_PAGE_PREV, false), SKY_STREAM_MENU_NONE);
    assert_int_equal(st.focus, SKY_STREAM_MENU_MOUSE);
    assert_int_equal(step(&st, SKY_NAV_UP, true), SKY_STREAM_MENU_NONE);
    assert_int_equal(st.focus, SKY_STREAM_MENU_STATS);
    /* Back resumes; opening again starts at Resume, not where it was left. */
    assert_int_equal(step(&st, SKY_NAV_BACK, true), SKY_STREAM_MENU_CLOSED);
    step(&st, SKY_NAV_MENU, true);
    assert_int_equal(st.focus, SKY_STREAM_MENU_RESUME);
}

/* Opens the menu, moves to item and accepts it. */
static SkyStreamMenuAction choose(SkyStreamMenuState *st, int item)
{
    *st = (SkyStreamMenuState){0};
    step(st, SKY_NAV_MENU, true);
    for (int i = 0; i < item; i++)
        step(st, SKY_NAV_DOWN, true);
    return step(st, SKY_NAV_ACCEPT, true);
}

static void test_items(void **state)
{
    (void)state;
    SkyStreamMenuState st;
    assert_int_equal(choose(&st, SKY_STREAM_MENU_RESUME), SKY_STREAM_MENU_CLOSED);
    assert_false(st.open);
    assert_int_equal(choose(&st, SKY_STREAM_MENU_QUIT_STREAM), SKY_STREAM_MENU_END_STREAM);
    assert_false(st.open);
    assert_int_equal(choose(&st, SKY_STREAM_MENU_QUIT_APP), SKY_STREAM_MENU_END_APP);
    assert_false(st.open);
    /* The toggles act and stay open, focus where it was (the label changes). */
    assert_int_equal(choose(&st, SKY_STREAM_MENU_STATS), SKY_STREAM_MENU_TOGGLE_STATS);
    assert_true(st.open);
    assert_int_equal(st.focus, SKY_STREAM_MENU_STATS);
    assert_int_equal(step(&st, SKY_NAV_ACCEPT, true), SKY_STREAM_MENU_TOGGLE_STATS);
    assert_int_equal(choose(&st, SKY_STREAM_MENU_MOUSE), SKY_STREAM_MENU_TOGGLE_MOUSE);
    assert_true(st.open);
}

static void test_combo_option(void **state)
{
    (void)state;
    char err[256];
    uint32_t mask = 0;
    assert_int_equal(sky_stream_menu_parse_combo("", &mask, err, sizeof(err)), 0);
    uint32_t def = 0;
    assert_int_equal(sky_nav_combo_parse(SKY_NAV_COMBO_DEFAULT, &def), 0);
    assert_int_equal(mask, def);
    assert_int_equal(sky_stream_menu_parse_combo("l3+r3", &mask, err, sizeof(err)), 0);
    assert_int_equal(mask, SKY_NAV_BTN_LSTICK | SKY_NAV_BTN_RSTICK);
    static const char *bad[] = {"Start", "Start+Start", "Start+Turbo", "+", "Start+"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        mask = 7;
        assert_int_equal(sky_stream_menu_parse_combo(bad[i], &mask, err, sizeof(err)),
                         SKY_ERR(EINVAL));
        assert_non_null(strstr(err, "--menu-combo"));
        assert_non_null(strstr(err, bad[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_takes_only_the_menu),
        cmocka_unit_test(test_focus_stops_at_the_ends),
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_combo_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
