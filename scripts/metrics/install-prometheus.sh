#!/usr/bin/env bash
# Installs Debian's prometheus (it ships promtool too) for test/system/metrics: promtool checks
# the /metrics output and a real server scrapes a 2-agent cluster. Idempotent. Needs root.
# The package's own service is not used (the test starts its own server on a free port).
set -euo pipefail
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  echo "prometheus already installed: $(prometheus --version 2>&1 | head -1)"
  exit 0
fi
exec "$(dirname "$0")/../lib/apt-install.sh" prometheus
