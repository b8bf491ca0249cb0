#!/usr/bin/env bash
# Installs Debian's serf, a real memberlist peer for test/system/serf. Idempotent. Needs root.
set -euo pipefail
if command -v serf >/dev/null; then
  echo "serf already installed: $(serf version | head -1)"
  exit 0
fi
exec "$(dirname "$0")/../lib/apt-install.sh" serf
