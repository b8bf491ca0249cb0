/**
 * The fake Kubernetes API server (test/helpers/fake-kube-api.ts) as a process of its own, so it
 * can run inside a host's network namespace for test/system/kubernetes:
 *
 *   ip netns exec hK bin/node24 --import tsx test/system/kubernetes/kube-api-server.ts DIR
 *
 * It serves https on 127.0.0.1 with a self-signed certificate (openssl) and accepts one bearer
 * token, as a real API server does for a pod's service account: it writes DIR/creds/token and
 * DIR/creds/ca.crt (the folder K8S_CREDS_PATH names) and prints one JSON line
 * `{"url":"https://127.0.0.1:PORT","credsPath":"DIR/creds"}`. Then it takes one JSON command per
 * line on stdin and answers each with one JSON line carrying the command's `id`:
 *
 *   {"id":1,"op":"put","resource":"pods","object":{...}}     -> {"id":1,"ok":true,"resourceVersion":"7"}
 *   {"id":2,"op":"remove","resource":"pods","name":"web-1"}  -> {"id":2,"ok":true}
 *   {"id":3,"op":"count","verb":"list"}                      -> {"id":3,"ok":true,"count":2}
 *
 * A bad command answers {"id":…,"ok":false,"error":"..."}. It exits when stdin closes (or on SIGTERM).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FakeKubeApi, type KubeObj, type RequestRecord, type Resource } from '../../helpers/fake-kube-api.js';

interface Command {
  readonly id?: number;
  readonly op?: string;
  readonly resource?: Resource;
  readonly object?: KubeObj;
  readonly name?: string;
  readonly verb?: RequestRecord['verb'];
}

const TOKEN = 'sidecar-daemonset-token';
const RESOURCES: ReadonlySet<string> = new Set(['pods', 'services', 'nodes']);

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: kube-api-server.ts DIR\n');
  process.exit(2);
}
const creds = join(dir, 'creds');
mkdirSync(creds, { recursive: true });
const key = join(dir, 'tls.key');
const ca = join(creds, 'ca.crt');
execFileSync(
  'openssl',
  ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=kubernetes', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', ca],
  { stdio: 'ignore' },
);
writeFileSync(join(creds, 'token'), `${TOKEN}\n`);

const api = new FakeKubeApi({ tokens: new Set([TOKEN]), tls: { cert: readFileSync(ca, 'utf8'), key: readFileSync(key, 'utf8') } });
await api.start();

function resourceOf(cmd: Command): Resource {
  if (cmd.resource === undefined || !RESOURCES.has(cmd.resource)) throw new Error(`unknown resource ${JSON.stringify(cmd.resource)}`);
  return cmd.resource;
}

function handle(cmd: Command): Record<string, unknown> {
  switch (cmd.op) {
    case 'put': {
      if (cmd.object === undefined) throw new Error('put needs an object');
      return { resourceVersion: api.put(resourceOf(cmd), cmd.object).metadata.resourceVersion };
    }
    case 'remove':
      api.remove(resourceOf(cmd), cmd.name ?? '');
      return {};
    case 'count':
      return { count: api.count(cmd.verb ?? 'list') };
    default:
      throw new Error(`unknown op ${JSON.stringify(cmd.op)}`);
  }
}

function reply(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await api.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  let cmd: Command = {};
  try {
    cmd = JSON.parse(line) as Command;
    reply({ id: cmd.id, ok: true, ...handle(cmd) });
  } catch (err) {
    reply({ id: cmd.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
lines.on('close', () => void stop());
reply({ url: api.url, credsPath: creds });
