#!/usr/bin/env bash
# Stops the dockerd started by start-dockerd.sh (SIGTERM by its pidfile, or SIGKILL with
# --kill to simulate a crash) and waits until it has exited.
set -euo pipefail
PIDFILE=${DOCKERD_PIDFILE:-/var/run/docker.pid}
SIGNAL=TERM
[ "${1:-}" = "--kill" ] && SIGNAL=KILL
if [ ! -f "$PIDFILE" ] || ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "dockerd not running"
  exit 0
fi
pid=$(cat "$PIDFILE")
kill -s "$SIGNAL" "$pid"
for _ in $(seq 1 300); do
  kill -0 "$pid" 2>/dev/null || { echo "dockerd (pid $pid) stopped with SIG$SIGNAL"; exit 0; }
  sleep 0.1
done
echo "dockerd $pid still alive after 30 s" >&2
exit 1
