#!/bin/sh
# The desktop entry (assets/skylight.desktop) as desktop-file-validate (desktop-file-utils)
# judges it: errors and warnings fail, hints pass. Skipped (77, ctest's SKIP_RETURN_CODE) where
# the tool is not installed. Also: it starts the launcher, and its icon is one that is shipped.
#   check_desktop_entry.sh ASSETS_DIR
set -u
assets=$1
entry=$assets/skylight.desktop
command -v desktop-file-validate >/dev/null 2>&1 || {
  echo "desktop-file-validate not installed (desktop-file-utils): skipped"; exit 77; }
out=$(desktop-file-validate "$entry" 2>&1)
rc=$?
[ -n "$out" ] && echo "$out"
[ "$rc" -eq 0 ] || { echo "FAIL: desktop-file-validate exited with $rc"; exit 1; }
if echo "$out" | grep -Eq ': (error|warning): '; then
  echo "FAIL: the desktop entry has errors or warnings"; exit 1
fi
grep -qx 'Exec=skylight ui' "$entry" || { echo "FAIL: Exec is not 'skylight ui'"; exit 1; }
icon=$(sed -n 's/^Icon=//p' "$entry")
[ -f "$assets/$icon.svg" ] || { echo "FAIL: no $assets/$icon.svg for Icon=$icon"; exit 1; }
echo "ok: $entry"
