#!/usr/bin/env bash
# Builds the agent's image sidecar:local (Dockerfile at the repo root) from dist/sidecar.
#   npm run build:binary && scripts/docker/build-image.sh
# Makes the base image debian:bookworm-slim first when it is missing
# (scripts/docker/make-base-image.sh: no registry is reachable). The build's tools stage
# runs apt-get against the Debian mirror; Docker's layer cache makes reruns take ~2 s.
# IMAGE=name:tag overrides the tag.
set -euo pipefail
cd "$(dirname "$0")/../.."
SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
IMAGE=${IMAGE:-sidecar:local}
DOCKER=(docker -H "unix://$SOCK")
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

if [ ! -x dist/sidecar ]; then
  echo "dist/sidecar is missing: run \`npm run build:binary\` first (about a minute)" >&2
  exit 1
fi
"${DOCKER[@]}" version >/dev/null 2>&1 ||
  { echo "dockerd not reachable at unix://$SOCK: run scripts/docker/start-dockerd.sh" >&2; exit 1; }
scripts/docker/make-base-image.sh
t0=$(now_ms)
# The legacy builder (this CLI has no buildx plugin); it handles the multi-stage Dockerfile.
# Its deprecation notice is dropped; its output is shown only when the build fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! DOCKER_BUILDKIT=0 "${DOCKER[@]}" build -t "$IMAGE" . >"$log" 2>&1; then
  grep -v -e '^DEPRECATED' -e 'BuildKit' -e 'buildx' -e '^ *$' "$log" >&2 || true
  echo "docker build failed" >&2
  exit 1
fi
echo "built $IMAGE ($("${DOCKER[@]}" image inspect -f '{{.Size}}' "$IMAGE") bytes) in $(( $(now_ms) - t0 )) ms"
