#!/usr/bin/env bash
# Runs the browser end-to-end tests. It builds nothing: the server binary comes
# from VIGIL_BIN (default ../bin/vigil) and the browser from CHROMIUM_PATH
# (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
exec node --test ui.test.mjs
