# The Sidecar agent as a Docker image (docs/docker.md).
#   npm run build:binary            # dist/sidecar: Node 24 + the bundle, one executable
#   scripts/docker/build-image.sh   # makes debian:bookworm-slim locally if needed, then builds sidecar:local
#
# dist/sidecar is built outside Docker and copied in: building it here would need node,
# node_modules and the Node 24 package from the npm registry inside the build, and the
# host already has them (and `strip`). The executable needs only glibc and libstdc++,
# which debian:bookworm-slim has.
#
# Run it with host networking, the Docker socket and NET_ADMIN (see docs/docker.md):
#   docker run -d --name sidecar --network host --cap-add NET_ADMIN \
#     -v /var/run/docker.sock:/var/run/docker.sock -e SIDECAR_SEEDS=10.0.0.1,10.0.0.2 sidecar:local

# --- tools: a static busybox provides `ip` for the entrypoint (2 MB, no libraries),
# instead of iproute2 (12 MB with libssl, krb5 and libbpf). apt runs only in this stage.
FROM debian:bookworm-slim AS tools
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends busybox-static \
 && mkdir -p /out/usr/local/sbin \
 && cp /bin/busybox /out/usr/local/sbin/busybox \
 && ln -s busybox /out/usr/local/sbin/ip

# --- runtime
FROM debian:bookworm-slim
COPY --from=tools /out/ /
COPY scripts/docker/entrypoint.sh /usr/local/bin/sidecar-entrypoint
COPY dist/sidecar /usr/local/bin/sidecar
# static.json (for --discover static) is read from the working directory.
WORKDIR /sidecar
# SidecarDiscover=false: an agent does not announce its own container as a service.
LABEL SidecarDiscover=false \
      org.opencontainers.image.title="sidecar" \
      org.opencontainers.image.description="Peer-to-peer service discovery with a built-in load balancer, compatible with the Go Sidecar" \
      org.opencontainers.image.licenses="MIT"
# API/UI, gossip (TCP and UDP). With --network host these are the host's ports.
EXPOSE 7777/tcp 7946/tcp 7946/udp
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/sidecar-entrypoint"]
