#!/usr/bin/env bash
# partition.sh — cut a fake host off from the others, and heal it (no netem on these kernels,
# so this is iptables inside the host's namespace).
#
#   scripts/multihost/partition.sh cut  h3 10.77.0.1 10.77.0.2   # h3 drops all traffic to/from these
#   scripts/multihost/partition.sh heal h3                       # remove the rules again
#   scripts/multihost/partition.sh show h3
#
# The rules live in the raw table (chain MHCUT, jumped to from PREROUTING and OUTPUT), so they
# catch packets before Docker's NAT: traffic to a published container port is DNATed in
# PREROUTING and forwarded, so it never passes filter INPUT. Deleting the namespace removes
# them too. Needs root.
set -euo pipefail
CMD=${1:-}
NS=${2:-}
[ -n "$NS" ] || { sed -n '2,13p' "$0"; exit 2; }
shift 2
ipt() { ip netns exec "$NS" iptables -t raw "$@"; }
case "$CMD" in
  cut)
    # The DROP rules first, the jumps last: the cut starts (both ways) as the script ends.
    ipt -N MHCUT 2>/dev/null || true
    for peer in "$@"; do
      ipt -A MHCUT -s "$peer" -j DROP
      ipt -A MHCUT -d "$peer" -j DROP
    done
    ipt -C OUTPUT -j MHCUT 2>/dev/null || ipt -I OUTPUT 1 -j MHCUT
    ipt -C PREROUTING -j MHCUT 2>/dev/null || ipt -I PREROUTING 1 -j MHCUT
    ;;
  heal)
    while ipt -D PREROUTING -j MHCUT 2>/dev/null; do :; done
    while ipt -D OUTPUT -j MHCUT 2>/dev/null; do :; done
    ipt -F MHCUT 2>/dev/null || true
    ipt -X MHCUT 2>/dev/null || true
    ;;
  show) ipt -S ;;
  *) sed -n '2,13p' "$0"; exit 2 ;;
esac
