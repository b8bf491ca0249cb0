import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoint, ProxyMode, Route, RoutingTable } from '../../../src/proxy/index.js';
import { NftablesFastpath, buildNftRuleset, buildNftUpdate, fastpathRoutes, runNft, type FastpathRoute } from '../../../src/proxy/fastpath/index.js';
import { ErrorCode } from '../../../src/core/index.js';
import { captureLogger, LEVEL } from '../../helpers/log-capture.js';
import { makeNetns, netnsSkipReason, type TestNetns } from '../../helpers/netns.js';

// Everything runs inside a network namespace of this test: `nft` is a wrapper that enters it.
const skip = netnsSkipReason();
let ns: TestNetns;
before(() => {
  if (skip === undefined) ns = makeNetns('sc-fp');
});
after(() => ns?.close());

const BIND_IP = '192.168.168.168';

function ep(key: string, ip: string, port: number): Endpoint {
  return { key, hostname: key, serviceId: key, ip, port, since: 0n };
}
function route(servicePort: number, mode: ProxyMode, endpoints: Endpoint[]): Route {
  return { servicePort, serviceName: `svc${servicePort}`, mode, endpoints };
}
function table(...routes: Route[]): RoutingTable {
  return { routes, collisions: [], excluded: [] };
}
const TWO = table(route(8000, 'tcp', [ep('a-1', '10.0.0.1', 30000), ep('b-1', '10.0.0.2', 30001)]), route(8001, 'http', [ep('a-2', '10.0.0.1', 31000)]));

async function tables(): Promise<string> {
  const r = await runNft(['list', 'tables'], '', { nftPath: ns.nft });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('nft checks the ruleset of 1,000 services (nft -c)', { skip }, async () => {
  const routes = Array.from({ length: 1000 }, (_, i) =>
    route(10000 + i, 'tcp', [ep(`a-${i}`, '10.0.0.1', 20000 + i), ep(`b-${i}`, '10.0.0.2', 20000 + i), ep(`c-${i}`, '10.0.1.3', 40000 + i)]),
  );
  const r = await runNft(['-c', '-f', '-'], buildNftRuleset(fastpathRoutes(table(...routes)), BIND_IP), { nftPath: ns.nft });
  assert.equal(r.code, 0, r.stderr);
});

test('an update from one routing table to another leaves the same table as building the second whole', { skip }, async () => {
  const r = (port: number, ...hosts: number[]): FastpathRoute => ({
    servicePort: port,
    serviceName: `s${port}`,
    endpoints: hosts.map((h) => ({ key: `h${h}`, ip: `10.0.0.${h % 100}`, port: 9000 + h })), // h and 100 + h: one IP, two ports
  });
  const steps: FastpathRoute[][] = [
    [r(8000, 1, 2), r(8001, 3), r(8002, 1, 2, 3)],
    [r(8000, 2), r(8002, 1, 3, 4, 5), r(8003, 6)],
    [r(8001, 7), r(8002, 5), r(8003, 6, 1)],
    [],
    [r(8000, 1)],
    [r(8000, 101)],
  ];
  // nft lists chains in the order they were made: compare the chains, the map's elements and
  // the counted endpoints' elements as sorted lists (no traffic: every counter stays 0).
  const listing = (): { chains: string[]; elements: string[]; endpoints: string[]; slots: string[] } => {
    const text = ns.exec(['nft', 'list', 'table', 'ip', 'fp_update']);
    return {
      chains: [...text.matchAll(/\tchain [^\n]*\{\n[\s\S]*?\n\t\}/g)].map((m) => m[0]).sort(),
      elements: [...text.matchAll(/[\d.]+ \. \d+ : goto \w+/g)].map((m) => m[0]).sort(),
      endpoints: [...text.matchAll(/\d+ \. [\d.]+ \. \d+ counter packets 0 bytes 0/g)].map((m) => m[0]).sort(),
      slots: [...text.matchAll(/\d+ \. \d+ : [\d.]+ \. \d+/g)].map((m) => m[0]).sort(),
    };
  };
  const nft = async (text: string): Promise<void> => {
    const res = await runNft(['-f', '-'], text, { nftPath: ns.nft });
    assert.equal(res.code, 0, `${res.stderr}\n${text}`);
  };
  await nft(buildNftRuleset(steps[0] ?? [], BIND_IP, 'fp_update'));
  for (let i = 1; i < steps.length; i++) {
    await nft(buildNftUpdate(steps[i - 1] ?? [], steps[i] ?? [], BIND_IP, 'fp_update') || '\n');
    const updated = listing();
    await nft(buildNftRuleset(steps[i] ?? [], BIND_IP, 'fp_update'));
    assert.deepEqual(updated, listing(), `step ${i}`);
    assert.ok(updated.chains.length >= 4, 'the hooks are listed');
    assert.equal(updated.slots.length, (steps[i] ?? []).reduce((n, r) => n + r.endpoints.length, 0), `step ${i}: one slot per endpoint`);
    assert.equal(updated.endpoints.length, new Set((steps[i] ?? []).flatMap((r) => r.endpoints.map((e) => `${r.servicePort} ${e.ip} ${e.port}`))).size, `step ${i}: one counted element per endpoint`);
  }
  await nft('delete table ip fp_update\n');
});

test('the table follows the tcp routes, a crashed agent\'s table is replaced, close removes it', { skip }, async () => {
  const { logger, records } = captureLogger();
  const first = new NftablesFastpath({ bindIp: BIND_IP, logger, nftPath: ns.nft });
  let second: NftablesFastpath | undefined;
  try {
    assert.equal(await first.start(), true);
    await first.apply(TWO);
    const listed = ns.exec(['nft', 'list', 'table', 'ip', 'sidecar']);
    assert.match(listed, /192\.168\.168\.168 \. 8000 : goto svc_8000/);
    assert.match(listed, /dnat ip to tcp dport \. numgen inc mod 2 map @backends/);
    assert.match(listed, /8000 \. 0 : 10\.0\.0\.1 \. 30000,\s+8000 \. 1 : 10\.0\.0\.2 \. 30001/);
    assert.match(listed, /8000 \. 10\.0\.0\.2 \. 30001 counter packets 0 bytes 0/);
    assert.doesNotMatch(listed, /8001|31000/, 'http routes stay on the Node balancer');
    assert.deepEqual(first.status().ports, [8000]);
    assert.equal(first.status().applies, 1);

    // The same routes again: no transaction. One endpoint gone: the chain follows.
    await first.apply(TWO);
    assert.equal(first.status().applies, 1);
    await first.apply(table(route(8000, 'tcp', [ep('b-1', '10.0.0.2', 30001)])));
    const after = ns.exec(['nft', 'list', 'table', 'ip', 'sidecar']);
    assert.doesNotMatch(after, /10\.0\.0\.1/);
    assert.match(after, /numgen inc mod 1 map @backends/);
    assert.match(after, /8000 \. 0 : 10\.0\.0\.2 \. 30001/);

    // The first agent "crashes" (never closes); the next one removes its table at start.
    second = new NftablesFastpath({ bindIp: BIND_IP, logger, nftPath: ns.nft });
    assert.equal(await second.start(), true);
    assert.doesNotMatch(await tables(), /sidecar/);
    assert.ok(records.some((r) => r.level === LEVEL.warn && /left by an earlier agent/.test(r.msg)));
    await second.apply(TWO);
    assert.match(await tables(), /^table ip sidecar$/m);
    await second.close();
    await second.close();
    assert.doesNotMatch(await tables(), /sidecar/);
    assert.equal(second.status().state, 'closed');
  } finally {
    // Also when an assertion fails: their long-lived nft would keep this test process alive.
    await second?.close();
    await first.close();
  }
});

test('without nft or without CAP_NET_ADMIN it falls back once and says why', { skip }, async () => {
  for (const [nftPath, why] of [
    ['/nonexistent/nft', /`nft` is not installed/],
    [ns.nft.replace(/nft$/, 'nft-unprivileged'), /lacks CAP_NET_ADMIN/],
  ] as const) {
    const { logger, records } = captureLogger();
    const fastpath = new NftablesFastpath({ bindIp: BIND_IP, logger, nftPath });
    assert.equal(await fastpath.start(), false);
    await fastpath.apply(TWO);
    assert.equal(fastpath.status().state, 'off');
    assert.match(fastpath.status().reason ?? '', why);
    const warnings = records.filter((r) => r.code === ErrorCode.FASTPATH_UNAVAILABLE);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]?.msg ?? '', /the Node balancer serves TCP ports/);
    await fastpath.close();
  }
  const { logger } = captureLogger();
  const v6 = new NftablesFastpath({ bindIp: 'fd00::1', logger, nftPath: ns.nft });
  assert.equal(await v6.start(), false);
  assert.match(v6.status().reason ?? '', /not IPv4/);
});

test('a failing transaction removes the table and is logged with its code', { skip }, async () => {
  const { logger, records } = captureLogger();
  // The builder never writes a ruleset nft refuses from a routing table; a table name nft cannot parse makes one.
  const broken = new NftablesFastpath({ bindIp: BIND_IP, logger, nftPath: ns.nft, table: 'bad name' });
  assert.equal(await broken.start(), true);
  await broken.apply(TWO);
  assert.equal(broken.status().failures, 1);
  assert.equal(broken.status().applies, 0);
  assert.deepEqual(broken.status().ports, []);
  const failure = records.find((r) => r.code === ErrorCode.FASTPATH_APPLY);
  assert.equal(failure?.level, LEVEL.error);
  assert.match(String(failure?.nft), /nft exited with 1: .*Error/);
  await broken.close();
});

test('an update that fails (the table was changed behind the agent) is followed by a whole build', { skip }, async () => {
  const { logger, records } = captureLogger();
  const fastpath = new NftablesFastpath({ bindIp: BIND_IP, logger, nftPath: ns.nft, table: 'sidecar_again' });
  try {
    assert.equal(await fastpath.start(), true);
    await fastpath.apply(TWO);
    ns.exec(['nft', 'delete', 'table', 'ip', 'sidecar_again']);
    await fastpath.apply(table(route(8000, 'tcp', [ep('b-1', '10.0.0.2', 30001)])));
    assert.equal(fastpath.status().failures, 1);
    assert.ok(records.some((r) => r.code === ErrorCode.FASTPATH_APPLY));
    await fastpath.apply(table(route(8000, 'tcp', [ep('c-1', '10.0.0.3', 30002)])));
    assert.match(ns.exec(['nft', 'list', 'table', 'ip', 'sidecar_again']), /8000 \. 0 : 10\.0\.0\.3 \. 30002/);
    assert.deepEqual(fastpath.status().ports, [8000]);
  } finally {
    await fastpath.close();
  }
  assert.doesNotMatch(await tables(), /sidecar_again/);
});
