#!/usr/bin/env bash
# Installs a real Docker Engine for the system tests: Debian's docker.io (Engine 20.10,
# API 1.41), busybox-static (the only binary in the test image) and iptables.
# Idempotent: does nothing when dockerd and busybox are already there. Needs root.
set -euo pipefail
if command -v dockerd >/dev/null && [ -x /bin/busybox ] && command -v iptables >/dev/null; then
  echo "docker.io, busybox-static and iptables already installed"
  exit 0
fi
exec "$(dirname "$0")/../lib/apt-install.sh" docker.io busybox-static iptables
