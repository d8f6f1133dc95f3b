#!/usr/bin/env bash
# apt-install.sh WHO PACKAGE...: installs Debian packages for the test set-up scripts (install-browser.sh,
# install-postgres.sh), with sudo when not root. WHO names the caller in its messages. The Debian archive is the
# only network used.
set -euo pipefail
who=$1
shift
if ! command -v apt-get >/dev/null 2>&1; then
    echo "$who: missing $* and there is no apt-get; install them by hand" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "$who: installing $* from the Debian archive ..." >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
