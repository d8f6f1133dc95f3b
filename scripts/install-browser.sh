#!/usr/bin/env bash
# Installs what the browser tests (tests/browser) drive: Debian's chromium at /usr/bin/chromium, and a CJK font
# so that the screenshots show Chinese text rather than empty boxes. Playwright's own browser download
# (`playwright install`) is never used: the tests point Playwright at this binary through `executable_path`, so
# the only network needed is the Debian archive, and only when something is missing.
set -euo pipefail

CHROMIUM=${LINLI_CHROMIUM:-/usr/bin/chromium}
packages=()
[ -x "$CHROMIUM" ] || packages+=(chromium)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; }; then
    packages+=(fonts-wqy-microhei)
fi
if [ ${#packages[@]} -eq 0 ]; then
    exit 0
fi
"$(dirname "$0")/apt-install.sh" install-browser "${packages[@]}"
test -x "$CHROMIUM" || { echo "install-browser: apt-get finished but $CHROMIUM is still missing" >&2; exit 1; }
"$CHROMIUM" --version >&2
