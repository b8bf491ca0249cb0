#!/usr/bin/env bash
# Installs Debian's kubectl (package kubernetes-client), the real client that
# test/integration/kubernetes/kubectl-fidelity.test.ts runs against the fake API server.
# Idempotent: any kubectl already on PATH is kept. Needs root.
set -euo pipefail
if command -v kubectl >/dev/null; then
  echo "kubectl already installed: $(kubectl version --client 2>/dev/null | head -1)"
  exit 0
fi
exec "$(dirname "$0")/../lib/apt-install.sh" kubernetes-client
