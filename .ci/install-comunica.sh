#!/usr/bin/env bash
# Comunica (the federated SPARQL engine integrators use) for tests/test_comunica.py: the npm
# package @comunica/query-sparql v4 into ./node_modules at the repository root (git-ignored),
# giving node_modules/.bin/comunica-sparql. Needs Node.js >= 18 with npm; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y --no-install-recommends nodejs npm
fi
if [ ! -x node_modules/.bin/comunica-sparql ]; then
    npm install --no-save --no-package-lock --no-audit --no-fund '@comunica/query-sparql@4'
fi
# `--version` prints its table but exits 1, so only the binary's presence decides.
test -x node_modules/.bin/comunica-sparql
echo "comunica-sparql installed: node_modules/.bin/comunica-sparql"
