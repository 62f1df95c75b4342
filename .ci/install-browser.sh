#!/usr/bin/env bash
# Install headless Chromium and its WebDriver from Debian's packages, for the
# browser tests (tests/test_query_page_browser.py, marker `browser`).
# Idempotent: does nothing when /usr/bin/chromium is already there.
# Needs root (or sudo) and access to Debian's package archive.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "install-browser: /usr/bin/chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown')); nothing to do"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-browser: not root and no sudo; cannot install chromium" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core
/usr/bin/chromium --version 2>/dev/null || true
