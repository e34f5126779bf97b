/* Unit tests of client/input/pads: what a mappings file's state gives (missing, empty, broken,
 * a directory, good), a pad plugged in before the subsystem started that only the user's file
 * maps being announced, and the hints being set. Real SDL, no window: a virtual joystick
 * stands in for the pad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <SDL.h>

#include "client/input/pads.h"
#include "common/core/error.h"

/* A plain joystick SDL has no mapping for, and its GUID as SDL 2 makes it for a virtual
 * joystick with the name's CRC left out (SDL matches mappings without one). */
#define VENDOR 0x1209
#define PRODUCT 0x0002
#define GUID "ff000000091200000200000000007600"
/* Another product's, for the file tests (mappings outlive a subsystem's stop). */
#define OTHER_GUID "ff000000091200000300000000007600"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/sky-pads-XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    /* The user's own mappings and hint overrides must not change the outcome. */
    unsetenv("SDL_GAMECONTROLLERCONFIG");
    unsetenv("SDL_GAMECONTROLLERCONFIG_FILE");
    unsetenv("SDL_JOYSTICK_HIDAPI_PS5_RUMBLE");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static int attach_plain_joystick(void)
{
    SDL_VirtualJoystickDesc d;
    SDL_zero(d);
    d.version = SDL_VIRTUAL_JOYSTICK_DESC_VERSION;
    d.type = SDL_JOYSTICK_TYPE_UNKNOWN;
    d.naxes = 2;
    d.nbuttons = 4;
    d.vendor_id = VENDOR;
    d.product_id = PRODUCT;
    d.name = "test joystick";
    int index = SDL_JoystickAttachVirtualEx(&d);
    assert_true(index >= 0);
    return index;
}

static void test_file_states(void **state)
{
    (void)state;
    assert_int_equal(sky_pads_open(NULL), 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/missing.txt", g_dir);
    assert_int_equal(sky_pads_add_mappings(path), SKY_ERR(ENOENT));
    snprintf(path, sizeof(path), "%s/empty.txt", g_dir);
    write_file(path, "");
    assert_int_equal(sky_pads_add_mappings(path), 0);
    snprintf(path, sizeof(path), "%s/garbage.txt", g_dir);
    write_file(path, "not a mapping\n# a comment\nxx,yy,platform:Linux,\n");
    assert_int_equal(sky_pads_add_mappings(path), SKY_ERR(EINVAL));
    snprintf(path, sizeof(path), "%s/adir", g_dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(sky_pads_add_mappings(path), SKY_ERR(EINVAL));
    /* Only another platform's line: SDL skips it. */
    snprintf(path, sizeof(path), "%s/windows.txt", g_dir);
    write_file(path, OTHER_GUID ",Windows pad,a:b0,b:b1,platform:Windows,\n");
    assert_int_equal(sky_pads_add_mappings(path), SKY_ERR(EINVAL));
    snprintf(path, sizeof(path), "%s/good.txt", g_dir);
    write_file(path, OTHER_GUID ",Good pad,a:b0,b:b1,platform:Linux,\n");
    assert_int_equal(sky_pads_add_mappings(path), 1);
    /* The same again changes nothing. */
    assert_int_equal(sky_pads_add_mappings(path), SKY_ERR(EINVAL));
    sky_pads_close();
}

static void test_pad_present_before_start(void **state)
{
    (void)state;
    /* The joystick subsystem alone first, so the pad is there before game controllers start. */
    assert_int_equal(SDL_InitSubSystem(SDL_INIT_JOYSTICK), 0);
    int index = attach_plain_joystick();
    assert_false(SDL_IsGameController(index));
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", g_dir, SKY_PADS_MAPPINGS_FILE);
    write_file(path, "# the user's file\n" GUID ",Mapped by the user,a:b0,b:b1,x:b2,y:b3,"
                     "leftx:a0,lefty:a1,platform:Linux,\n");
    assert_int_equal(sky_pads_open(g_dir), 0);
    assert_string_equal(SDL_GetHint(SDL_HINT_JOYSTICK_HIDAPI_PS5_RUMBLE), "1");
    assert_true(SDL_IsGameController(index));
    assert_string_equal(SDL_GameControllerNameForIndex(index), "Mapped by the user");
    /* Announced, once, so whoever opens pads on DEVICEADDED opens it. */
    int announced = 0;
    SDL_Event ev;
    while (SDL_PollEvent(&ev))
        if (ev.type == SDL_CONTROLLERDEVICEADDED && ev.cdevice.which == index)
            announced++;
    assert_int_equal(announced, 1);
    assert_int_equal(SDL_JoystickDetachVirtual(index), 0);
    sky_pads_close();
    SDL_QuitSubSystem(SDL_INIT_JOYSTICK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_states),
        cmocka_unit_test(test_pad_present_before_start),
    };
    int ret = cmocka_run_group_tests(tests, setup, teardown);
    SDL_Quit();
    return ret;
}
