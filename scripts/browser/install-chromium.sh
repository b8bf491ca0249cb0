#!/usr/bin/env bash
# Installs Debian's chromium, the headless browser test/system/hostile/api-csrf.test.ts drives
# with playwright-core (no browser download: playwright-core uses /usr/bin/chromium). Idempotent.
# Needs root.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
  exit 0
fi
exec "$(dirname "$0")/../lib/apt-install.sh" chromium
