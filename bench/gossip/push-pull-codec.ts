// How long one push/pull's node list takes to encode and decode at cluster sizes up to
// 5,000 (each direction of a push/pull blocks the event loop, and so the load balancer,
// for that long). Plain and LZW-compressed, Go Sidecar dialect, no encryption.
//   node --import tsx bench/gossip/push-pull-codec.ts [sizes=100,1000,5000]
import { goSidecarDialect } from '../../src/membership/index.js';
import { encodeStream, readStream, type PushNodeState, type StreamMessage } from '../../src/membership/wire/push-pull.js';

const sizes = (process.argv[2] ?? '100,1000,5000').split(',').map(Number);
const dialect = goSidecarDialect('default');
const meta = new TextEncoder().encode(JSON.stringify({ ClusterName: 'default', State: '' }));

function timeMs(runs: number, fn: () => unknown): number {
  for (let i = 0; i < 3; i++) fn();
  const start = performance.now();
  for (let i = 0; i < runs; i++) fn();
  return (performance.now() - start) / runs;
}

process.stdout.write('| nodes | encode ms | encode + LZW ms | decode ms | decode LZW ms | bytes (LZW) |\n|---|---|---|---|---|---|\n');
for (const n of sizes) {
  const nodes: PushNodeState[] = Array.from({ length: n }, (_, i) => ({
    name: `node-${i}.example.internal`,
    addr: new Uint8Array([10, 0, (i >> 8) & 255, i & 255]),
    port: 7946,
    meta,
    incarnation: i + 1,
    state: 0,
    vsn: new Uint8Array([1, 5, 2, 0, 0, 0]),
  }));
  const msg: StreamMessage = { type: 'pushPull', join: false, nodes, userState: new Uint8Array(1000) };
  const plain = encodeStream(msg, { dialect, compress: false });
  const packed = encodeStream(msg, { dialect, compress: true });
  for (const bytes of [plain, packed]) {
    const back = readStream(bytes, { dialect });
    if (back.status !== 'done' || back.message.type !== 'pushPull' || back.message.nodes.length !== n) throw new Error(`round trip of ${n} nodes failed: ${back.status}`);
  }
  const runs = Math.max(3, Math.round(20_000 / n));
  const row = [
    n,
    timeMs(runs, () => encodeStream(msg, { dialect, compress: false })).toFixed(2),
    timeMs(runs, () => encodeStream(msg, { dialect, compress: true })).toFixed(2),
    timeMs(runs, () => readStream(plain, { dialect })).toFixed(2),
    timeMs(runs, () => readStream(packed, { dialect })).toFixed(2),
    `${plain.length} (${packed.length})`,
  ];
  process.stdout.write(`| ${row.join(' | ')} |\n`);
}
