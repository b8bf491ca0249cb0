#!/usr/bin/env bash
# Installs Debian's nftables (the `nft` tool) for the TCP fast path's tests in network
# namespaces (test/system/fastpath, src/proxy/fastpath). Idempotent. Needs root.
set -euo pipefail
if command -v nft >/dev/null; then
  echo "nft already installed: $(nft --version)"
  exit 0
fi
exec "$(dirname "$0")/../lib/apt-install.sh" nftables
