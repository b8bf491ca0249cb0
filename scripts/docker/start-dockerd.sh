#!/usr/bin/env bash
# Starts dockerd in the background (socket /var/run/docker.sock unless DOCKER_SOCK is set,
# log in ${DOCKERD_LOG:-/tmp/dockerd.log}) and waits until it answers. Idempotent: does
# nothing when the engine already answers. Needs root; works without a terminal.
set -euo pipefail
SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
PIDFILE=${DOCKERD_PIDFILE:-/var/run/docker.pid}
LOG=${DOCKERD_LOG:-/tmp/dockerd.log}
DOCKER=(docker -H "unix://$SOCK")
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

if "${DOCKER[@]}" version >/dev/null 2>&1; then
  echo "dockerd already answers at unix://$SOCK"
  exit 0
fi
command -v dockerd >/dev/null || { echo "dockerd is not installed: run scripts/docker/install-dockerd.sh" >&2; exit 1; }
# A pidfile left by a dockerd that was killed makes the next one refuse to start.
if [ -f "$PIDFILE" ] && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then rm -f "$PIDFILE"; fi
t0=$(now_ms)
setsid dockerd --pidfile "$PIDFILE" -H "unix://$SOCK" >>"$LOG" 2>&1 </dev/null &
launcher=$!
for _ in $(seq 1 300); do
  if "${DOCKER[@]}" version >/dev/null 2>&1; then
    echo "dockerd ready in $(( $(now_ms) - t0 )) ms, pid $(cat "$PIDFILE" 2>/dev/null || echo ?), socket $SOCK, log $LOG"
    exit 0
  fi
  if ! kill -0 "$launcher" 2>/dev/null; then
    echo "dockerd exited; last lines of $LOG:" >&2
    tail -20 "$LOG" >&2
    exit 1
  fi
  sleep 0.1
done
echo "dockerd not ready after 30 s; see $LOG" >&2
exit 1
