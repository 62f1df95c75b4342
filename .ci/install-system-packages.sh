#!/usr/bin/env bash
# System packages the tests drive, from Debian: headless Chromium (query page test) and
# Virtuoso (scale-out backend test). Idempotent; needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")"
bash ./install-browser.sh
if [ -f ./install-virtuoso.sh ]; then
    bash ./install-virtuoso.sh
fi
