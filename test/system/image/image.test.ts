import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { DOCKER_URL, IMAGE as BUSYBOX, docker } from '../docker/docker-harness.js';
import { eventually } from '../../helpers/eventually.js';

/**
 * The agent's Docker image (Dockerfile, scripts/docker/build-image.sh, docs/docker.md):
 * built from dist/sidecar, run as documented (host network, the Docker socket mounted),
 * it serves the API, announces a labelled container ALIVE and proxies to it, leaves its own
 * container out (SidecarDiscover=false) and stops promptly on `docker stop`. In a container
 * network namespace, its entrypoint puts the well-known IP on lo with NET_ADMIN and says
 * what to do without it. Skipped locally without dockerd, local/busybox or dist/sidecar;
 * fails under CI=true, where .ci/run provides all three.
 */
const AGENT_IMAGE = process.env['SIDECAR_IMAGE'] ?? 'sidecar:local';
const RUN_ID = `sdi${process.pid}${Date.now().toString(36)}`;
const SOCKET = DOCKER_URL.startsWith('unix://') ? DOCKER_URL.slice('unix://'.length) : null;
const run = promisify(execFile);
let unavailable: string | null = null;

function needImage(t: TestContext): boolean {
  if (unavailable === null) return true;
  if (process.env['CI'] === 'true') assert.fail(`${unavailable} (CI must run the image system test)`);
  t.skip(unavailable);
  return false;
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const text = (e.stderr ?? '').trim() || (e.message ?? String(err));
  return text.split('\n').filter((l) => l.trim() !== '').slice(-1)[0] ?? text;
}

/** A port that is free for TCP and UDP on every address, below the kernel's ephemeral range
 * (32768+), where Docker's published ports and earlier suites' TIME_WAIT sockets live. */
const usedPorts = new Set<number>();
async function quietPort(): Promise<number> {
  for (;;) {
    const port = 21000 + Math.floor(Math.random() * 11000);
    if (usedPorts.has(port)) continue;
    const tcp = createServer();
    const udp = createSocket('udp4');
    try {
      await new Promise<void>((ok, fail) => tcp.once('error', fail).listen(port, '0.0.0.0', ok));
      await new Promise<void>((ok, fail) => {
        udp.once('error', fail);
        udp.bind(port, '0.0.0.0', ok);
      });
      usedPorts.add(port);
      return port;
    } catch {
      // taken: try another
    } finally {
      tcp.close();
      udp.close();
    }
  }
}

before(
  async () => {
    try {
      if (SOCKET === null) throw new Error(`DOCKER_URL=${DOCKER_URL} is not a unix socket; the image test mounts the socket`);
      await docker('version', '--format', '{{.Server.APIVersion}}');
    } catch (err) {
      unavailable = `dockerd not reachable at ${DOCKER_URL} (${firstLine(err)}); run scripts/docker/start-dockerd.sh`;
      return;
    }
    try {
      await docker('image', 'inspect', BUSYBOX);
    } catch {
      unavailable = `image ${BUSYBOX} missing; run scripts/docker/make-image.sh`;
      return;
    }
    if (process.env['SIDECAR_IMAGE'] !== undefined) return;
    try {
      // Quick when nothing changed (Docker's layer cache); makes the base image the first time.
      await run(resolve('scripts/docker/build-image.sh'), [], { env: { ...process.env, DOCKER_SOCK: SOCKET }, timeout: 600_000 });
    } catch (err) {
      unavailable = `could not build ${AGENT_IMAGE}: ${firstLine(err)}`;
    }
  },
  { timeout: 600_000 },
);

after(async () => {
  if (unavailable !== null) return;
  const ids = await docker('ps', '-aq', '--filter', `label=sidecar-test=${RUN_ID}`).catch(() => '');
  if (ids !== '') await docker('rm', '-f', ...ids.split('\n')).catch(() => '');
});

interface ServiceRecord {
  ID: string;
  Name: string;
  Image: string;
  Status: number;
  Ports: Array<{ Port: number; ServicePort: number; IP: string }>;
}

test('the image is labelled SidecarDiscover=false and stays small', async (t) => {
  if (!needImage(t)) return;
  assert.equal(await docker('image', 'inspect', '-f', '{{ index .Config.Labels "SidecarDiscover" }}', AGENT_IMAGE), 'false');
  const bytes = Number(await docker('image', 'inspect', '-f', '{{.Size}}', AGENT_IMAGE));
  t.diagnostic(`${AGENT_IMAGE}: ${bytes} bytes (${(bytes / 1e6).toFixed(1)} MB)`);
  // debian:bookworm-slim (74 MB) + dist/sidecar (about 111 MB) + busybox (2 MB).
  assert.ok(bytes < 250e6, `${bytes} bytes`);
});

test('run as documented: API, a labelled container ALIVE and proxied, its own container left out, prompt docker stop', { timeout: 120_000 }, async (t) => {
  if (!needImage(t) || SOCKET === null) return;
  const hostname = `${RUN_ID}-host`;
  const httpPort = await quietPort();
  const gossipPort = await quietPort();
  const servicePort = await quietPort();
  const agentName = `${RUN_ID}-agent`;
  // Ports away from the defaults and the proxy on 127.0.0.1, so it cannot clash with
  // anything on this host (or need NET_ADMIN on the host's lo).
  const agentId = (
    await docker('run', '-d', '--name', agentName, '-l', `sidecar-test=${RUN_ID}`, '--network', 'host', '-v', `${SOCKET}:/var/run/docker.sock`,
      '-e', `SIDECAR_HOSTNAME=${hostname}`, '-e', 'SIDECAR_ADVERTISE_IP=127.0.0.1', '-e', `SIDECAR_HTTP_PORT=${httpPort}`,
      '-e', 'SIDECAR_HTTP_BIND=127.0.0.1', '-e', `SIDECAR_BIND_PORT=${gossipPort}`, '-e', 'PROXY_BIND_IP=127.0.0.1',
      '-e', 'PROXY_SLOW_START=0s', AGENT_IMAGE)
  ).slice(0, 12);
  const api = `http://127.0.0.1:${httpPort}`;
  const logs = async (): Promise<string> => {
    const { stdout, stderr } = await run('docker', ['-H', DOCKER_URL, 'logs', agentName]);
    return stdout + stderr;
  };
  try {
    await eventually(async () => assert.equal((await fetch(`${api}/api/services.json`)).status, 200), { timeoutMs: 15_000, intervalMs: 100 });

    const web = `${RUN_ID}-web`;
    await docker('run', '-d', '--init', '--name', web, '-l', `sidecar-test=${RUN_ID}`, '-l', `ServiceName=${web}`, '-l', `ServicePort_80=${servicePort}`,
      '-l', 'HealthCheck=HttpGet', '-l', `HealthCheckArgs=http://{{ host }}:{{ tcp ${servicePort} }}/`, '-p', '0:80', BUSYBOX);
    // A container without ports: announced too, so its presence shows that the agent's own
    // (port-less) container is missing because of its label, not for want of ports.
    const idle = `${RUN_ID}-idle`;
    const idleId = (await docker('run', '-d', '--init', '--name', idle, '-l', `sidecar-test=${RUN_ID}`, '-l', `ServiceName=${idle}`, BUSYBOX, 'sleep', '300')).slice(0, 12);

    const services = await eventually(
      async () => {
        const body = (await (await fetch(`${api}/api/services.json`)).json()) as { Services: { [name: string]: ServiceRecord[] } };
        assert.equal(body.Services[web]?.[0]?.Status, 0, 'the labelled container is ALIVE once its HttpGet check passes');
        assert.ok(body.Services[idle]?.some((s) => s.ID === idleId), 'the port-less container is announced');
        return body.Services;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    assert.equal(services[web]?.[0]?.Ports[0]?.ServicePort, servicePort);
    const ours = Object.values(services).flat().filter((s) => s.ID === agentId || s.Image === AGENT_IMAGE);
    assert.deepEqual(ours, [], 'the agent does not announce its own container');

    // The load balancer in the container forwards the ServicePort to the container's httpd.
    await eventually(
      async () => assert.match(await (await fetch(`http://127.0.0.1:${servicePort}/`, { signal: AbortSignal.timeout(2000) })).text(), /hello from busybox/),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    assert.doesNotMatch(await logs(), /sidecar-entrypoint: cannot add/, 'nothing to add for 127.0.0.1');

    const started = Date.now();
    await docker('stop', '-t', '10', agentName);
    const stopMs = Date.now() - started;
    t.diagnostic(`docker stop took ${stopMs} ms`);
    assert.equal(await docker('inspect', '-f', '{{.State.ExitCode}}', agentName), '0', 'a clean exit on SIGTERM');
    assert.ok(stopMs < 5000, `docker stop took ${stopMs} ms: SIGTERM not handled (the timeout is 10 s)`);
  } catch (err) {
    t.diagnostic(`agent logs:\n${await logs().catch(() => '(none)')}`);
    throw err;
  }
});

test('the entrypoint puts the well-known IP on lo with NET_ADMIN and says what to do without it', { timeout: 60_000 }, async (t) => {
  if (!needImage(t)) return;
  // Each container has its own network namespace here, so the host's lo is not touched.
  const start = (name: string, ...extra: string[]): Promise<string> =>
    docker('run', '-d', '--name', name, '-l', `sidecar-test=${RUN_ID}`, ...extra, '-e', 'SIDECAR_DISCOVERY=', AGENT_IMAGE);
  const withCap = `${RUN_ID}-netadmin`;
  const withoutCap = `${RUN_ID}-nocap`;
  await Promise.all([start(withCap, '--cap-add', 'NET_ADMIN'), start(withoutCap)]);
  const logs = async (name: string): Promise<string> => {
    const { stdout, stderr } = await run('docker', ['-H', DOCKER_URL, 'logs', name]);
    return stdout + stderr;
  };
  await eventually(async () => assert.match(await logs(withCap), /sidecar-entrypoint: added 192\.168\.168\.168\/32 \(default\) to lo/), { timeoutMs: 10_000, intervalMs: 100 });
  assert.match(await docker('exec', withCap, 'ip', '-4', '-o', 'addr', 'show', 'dev', 'lo'), /inet 192\.168\.168\.168\/32/);
  await eventually(
    async () => assert.match(await logs(withoutCap), /sidecar-entrypoint: cannot add 192\.168\.168\.168\/32 \(default\) to lo: .*--cap-add NET_ADMIN/),
    { timeoutMs: 10_000, intervalMs: 100 },
  );
  // Either way the agent runs: its API answers on the default port at the container's IP.
  for (const name of [withCap, withoutCap]) {
    const ip = await docker('inspect', '-f', '{{.NetworkSettings.IPAddress}}', name);
    await eventually(async () => assert.equal((await fetch(`http://${ip}:7777/api/services.json`, { signal: AbortSignal.timeout(2000) })).status, 200), {
      timeoutMs: 15_000,
      intervalMs: 100,
    });
  }
});
