#!/usr/bin/env bash
# Installs Debian's chromium, the headless browser test/system/hostile/api-csrf.test.ts drives
# with playwright-core (no browser download: playwright-core uses /usr/bin/chromium). Idempotent.
# Needs root.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3 4 5 6; do
  # Another apt may hold the lock on a fresh machine: retry a few times.
  if apt-get install -y -q --no-install-recommends chromium || (apt-get update -q && apt-get install -y -q --no-install-recommends chromium); then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt); retrying in 10 s" >&2
  sleep 10
done
exit 1
