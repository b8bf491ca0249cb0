#!/usr/bin/env bash
# Installs Debian's serf, a real memberlist peer for test/system/serf. Idempotent. Needs root.
set -euo pipefail
if command -v serf >/dev/null; then
  echo "serf already installed: $(serf version | head -1)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3 4 5 6; do
  # Another apt may hold the lock on a fresh machine: retry a few times.
  if apt-get install -y -q --no-install-recommends serf || (apt-get update -q && apt-get install -y -q --no-install-recommends serf); then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt); retrying in 10 s" >&2
  sleep 10
done
exit 1
