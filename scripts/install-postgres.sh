#!/usr/bin/env bash
# Installs what the PostgreSQL tests (tests that run on both databases) start: Debian's PostgreSQL server binaries
# (initdb, pg_ctl, postgres). The tests start their own throwaway cluster in a temporary folder on a unix socket and
# remove it afterwards; no system service is started or configured. Network is needed only when something is
# missing, and then only the Debian archive.
set -euo pipefail

find_initdb() {
    if [ -n "${LINLI_PG_BIN:-}" ] && [ -x "$LINLI_PG_BIN/initdb" ]; then
        return 0
    fi
    command -v initdb >/dev/null 2>&1 && return 0
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null 2>&1
}

if find_initdb; then
    exit 0
fi
"$(dirname "$0")/apt-install.sh" install-postgres postgresql
find_initdb || { echo "install-postgres: apt-get finished but initdb is still missing" >&2; exit 1; }
