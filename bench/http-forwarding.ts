/**
 * Micro benchmark of one frontend's forwarding path, side by side on loopback:
 * direct to a backend, TcpForwarder (`tcp` mode), HttpForwarder (`http` mode), and HAProxy
 * 2.x `mode http` when `haproxy` is on the PATH. Backends: nginx (1 worker, 2 ports, `ok\n`)
 * when installed, else a minimal Node responder. Load: autocannon, keep-alive.
 *
 *   node --import tsx bench/http-forwarding.ts [--connections 50] [--seconds 8] [--pipelining 1]
 *
 * With `taskset` available the proxy runs alone on core 1, load and backends on core 0 (the
 * pinning of reference/performance-anchors.md). Not a test: it prints a table of req/s, p50,
 * p99 and ratios, and asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { systemClock } from '../src/core/index.js';
import { FrontendSet, RoundRobin, type Endpoint } from '../src/proxy/index.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
};
const out = (line: string): void => void process.stdout.write(`${line}\n`);

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Child role: a proxy frontend (`tcp` or `http`) on `port` over `backends`. */
async function runProxy(mode: string, port: number, backends: number[]): Promise<void> {
  const endpoints: Endpoint[] = backends.map((p, i) => ({ key: `b${i}`, hostname: 'local', serviceId: `b${i}`, ip: '127.0.0.1', port: p, since: 0n }));
  const set = new FrontendSet({ bindIp: '127.0.0.1', logger: pino({ level: 'silent' }), clock: systemClock });
  await set.apply(new Map([[port, { picker: new RoundRobin(endpoints), mode, serviceName: 'bench' }]]));
  process.send?.('ready');
}

/** Child role: a minimal keep-alive responder (used when nginx is not installed). */
async function runNodeBackend(ports: number[]): Promise<void> {
  const reply = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n');
  for (const port of ports) {
    const server = createNetServer((s) => {
      s.setNoDelay(true);
      let tail = '';
      s.on('data', (c: Buffer) => {
        const text = tail + c.toString('latin1');
        let n = 0;
        let i = 0;
        while ((i = text.indexOf('\r\n\r\n', i)) >= 0) {
          n++;
          i += 4;
        }
        tail = text.slice(text.lastIndexOf('\r\n\r\n') + 4);
        for (let k = 0; k < n; k++) s.write(reply);
      });
      s.on('error', () => s.destroy());
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  }
  process.send?.('ready');
}

const children: ChildProcess[] = [];
const pin = existsSync('/usr/bin/taskset');

function start(cmd: string, cmdArgs: string[], core: number, ipc: boolean): ChildProcess {
  const [c, a] = pin ? ['taskset', ['-c', String(core), cmd, ...cmdArgs]] : [cmd, cmdArgs];
  const child = spawn(c as string, a as string[], { stdio: ipc ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

function startNodeRole(role: string[], core: number): Promise<void> {
  const child = start(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...role], core, true);
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${role.join(' ')} exited ${code}`)));
  });
}

async function waitPort(port: number): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}

async function load(port: number, connections: number, seconds: number, pipelining: number): Promise<autocannon.Result> {
  await autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: 1, pipelining }); // warm-up
  return autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: seconds, pipelining });
}

async function main(): Promise<void> {
  if (args[0] === '--role') {
    if (args[1] === 'proxy') await runProxy(arg('mode', 'http'), Number(arg('port', '0')), arg('backends', '').split(',').map(Number));
    else await runNodeBackend(arg('ports', '').split(',').map(Number));
    return;
  }
  const connections = Number(arg('connections', '50'));
  const seconds = Number(arg('seconds', '8'));
  const pipelining = Number(arg('pipelining', '1'));
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-bench-'));
  try {
    const [b1, b2, tcpPort, httpPort, haPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const backends = [b1 as number, b2 as number];
    let backendKind = 'node';
    if (existsSync('/usr/sbin/nginx')) {
      backendKind = 'nginx';
      writeFileSync(
        join(dir, 'nginx.conf'),
        `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 100000000; keepalive_timeout 75s;
  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/pt; fastcgi_temp_path ${dir}/ft; uwsgi_temp_path ${dir}/ut; scgi_temp_path ${dir}/st;
  server { listen 127.0.0.1:${b1}; listen 127.0.0.1:${b2}; location / { default_type text/plain; return 200 "ok\\n"; } } }
`,
      );
      start('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], 0, false);
      await Promise.all(backends.map(waitPort));
    } else {
      await startNodeRole(['--role', 'backend', '--ports', backends.join(',')], 0);
    }
    await startNodeRole(['--role', 'proxy', '--mode', 'tcp', '--port', String(tcpPort), '--backends', backends.join(',')], 1);
    await startNodeRole(['--role', 'proxy', '--mode', 'http', '--port', String(httpPort), '--backends', backends.join(',')], 1);
    const scenarios: [string, number][] = [
      ['direct', b1 as number],
      ['TcpForwarder (tcp)', tcpPort as number],
      ['HttpForwarder (http)', httpPort as number],
    ];
    if (existsSync('/usr/sbin/haproxy')) {
      writeFileSync(
        join(dir, 'haproxy.cfg'),
        `global\n  nbthread 1\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 1m\n  timeout server 1m\n  option http-keep-alive\nfrontend f\n  bind 127.0.0.1:${haPort}\n  default_backend b\nbackend b\n  balance roundrobin\n  server s1 127.0.0.1:${b1}\n  server s2 127.0.0.1:${b2}\n`,
      );
      start('/usr/sbin/haproxy', ['-f', join(dir, 'haproxy.cfg')], 1, false);
      await waitPort(haPort as number);
      scenarios.push(['HAProxy (mode http)', haPort as number]);
    }
    out(`backends: ${backendKind}; autocannon -c ${connections} -p ${pipelining} -d ${seconds}s; pinned: ${pin ? 'proxy on core 1, load+backends on core 0' : 'no'}`);
    const results: { name: string; rps: number; p50: number; p99: number; errors: number; non2xx: number }[] = [];
    for (const [name, port] of scenarios) {
      const r = await load(port, connections, seconds, pipelining);
      results.push({ name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx });
    }
    const ha = results.find((r) => r.name.startsWith('HAProxy'));
    const tcp = results.find((r) => r.name.startsWith('Tcp'));
    out('| path | req/s | p50 ms | p99 ms | errors | non-2xx | ÷ HAProxy http | ÷ TcpForwarder |');
    out('|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      const vsHa = ha === undefined ? '–' : (r.rps / ha.rps).toFixed(2);
      const vsTcp = tcp === undefined ? '–' : (r.rps / tcp.rps).toFixed(2);
      out(`| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${vsHa} | ${vsTcp} |`);
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
