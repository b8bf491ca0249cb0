#!/bin/sh
# Entrypoint of the sidecar image (Dockerfile, docs/docker.md). Puts the load balancer's
# well-known IP on `lo` (as the Go Sidecar's image did), then execs the agent, so the agent
# is PID 1 and gets `docker stop`'s SIGTERM itself.
#
# The IP is the one the agent will bind, found the way the agent finds it: the
# --proxy-bind-ip flag, else the first of PROXY_BIND_IP, HAPROXY_BIND_IP, BIND_IP that is
# set, else 192.168.168.168. Nothing is added when the load balancer is off (--no-proxy,
# PROXY_DISABLE, HAPROXY_DISABLE, DISABLE), for 0.0.0.0 and 127.x (always local), or when
# the address is already there. Adding needs NET_ADMIN; with --network host it lands on the
# host's `lo` and stays there after the container stops. Without the capability this logs
# one line saying what to do and starts the agent anyway.
set -u
AGENT=/usr/local/bin/sidecar

log() { printf 'sidecar-entrypoint: %s\n' "$*" >&2; }

# Only the agent (the default command) binds the well-known IP.
case "${1:-}" in
  demo | proxy | bench | help | -h | --help | -v | --version) exec "$AGENT" "$@" ;;
esac

bind_ip=192.168.168.168
from=default
for name in PROXY_BIND_IP HAPROXY_BIND_IP BIND_IP; do
  if eval "[ -n \"\${$name+set}\" ]"; then
    eval "bind_ip=\${$name}"
    from=$name
    break
  fi
done
disabled=false
for name in PROXY_DISABLE HAPROXY_DISABLE DISABLE; do
  if eval "[ -n \"\${$name+set}\" ]"; then
    eval "value=\${$name}"
    case "$value" in 1 | t | T | TRUE | true | True) disabled=true ;; esac
    break
  fi
done
prev=
for arg in "$@"; do
  [ "$arg" = -- ] && break
  [ "$prev" = --proxy-bind-ip ] && { bind_ip=$arg; from=--proxy-bind-ip; }
  case "$arg" in
    --proxy-bind-ip=*) bind_ip=${arg#*=}; from=--proxy-bind-ip ;;
    --no-proxy) disabled=true ;;
  esac
  prev=$arg
done

add_bind_ip() {
  if [ "$disabled" = true ]; then
    log "load balancer disabled: not adding $bind_ip to lo"
    return
  fi
  case "$bind_ip" in
    0.0.0.0 | 127.*) return ;;
    '' | *[!0-9.]*) return ;; # not an IPv4 address: the agent reports it
  esac
  if ! command -v ip >/dev/null 2>&1; then
    log "no ip command in this image: not adding $bind_ip to lo"
    return
  fi
  if [ -n "$(ip -4 -o addr show to "$bind_ip" 2>/dev/null)" ]; then
    log "$bind_ip ($from) is already on this host"
    return
  fi
  if err=$(ip addr add "$bind_ip/32" dev lo 2>&1); then
    log "added $bind_ip/32 ($from) to lo"
  else
    log "cannot add $bind_ip/32 ($from) to lo: ${err:-ip failed}." \
      "Run the container with --cap-add NET_ADMIN (and --network host), or add it on the host" \
      "(ip addr add $bind_ip/32 dev lo), or set PROXY_BIND_IP to an address the host has;" \
      "until then the load balancer cannot bind its ports there."
  fi
}

add_bind_ip
exec "$AGENT" "$@"
