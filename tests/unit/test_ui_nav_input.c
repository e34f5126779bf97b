/* Unit tests of client/ui/nav_input: SDL key and controller events (made by hand, no SDL
 * initialised) onto navigation actions: keys, the d-pad and stick repeating, A/B swapped on
 * the first pad only, the menu combination on any pad without its buttons acting on the way,
 * a removed pad letting go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "client/ui/nav_input.h"

#define MS 1000

static SkyNavAction key(SkyUiNavInput *in, SDL_Keycode sym, bool down, int64_t now)
{
    SDL_Event ev = {0};
    ev.type = down ? SDL_KEYDOWN : SDL_KEYUP;
    ev.key.keysym.sym = sym;
    return sky_ui_nav_input_event(in, &ev, now);
}

static SkyNavAction button(SkyUiNavInput *in, SDL_JoystickID pad, Uint8 b, bool down,
                           int64_t now)
{
    SDL_Event ev = {0};
    ev.type = down ? SDL_CONTROLLERBUTTONDOWN : SDL_CONTROLLERBUTTONUP;
    ev.cbutton.which = pad;
    ev.cbutton.button = b;
    ev.cbutton.state = down ? SDL_PRESSED : SDL_RELEASED;
    return sky_ui_nav_input_event(in, &ev, now);
}

static SkyNavAction axis(SkyUiNavInput *in, SDL_JoystickID pad, Uint8 a, Sint16 v, int64_t now)
{
    SDL_Event ev = {0};
    ev.type = SDL_CONTROLLERAXISMOTION;
    ev.caxis.which = pad;
    ev.caxis.axis = a;
    ev.caxis.value = v;
    return sky_ui_nav_input_event(in, &ev, now);
}

static void test_keys(void **state)
{
    (void)state;
    SkyUiNavInput in;
    sky_ui_nav_input_init(&in, false, 0);
    assert_int_equal(key(&in, SDLK_RETURN, true, 0), SKY_NAV_ACCEPT);
    assert_int_equal(key(&in, SDLK_ESCAPE, true, 0), SKY_NAV_BACK);
    assert_int_equal(key(&in, SDLK_PAGEDOWN, true, 0), SKY_NAV_PAGE_NEXT);
    assert_int_equal(key(&in, SDLK_a, true, 0), SKY_NAV_NONE);
    assert_int_equal(key(&in, SDLK_DOWN, true, 1000 * MS), SKY_NAV_DOWN);
    /* The system's key repeat is ignored; ours repeats on time. */
    SDL_Event rep = {0};
    rep.type = SDL_KEYDOWN;
    rep.key.keysym.sym = SDLK_DOWN;
    rep.key.repeat = 1;
    assert_int_equal(sky_ui_nav_input_event(&in, &rep, 1030 * MS), SKY_NAV_NONE);
    assert_int_equal(sky_ui_nav_input_deadline(&in), 1000 * MS + SKY_NAV_REPEAT_DELAY_US);
    assert_int_equal(sky_ui_nav_input_poll(&in, 1000 * MS + SKY_NAV_REPEAT_DELAY_US),
                     SKY_NAV_DOWN);
    key(&in, SDLK_DOWN, false, 1500 * MS);
    assert_int_equal(sky_ui_nav_input_deadline(&in), INT64_MAX);
}

static void test_pads(void **state)
{
    (void)state;
    SkyUiNavInput in;
    sky_ui_nav_input_init(&in, true, 0);
    /* Pad 7 is the first seen: its A and B trade places; pad 9's do not. */
    assert_int_equal(button(&in, 7, SDL_CONTROLLER_BUTTON_A, true, 0), SKY_NAV_BACK);
    assert_int_equal(button(&in, 7, SDL_CONTROLLER_BUTTON_A, false, 0), SKY_NAV_NONE);
    assert_int_equal(button(&in, 9, SDL_CONTROLLER_BUTTON_A, true, 0), SKY_NAV_ACCEPT);
    assert_int_equal(button(&in, 9, SDL_CONTROLLER_BUTTON_RIGHTSHOULDER, true, 0),
                     SKY_NAV_PAGE_NEXT);
    assert_int_equal(button(&in, 9, SDL_CONTROLLER_BUTTON_START, true, 0), SKY_NAV_MENU);
    /* The d-pad repeats; so does the stick; removing the pad lets go. */
    assert_int_equal(button(&in, 9, SDL_CONTROLLER_BUTTON_DPAD_LEFT, true, 0), SKY_NAV_LEFT);
    assert_int_equal(sky_ui_nav_input_poll(&in, SKY_NAV_REPEAT_DELAY_US), SKY_NAV_LEFT);
    assert_int_equal(button(&in, 9, SDL_CONTROLLER_BUTTON_DPAD_LEFT, false, 0), SKY_NAV_NONE);
    assert_int_equal(axis(&in, 9, SDL_CONTROLLER_AXIS_LEFTY, 30000, 0), SKY_NAV_DOWN);
    assert_int_equal(axis(&in, 9, SDL_CONTROLLER_AXIS_RIGHTY, -30000, 0), SKY_NAV_NONE);
    SDL_Event gone = {0};
    gone.type = SDL_CONTROLLERDEVICEREMOVED;
    gone.cdevice.which = 9;
    sky_ui_nav_input_event(&in, &gone, 0);
    assert_int_equal(sky_ui_nav_input_deadline(&in), INT64_MAX);
    /* The first pad gone, the swap goes to the next one seen. */
    gone.cdevice.which = 7;
    sky_ui_nav_input_event(&in, &gone, 0);
    assert_int_equal(button(&in, 11, SDL_CONTROLLER_BUTTON_B, true, 0), SKY_NAV_ACCEPT);
}

static void test_menu_combo(void **state)
{
    (void)state;
    uint32_t mask;
    assert_int_equal(sky_nav_combo_parse(SKY_NAV_COMBO_DEFAULT, &mask), 0);
    SkyUiNavInput in;
    sky_ui_nav_input_init(&in, false, mask);
    /* Pressed one by one: none of them pages or opens anything on the way. */
    assert_int_equal(button(&in, 3, SDL_CONTROLLER_BUTTON_START, true, 0), SKY_NAV_NONE);
    assert_int_equal(button(&in, 3, SDL_CONTROLLER_BUTTON_BACK, true, 10 * MS), SKY_NAV_NONE);
    assert_int_equal(button(&in, 3, SDL_CONTROLLER_BUTTON_LEFTSHOULDER, true, 20 * MS),
                     SKY_NAV_NONE);
    assert_int_equal(sky_ui_nav_input_deadline(&in), INT64_MAX);
    assert_int_equal(button(&in, 3, SDL_CONTROLLER_BUTTON_RIGHTSHOULDER, true, 30 * MS),
                     SKY_NAV_NONE);
    int64_t due = 30 * MS + SKY_NAV_COMBO_HOLD_US;
    assert_int_equal(sky_ui_nav_input_deadline(&in), due);
    assert_int_equal(sky_ui_nav_input_poll(&in, due - 1), SKY_NAV_NONE);
    assert_int_equal(sky_ui_nav_input_poll(&in, due), SKY_NAV_MENU);
    assert_int_equal(sky_ui_nav_input_poll(&in, due + 1000 * MS), SKY_NAV_NONE);
    /* Another pad holding half of it does nothing. */
    button(&in, 4, SDL_CONTROLLER_BUTTON_START, true, 0);
    button(&in, 4, SDL_CONTROLLER_BUTTON_BACK, true, 0);
    assert_int_equal(sky_ui_nav_input_poll(&in, 5000 * MS), SKY_NAV_NONE);
    /* Buttons outside the combination still act. */
    assert_int_equal(button(&in, 4, SDL_CONTROLLER_BUTTON_A, true, 0), SKY_NAV_ACCEPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_pads),
        cmocka_unit_test(test_menu_combo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
