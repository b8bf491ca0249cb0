#!/usr/bin/env bash
# engines.sh — one Docker Engine per fake host (netns hK from netns-hosts.sh), each with the
# test image local/busybox:latest.
#
#   scripts/multihost/engines.sh start h1 h2 h3   # start the engines (in parallel), import the image
#   scripts/multihost/engines.sh stop  h1 h2 h3   # remove containers, stop the engines, delete their dirs
#   scripts/multihost/engines.sh sock  h2         # print the socket path
#
# Engine of hK: socket $RUN/hK/docker.sock, pidfile $RUN/hK/docker.pid, exec-root $RUN/hK/exec,
# data-root $DATA/hK, log $RUN/hK/dockerd.log (RUN=/run/sidecar-mh, DATA=/var/lib/sidecar-mh).
# `docker -H unix://$RUN/hK/docker.sock` reaches it from any namespace (the socket is a file).
#
# dockerd MUST run under `nsenter --net=/var/run/netns/hK`, NOT `ip netns exec hK`: ip netns
# exec remounts /sys for the netns, which hides the cgroup v1 mounts under /sys/fs/cgroup
# ("failed to start daemon: Devices cgroup isn't mounted").
# `stop` also cleans up after an aborted run: a leftover engine is stopped by its pidfile,
# mounts left under its dirs are unmounted, and the dirs are deleted. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=${MH_RUN_DIR:-/run/sidecar-mh}
DATA=${MH_DATA_DIR:-/var/lib/sidecar-mh}
IMAGE=${IMAGE:-local/busybox:latest}
CMD=${1:-}
shift || true
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

sock() { echo "$RUN/$1/docker.sock"; }
dk() { local h=$1; shift; docker -H "unix://$(sock "$h")" "$@"; }

start_one() {
  local h=$1 dir=$RUN/$1 t0 launcher
  t0=$(now_ms)
  [ -e "/var/run/netns/$h" ] || { echo "no netns $h (run netns-hosts.sh up first)" >&2; return 1; }
  mkdir -p "$dir" "$DATA/$h"
  if dk "$h" version >/dev/null 2>&1; then echo "dockerd in $h already answers"; return 0; fi
  # A pidfile left by a killed engine makes the next one refuse to start.
  rm -f "$dir/docker.pid"
  setsid nsenter --net="/var/run/netns/$h" dockerd \
    --data-root "$DATA/$h" --exec-root "$dir/exec" --pidfile "$dir/docker.pid" \
    -H "unix://$dir/docker.sock" >"$dir/dockerd.log" 2>&1 </dev/null &
  launcher=$!
  for _ in $(seq 1 300); do
    if dk "$h" version >/dev/null 2>&1; then
      echo "dockerd in $h ready in $(( $(now_ms) - t0 )) ms"
      return 0
    fi
    if ! kill -0 "$launcher" 2>/dev/null; then
      echo "dockerd in $h exited; last lines of $dir/dockerd.log:" >&2
      tail -20 "$dir/dockerd.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "dockerd in $h not ready after 30 s; see $dir/dockerd.log" >&2
  return 1
}

stop_one() {
  local h=$1 dir=$RUN/$1 pid=""
  if dk "$h" version >/dev/null 2>&1; then
    local ids
    ids=$(dk "$h" ps -aq 2>/dev/null || true)
    # shellcheck disable=SC2086
    [ -z "$ids" ] || dk "$h" rm -f $ids >/dev/null 2>&1 || true
  fi
  [ -f "$dir/docker.pid" ] && pid=$(cat "$dir/docker.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "dockerd in $h (pid $pid) still alive after 15 s: SIGKILL" >&2
      kill -9 "$pid" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  # Mounts a killed engine left behind (overlay merged dirs, netns files), deepest first.
  awk -v a="$dir/" -v b="$DATA/$h/" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/mounts |
    sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$dir" "$DATA/$h"
}

image_one() {
  DOCKER_SOCK=$(sock "$1") IMAGE=$IMAGE scripts/docker/make-image.sh >/dev/null
}

case "$CMD" in
  start)
    pids=()
    for h in "$@"; do start_one "$h" & pids+=($!); done
    rc=0
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    [ "$rc" = 0 ] || exit 1
    # One import after the other: make-image.sh builds its rootfs once, on first use.
    for h in "$@"; do image_one "$h"; done
    echo "image $IMAGE imported into $*"
    ;;
  stop)
    pids=()
    for h in "$@"; do stop_one "$h" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || true; done
    rmdir "$RUN" "$DATA" 2>/dev/null || true
    ;;
  sock) sock "$1" ;;
  *) sed -n '2,17p' "$0"; exit 2 ;;
esac
