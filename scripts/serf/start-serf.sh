#!/usr/bin/env bash
# Installs Debian's serf (if missing) and starts two serf agents on loopback, joined to each
# other, for manual wire-compatibility checks of src/membership against stock memberlist.
# Nothing listens off 127.0.0.1. Stop them with: kill $(cat "$STATE_DIR"/*.pid)
#
#   scripts/serf/start-serf.sh [base-port]      (default 17946; uses base and base+1,
#                                                RPC on base+100 and base+101)
#   SERF_ENCRYPT_KEY=<base64> scripts/serf/start-serf.sh   to run them with -encrypt
set -euo pipefail

BASE_PORT="${1:-17946}"
STATE_DIR="${STATE_DIR:-${TMPDIR:-/tmp}/sidecar-serf}"

if ! command -v serf >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y serf
  else
    sudo apt-get install -y serf
  fi
fi

mkdir -p "$STATE_DIR"
encrypt=()
if [ -n "${SERF_ENCRYPT_KEY:-}" ]; then encrypt=(-encrypt "$SERF_ENCRYPT_KEY"); fi

for i in 0 1; do
  port=$((BASE_PORT + i))
  rpc=$((BASE_PORT + 100 + i))
  join=()
  if [ "$i" -eq 1 ]; then join=(-join "127.0.0.1:$BASE_PORT"); fi
  serf agent -node "serf$i" -bind "127.0.0.1:$port" -advertise "127.0.0.1:$port" \
    -rpc-addr "127.0.0.1:$rpc" "${encrypt[@]}" "${join[@]}" \
    >"$STATE_DIR/serf$i.log" 2>&1 &
  echo $! >"$STATE_DIR/serf$i.pid"
  echo "serf$i: gossip 127.0.0.1:$port rpc 127.0.0.1:$rpc pid $(cat "$STATE_DIR/serf$i.pid") log $STATE_DIR/serf$i.log"
  sleep 0.5
done
serf members -rpc-addr "127.0.0.1:$((BASE_PORT + 100))" || true
