#!/usr/bin/env bash
# Installs a real Docker Engine for the system tests: Debian's docker.io (Engine 20.10,
# API 1.41), busybox-static (the only binary in the test image) and iptables.
# Idempotent: does nothing when dockerd and busybox are already there. Needs root.
set -euo pipefail
if command -v dockerd >/dev/null && [ -x /bin/busybox ] && command -v iptables >/dev/null; then
  echo "docker.io, busybox-static and iptables already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3 4 5 6; do
  # Another apt may hold the lock on a fresh machine: retry a few times.
  if apt-get update -q && apt-get install -y -q --no-install-recommends docker.io busybox-static iptables; then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt); retrying in 10 s" >&2
  sleep 10
done
exit 1
