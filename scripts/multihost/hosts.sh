#!/usr/bin/env bash
# hosts.sh — the whole multi-host test bed: fake hosts h1..hN (netns-hosts.sh) each with its
# own Docker Engine and the image local/busybox (engines.sh). Used by
# test/system/multihost/multihost.test.ts; handy by hand too.
#
#   scripts/multihost/hosts.sh up   [N]   # tears down leftovers first, then builds (about 2 s)
#   scripts/multihost/hosts.sh down [N]   # engines, namespaces, bridge, FORWARD rule, /etc/netns
#
# Agents are not started here: the test runs dist/sidecar in each namespace itself.
# Needs root, iproute2, iptables, nsenter, dockerd and busybox-static.
set -euo pipefail
cd "$(dirname "$0")"
N=${2:-3}
hosts=()
for i in $(seq 1 "$N"); do hosts+=("h$i"); done
case "${1:-}" in
  up)
    ./engines.sh stop "${hosts[@]}"
    ./netns-hosts.sh down "$N"
    ./netns-hosts.sh up "$N" >/dev/null
    ./engines.sh start "${hosts[@]}"
    ;;
  down)
    ./engines.sh stop "${hosts[@]}"
    ./netns-hosts.sh down "$N"
    ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
