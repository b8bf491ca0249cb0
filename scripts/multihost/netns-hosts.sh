#!/usr/bin/env bash
# netns-hosts.sh — fake "hosts" for the multi-host tests, all inside one Linux box
# (adapted from the research notes' netns-hosts.sh; test/system/multihost uses it through
# scripts/multihost/hosts.sh).
#
#   scripts/multihost/netns-hosts.sh up   [N]   # create namespaces h1..hN (default 3)
#   scripts/multihost/netns-hosts.sh down [N]   # delete them again (and anything left in them)
#   scripts/multihost/netns-hosts.sh status
#
# Layout (all local, nothing leaves the machine):
#   root ns:  bridge sdbr0 10.77.0.254/24
#   hK ns:    eth0 10.77.0.K/24 (veth peer of sdv-hK on sdbr0)
#             lo   127.0.0.1 + 192.168.168.168/32 (the "well-known IP")
#   /etc/netns/hK/hosts: localhost, h1..hN and "services" -> 192.168.168.168. `ip netns exec hK`
#             bind-mounts it over /etc/hosts, so `http://services:9500/` resolves there.
#
# Run a process "on host K":   ip netns exec hK <cmd>
# (but dockerd with `nsenter --net=/var/run/netns/hK`: see engines.sh)
#
# Needs root. Env overrides: PREFIX (ns name prefix, default h), BR (bridge, default sdbr0),
# NET (first 3 octets, default 10.77.0), VIP (default 192.168.168.168)
set -euo pipefail

PREFIX=${PREFIX:-h}
BR=${BR:-sdbr0}
NET=${NET:-10.77.0}
VIP=${VIP:-192.168.168.168}
CMD=${1:-status}
N=${2:-3}

hosts_file() {
  echo "127.0.0.1 localhost"
  for j in $(seq 1 "$N"); do echo "$NET.$j $PREFIX$j"; done
  echo "$VIP services"
}

up() {
  if ! ip link show "$BR" >/dev/null 2>&1; then
    ip link add "$BR" type bridge
    ip addr add "$NET.254/24" dev "$BR"
    ip link set "$BR" up
  fi
  # If br_netfilter is active (it is as soon as dockerd has run in the root ns),
  # bridged frames traverse iptables FORWARD, whose policy Docker sets to DROP.
  # Let traffic between our fake hosts through.
  if iptables -S FORWARD >/dev/null 2>&1; then
    iptables -C FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null ||
      iptables -I FORWARD 1 -i "$BR" -o "$BR" -j ACCEPT
  fi
  for i in $(seq 1 "$N"); do
    ns="$PREFIX$i"
    mkdir -p "/etc/netns/$ns"
    hosts_file >"/etc/netns/$ns/hosts"
    if ip netns list | grep -qw "^$ns"; then echo "$ns exists, skipping"; continue; fi
    ip netns add "$ns"
    ip link add "sdv-$ns" type veth peer name "sdp-$ns"
    ip link set "sdp-$ns" netns "$ns"
    ip link set "sdv-$ns" master "$BR" up
    ip -n "$ns" link set "sdp-$ns" name eth0
    ip -n "$ns" addr add "$NET.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    # the well-known load-balancer address, one independent copy per host
    ip -n "$ns" addr add "$VIP/32" dev lo
    # do not answer ARP for the VIP on eth0 (like an LVS-DR real server)
    ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
    echo "$ns: eth0 $NET.$i/24, lo $VIP/32"
  done
}

down() {
  for i in $(seq 1 "$N"); do
    ns="$PREFIX$i"
    if ip netns list | grep -qw "^$ns"; then
      # kill anything still running inside (by PID, only processes in this ns)
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true   # also destroys the veth pair and the ns's iptables rules
    fi
    ip link del "sdv-$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
  done
  rmdir /etc/netns 2>/dev/null || true
  if ip link show "$BR" >/dev/null 2>&1 && [ -z "$(ip link show master "$BR")" ]; then
    ip link del "$BR"
  fi
  if ! ip link show "$BR" >/dev/null 2>&1; then
    while iptables -D FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null; do :; done
  fi
}

status() {
  ip netns list
  ip -br addr show "$BR" 2>/dev/null || echo "no bridge $BR"
  for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX[0-9]" || true); do
    echo "== $ns"; ip -n "$ns" -br addr
  done
}

case "$CMD" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status [N]" >&2; exit 2 ;;
esac
