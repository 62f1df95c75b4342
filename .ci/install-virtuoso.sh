#!/usr/bin/env bash
# Virtuoso (Debian's virtuoso-opensource 7) for the scale-out backend test
# (tests/test_remote_store.py, marked `virtuoso`). Idempotent; needs root (or sudo).
#
# Only the binaries are installed (virtuoso-opensource-7-bin: virtuoso-t and isql-vt). The
# full `virtuoso-opensource` package adds an init script that starts a system server on the
# default ports (1111 ISQL, 8890 HTTP) and asks for a DBA password; the test needs neither: it
# starts its own server on free ports with a virtuoso.ini in a temporary folder. The debconf
# answer is preseeded anyway so nothing ever prompts, and any system service found running is
# stopped and disabled.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

if ! command -v virtuoso-t >/dev/null 2>&1 || ! command -v isql-vt >/dev/null 2>&1; then
    # A blank DBA password keeps the packaged daemon disabled, should the full package be pulled.
    printf '%s\n' \
        'virtuoso-opensource-7 virtuoso-opensource-7/dba-password password' \
        'virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password' \
        | $SUDO debconf-set-selections 2>/dev/null || true
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin >/dev/null
fi

# Never leave a system Virtuoso listening on the default ports.
if [ -x /etc/init.d/virtuoso-opensource-7 ]; then
    $SUDO /etc/init.d/virtuoso-opensource-7 stop >/dev/null 2>&1 || true
    if command -v update-rc.d >/dev/null 2>&1; then
        $SUDO update-rc.d virtuoso-opensource-7 disable >/dev/null 2>&1 || true
    fi
fi

echo "virtuoso: $(command -v virtuoso-t), $(command -v isql-vt)"
