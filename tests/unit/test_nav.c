/* Unit tests of common/ui/nav: held directions repeat on time and one at a time, sticks with
 * hysteresis, button combinations fire once per hold, grid focus at the edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/core/error.h"
#include "common/ui/nav.h"

#define MS 1000

static void test_repeat_timing(void **state)
{
    (void)state;
    SkyNavRepeat r = {0};
    assert_int_equal(sky_nav_repeat_deadline(&r), INT64_MAX);
    assert_int_equal(sky_nav_repeat_press(&r, 1, SKY_NAV_DOWN, 1000 * MS), SKY_NAV_DOWN);
    assert_int_equal(sky_nav_repeat_poll(&r, 1000 * MS + SKY_NAV_REPEAT_DELAY_US - 1),
                     SKY_NAV_NONE);
    assert_int_equal(sky_nav_repeat_deadline(&r), 1000 * MS + SKY_NAV_REPEAT_DELAY_US);
    assert_int_equal(sky_nav_repeat_poll(&r, 1000 * MS + SKY_NAV_REPEAT_DELAY_US), SKY_NAV_DOWN);
    int64_t t = 1000 * MS + SKY_NAV_REPEAT_DELAY_US;
    assert_int_equal(sky_nav_repeat_poll(&r, t + SKY_NAV_REPEAT_INTERVAL_US - 1), SKY_NAV_NONE);
    assert_int_equal(sky_nav_repeat_poll(&r, t + SKY_NAV_REPEAT_INTERVAL_US), SKY_NAV_DOWN);
    /* A UI that was busy for a second moves once, not ten times. */
    t += SKY_NAV_REPEAT_INTERVAL_US + 1000 * MS;
    assert_int_equal(sky_nav_repeat_poll(&r, t), SKY_NAV_DOWN);
    assert_int_equal(sky_nav_repeat_poll(&r, t), SKY_NAV_NONE);
    sky_nav_repeat_release(&r, 1, SKY_NAV_DOWN);
    assert_int_equal(sky_nav_repeat_poll(&r, t + 10000 * MS), SKY_NAV_NONE);
    assert_int_equal(sky_nav_repeat_deadline(&r), INT64_MAX);
    /* Only directions repeat. */
    assert_int_equal(sky_nav_repeat_press(&r, 1, SKY_NAV_ACCEPT, 0), SKY_NAV_NONE);
    assert_int_equal(sky_nav_repeat_deadline(&r), INT64_MAX);
}

static void test_repeat_newest_wins(void **state)
{
    (void)state;
    SkyNavRepeat r = {0};
    sky_nav_repeat_press(&r, 1, SKY_NAV_UP, 0);
    sky_nav_repeat_press(&r, 2, SKY_NAV_RIGHT, 100 * MS);
    /* The first source letting go of its old direction changes nothing. */
    sky_nav_repeat_release(&r, 1, SKY_NAV_UP);
    assert_int_equal(sky_nav_repeat_poll(&r, 100 * MS + SKY_NAV_REPEAT_DELAY_US), SKY_NAV_RIGHT);
    /* Nor does another source's release of the same direction. */
    sky_nav_repeat_release(&r, 1, SKY_NAV_RIGHT);
    assert_int_equal(r.held, SKY_NAV_RIGHT);
    sky_nav_repeat_release(&r, 2, SKY_NAV_RIGHT);
    assert_int_equal(r.held, SKY_NAV_NONE);
}

static void test_stick(void **state)
{
    (void)state;
    SkyNavRepeat r = {0};
    SkyNavStick s = {0};
    /* Below the press threshold: nothing. */
    assert_int_equal(sky_nav_stick_axis(&s, &r, 9, 0, 12000, 0), SKY_NAV_NONE);
    assert_int_equal(sky_nav_stick_axis(&s, &r, 9, 0, 20000, 0), SKY_NAV_RIGHT);
    assert_int_equal(r.held, SKY_NAV_RIGHT);
    /* Resting between the thresholds keeps it held, without firing again. */
    assert_int_equal(sky_nav_stick_axis(&s, &r, 9, 0, 12000, 10 * MS), SKY_NAV_NONE);
    assert_int_equal(r.held, SKY_NAV_RIGHT);
    assert_int_equal(sky_nav_stick_axis(&s, &r, 9, 0, 17000, 20 * MS), SKY_NAV_NONE);
    /* Below the release threshold lets go. */
    assert_int_equal(sky_nav_stick_axis(&s, &r, 9, 0, 8000, 30 * MS), SKY_NAV_NONE);
    assert_int_equal(r.held, SKY_NAV_NONE);
    /* The dominant axis decides a diagonal; swinging to another direction moves there. */
    sky_nav_stick_axis(&s, &r, 9, 0, -20000, 40 * MS);
    assert_int_equal(sky_nav_stick_axis(&s, &r, 9, 1, -30000, 50 * MS), SKY_NAV_UP);
    assert_int_equal(r.held, SKY_NAV_UP);
    /* Back from the diagonal: still pushed left, so left again. */
    assert_int_equal(sky_nav_stick_axis(&s, &r, 9, 1, 0, 60 * MS), SKY_NAV_LEFT);
    assert_int_equal(r.held, SKY_NAV_LEFT);
    /* Other axes are ignored. */
    assert_int_equal(sky_nav_stick_axis(&s, &r, 9, 2, 32767, 70 * MS), SKY_NAV_NONE);
}

static void test_combo_parse(void **state)
{
    (void)state;
    uint32_t m = 0;
    assert_int_equal(sky_nav_combo_parse(SKY_NAV_COMBO_DEFAULT, &m), 0);
    assert_int_equal(m, SKY_NAV_BTN_START | SKY_NAV_BTN_BACK | SKY_NAV_BTN_L1 | SKY_NAV_BTN_R1);
    assert_int_equal(sky_nav_combo_parse(" select + START +lb+ RB ", &m), 0);
    assert_int_equal(m, SKY_NAV_BTN_START | SKY_NAV_BTN_BACK | SKY_NAV_BTN_L1 | SKY_NAV_BTN_R1);
    assert_int_equal(sky_nav_combo_parse("Guide+A", &m), 0);
    assert_int_equal(m, SKY_NAV_BTN_GUIDE | SKY_NAV_BTN_A);
    uint32_t before = m;
    const char *bad[] = {"", "Start", "Start+", "+Start+Back", "Start+Start", "Start+Back+Z",
                         "Start++Back", "Start+Backwards", "Select+Back"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sky_nav_combo_parse(bad[i], &m), SKY_ERR(EINVAL));
        assert_int_equal(m, before); /* untouched on failure */
    }
}

static void test_combo_hold(void **state)
{
    (void)state;
    SkyNavCombo c = {.mask = SKY_NAV_BTN_START | SKY_NAV_BTN_BACK, .hold_us = 250 * MS};
    sky_nav_combo_button(&c, SKY_NAV_BTN_START, true, 0);
    assert_false(sky_nav_combo_complete(&c));
    assert_int_equal(sky_nav_combo_deadline(&c), INT64_MAX);
    sky_nav_combo_button(&c, SKY_NAV_BTN_A, true, 10 * MS); /* extra buttons do not matter */
    sky_nav_combo_button(&c, SKY_NAV_BTN_BACK, true, 100 * MS);
    assert_true(sky_nav_combo_complete(&c));
    assert_int_equal(sky_nav_combo_deadline(&c), 350 * MS);
    assert_false(sky_nav_combo_poll(&c, 349 * MS));
    assert_true(sky_nav_combo_poll(&c, 350 * MS));
    /* Once per hold. */
    assert_false(sky_nav_combo_poll(&c, 2000 * MS));
    assert_int_equal(sky_nav_combo_deadline(&c), INT64_MAX);
    /* Letting go of one button and pressing it again starts a new hold. */
    sky_nav_combo_button(&c, SKY_NAV_BTN_BACK, false, 2100 * MS);
    sky_nav_combo_button(&c, SKY_NAV_BTN_BACK, true, 2200 * MS);
    assert_false(sky_nav_combo_poll(&c, 2300 * MS));
    assert_true(sky_nav_combo_poll(&c, 2450 * MS));
    /* Released before the hold ends: nothing. */
    sky_nav_combo_button(&c, SKY_NAV_BTN_START, false, 3000 * MS);
    sky_nav_combo_button(&c, SKY_NAV_BTN_START, true, 3100 * MS);
    sky_nav_combo_button(&c, SKY_NAV_BTN_START, false, 3200 * MS);
    assert_false(sky_nav_combo_poll(&c, 5000 * MS));
}

static void test_grid(void **state)
{
    (void)state;
    /* 7 items in 3 columns:  0 1 2 / 3 4 5 / 6 */
    assert_int_equal(sky_nav_grid_move(0, 7, 3, 1, SKY_NAV_LEFT), 0);
    assert_int_equal(sky_nav_grid_move(0, 7, 3, 1, SKY_NAV_UP), 0);
    assert_int_equal(sky_nav_grid_move(0, 7, 3, 1, SKY_NAV_RIGHT), 1);
    assert_int_equal(sky_nav_grid_move(2, 7, 3, 1, SKY_NAV_RIGHT), 2); /* no wrapping */
    assert_int_equal(sky_nav_grid_move(3, 7, 3, 1, SKY_NAV_LEFT), 3);
    assert_int_equal(sky_nav_grid_move(1, 7, 3, 1, SKY_NAV_DOWN), 4);
    assert_int_equal(sky_nav_grid_move(5, 7, 3, 1, SKY_NAV_DOWN), 6); /* onto the short row */
    assert_int_equal(sky_nav_grid_move(6, 7, 3, 1, SKY_NAV_DOWN), 6);
    assert_int_equal(sky_nav_grid_move(6, 7, 3, 1, SKY_NAV_RIGHT), 6);
    assert_int_equal(sky_nav_grid_move(6, 7, 3, 1, SKY_NAV_UP), 3);
    assert_int_equal(sky_nav_grid_move(1, 7, 3, 2, SKY_NAV_PAGE_NEXT), 6);
    assert_int_equal(sky_nav_grid_move(0, 7, 3, 1, SKY_NAV_PAGE_NEXT), 3);
    assert_int_equal(sky_nav_grid_move(4, 7, 3, 5, SKY_NAV_PAGE_PREV), 0);
    assert_int_equal(sky_nav_grid_move(4, 7, 3, 0, SKY_NAV_PAGE_PREV), 1);
    /* A list is a grid of one column. */
    assert_int_equal(sky_nav_grid_move(0, 3, 1, 1, SKY_NAV_DOWN), 1);
    assert_int_equal(sky_nav_grid_move(2, 3, 1, 1, SKY_NAV_DOWN), 2);
    assert_int_equal(sky_nav_grid_move(1, 3, 1, 1, SKY_NAV_RIGHT), 1);
    /* Out of range, empty, no columns, other actions. */
    assert_int_equal(sky_nav_grid_move(99, 7, 3, 1, SKY_NAV_ACCEPT), 6);
    assert_int_equal(sky_nav_grid_move(-4, 7, 3, 1, SKY_NAV_NONE), 0);
    assert_int_equal(sky_nav_grid_move(3, 0, 3, 1, SKY_NAV_DOWN), 0);
    assert_int_equal(sky_nav_grid_move(3, 7, 0, 1, SKY_NAV_DOWN), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repeat_timing), cmocka_unit_test(test_repeat_newest_wins),
        cmocka_unit_test(test_stick),         cmocka_unit_test(test_combo_parse),
        cmocka_unit_test(test_combo_hold),    cmocka_unit_test(test_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
