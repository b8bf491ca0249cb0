#!/usr/bin/env bash
# Builds the test image local/busybox:latest with `docker import` (no registry is
# reachable): busybox-static in an empty rootfs, EXPOSE 80, httpd serving /www, and a
# HEALTHCHECK-free config. Idempotent: skips the import when the image exists.
set -euo pipefail
SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
IMAGE=${IMAGE:-local/busybox:latest}
ROOTFS=${ROOTFS:-/tmp/sidecar-bbroot}
DOCKER=(docker -H "unix://$SOCK")
if "${DOCKER[@]}" image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "image $IMAGE already there"
  exit 0
fi
BUSYBOX=$(command -v busybox || true)
[ -x /bin/busybox ] && BUSYBOX=/bin/busybox
[ -n "$BUSYBOX" ] || { echo "busybox-static is not installed: run scripts/docker/install-dockerd.sh" >&2; exit 1; }
if [ ! -x "$ROOTFS/bin/busybox" ]; then
  rm -rf "$ROOTFS"
  mkdir -p "$ROOTFS"/{bin,www,tmp,etc,proc,sys,dev}
  cp "$BUSYBOX" "$ROOTFS/bin/busybox"
  for a in $("$ROOTFS/bin/busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$ROOTFS/bin/$a"
  done
  echo "hello from busybox httpd" > "$ROOTFS/www/index.html"
fi
tar -C "$ROOTFS" -c . | "${DOCKER[@]}" import \
  --change 'EXPOSE 80' \
  --change 'ENV PATH=/bin' \
  --change 'CMD ["/bin/httpd","-f","-p","80","-h","/www"]' \
  - "$IMAGE" >/dev/null
echo "imported $IMAGE"
