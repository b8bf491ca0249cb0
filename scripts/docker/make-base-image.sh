#!/usr/bin/env bash
# Makes the base image debian:bookworm-slim locally (no image registry is reachable from the
# CI machines): `debootstrap --variant=minbase bookworm` from the Debian mirror apt already
# uses, trimmed like Docker's official -slim images (no docs, man pages, locales or apt lists;
# dpkg is told to keep them out of later installs too), then `docker import`.
#   scripts/docker/make-base-image.sh
# Idempotent: skips when the image exists. The rootfs tarball is cached under
# $SIDECAR_CI_CACHE (default /var/cache/sidecar-ci), so a rerun after `docker rmi` or a
# fresh dockerd only imports it again (about 1 s instead of about a minute).
# Needs root; installs debootstrap with apt-get when it is missing.
set -euo pipefail
SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
IMAGE=${BASE_IMAGE:-debian:bookworm-slim}
SUITE=${BASE_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${SIDECAR_CI_CACHE:-/var/cache/sidecar-ci}
TARBALL="$CACHE/$SUITE-slim-rootfs.tar.gz"
DOCKER=(docker -H "unix://$SOCK")
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(now_ms)

if "${DOCKER[@]}" image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "image $IMAGE already there"
  exit 0
fi

if [ ! -s "$TARBALL" ]; then
  if ! command -v debootstrap >/dev/null; then
    echo "installing debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends debootstrap >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends debootstrap >/dev/null; }
  fi
  mkdir -p "$CACHE"
  ROOT=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  cleanup() {
    # debootstrap and the chroot may leave /proc mounted when they fail half-way.
    for m in proc sys dev/pts; do mountpoint -q "$ROOT/$m" 2>/dev/null && umount -l "$ROOT/$m"; done
    rm -rf "$ROOT"
  }
  trap cleanup EXIT
  echo "debootstrap --variant=minbase $SUITE from $MIRROR (about a minute)"
  debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
    { echo "debootstrap failed; last lines of $CACHE/debootstrap.log:" >&2; tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }

  # Sources as in the official image: the release, its updates and the security archive.
  SECURITY=${DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
  rm -f "$ROOT/etc/apt/sources.list"
  cat >"$ROOT/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # What Docker's debian -slim images configure: no docs/man/locales from later installs,
  # no recommends, and apt cleans its caches after every install.
  cat >"$ROOT/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat >"$ROOT/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  cat >"$ROOT/etc/apt/apt.conf.d/docker-no-recommends" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
  echo 'Acquire::GzipIndexes "true";' >"$ROOT/etc/apt/apt.conf.d/docker-gzip-indexes"

  # The point release's security and bug fixes (bookworm-updates, bookworm-security).
  echo "applying bookworm-updates and bookworm-security"
  mount -t proc proc "$ROOT/proc"
  chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -q && apt-get upgrade -y -q' >>"$CACHE/debootstrap.log" 2>&1 ||
    { echo "apt-get upgrade in the rootfs failed; see $CACHE/debootstrap.log" >&2; exit 1; }
  umount "$ROOT/proc"

  # Trim: what the dpkg excludes above would have kept out, plus caches, logs and lists.
  find "$ROOT/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$ROOT/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$ROOT"/usr/share/{man,groff,info,lintian,linda}/* \
    "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/* "$ROOT"/var/cache/debconf/*-old \
    "$ROOT"/var/log/* "$ROOT"/tmp/* "$ROOT"/var/tmp/* "$ROOT"/dev/*
  find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  # The host's resolver and hostname are not part of an image; docker provides both.
  : >"$ROOT/etc/resolv.conf"
  : >"$ROOT/etc/hostname"

  chmod 755 "$ROOT"   # mktemp made it 0700; it becomes the image's /
  tar -C "$ROOT" --numeric-owner -czf "$TARBALL.part" .
  mv "$TARBALL.part" "$TARBALL"
  echo "cached the rootfs: $TARBALL ($(du -h "$TARBALL" | cut -f1))"
fi

"${DOCKER[@]}" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' \
  -m "debootstrap --variant=minbase $SUITE (scripts/docker/make-base-image.sh)" \
  "$TARBALL" "$IMAGE" >/dev/null
echo "imported $IMAGE ($("${DOCKER[@]}" image inspect -f '{{.Size}}' "$IMAGE") bytes) in $(( $(now_ms) - t0 )) ms"
