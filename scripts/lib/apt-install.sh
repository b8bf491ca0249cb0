#!/usr/bin/env bash
# Installs Debian packages with the machine's own apt sources, retrying while another apt
# holds the lock (a fresh machine may still be running its own). Usage: apt-install.sh PKG…
# Tries without `apt-get update` first (fast when the lists are fresh), then with it.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3 4 5 6; do
  if apt-get install -y -q --no-install-recommends "$@" || (apt-get update -q && apt-get install -y -q --no-install-recommends "$@"); then
    exit 0
  fi
  echo "apt-get install $* failed (attempt $attempt); retrying in 10 s" >&2
  sleep 10
done
exit 1
