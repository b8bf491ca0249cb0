import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoint, Route, RoutingTable } from '../../../src/proxy/index.js';
import { NftablesFastpath } from '../../../src/proxy/fastpath/index.js';
import { captureLogger } from '../../helpers/log-capture.js';
import { makeNetns, netnsSkipReason, type TestNetns } from '../../helpers/netns.js';

// NftablesFastpath.describe() against a real kernel table, in a network namespace of this test
// (`nft` is a wrapper that enters it). Connections are made inside it to count.
const skip = netnsSkipReason();
const BIND_IP = '192.168.168.168';
let ns: TestNetns;
before(() => {
  if (skip === undefined) {
    ns = makeNetns('sc-fpd');
    ns.exec(['ip', 'addr', 'add', `${BIND_IP}/32`, 'dev', 'lo']);
    // A route to the endpoints' network (a veth whose other end answers nothing): the kernel
    // counts a connection when its first packet leaves (postrouting), so the SYN must have a way out.
    ns.exec(['ip', 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    ns.exec(['ip', 'addr', 'add', '10.0.0.254/24', 'dev', 'v0']);
    ns.exec(['ip', 'link', 'set', 'v0', 'up']);
    ns.exec(['ip', 'link', 'set', 'v1', 'up']);
  }
});
after(() => ns?.close());


function ep(key: string, ip: string, port: number): Endpoint {
  return { key, hostname: key, serviceId: key, ip, port, since: 0n };
}
function table(...routes: Route[]): RoutingTable {
  return { routes, collisions: [], excluded: [] };
}

/** One TCP connection attempt to the bind IP's `port` inside the namespace (its endpoints answer nothing: only the SYN matters). */
function connectOnce(port: number): void {
  ns.exec(['sh', '-c', `timeout 0.3 bash -c 'exec 3<>/dev/tcp/${BIND_IP}/${port}' 2>/dev/null; true`]);
}

test("describe() gives the kernel's rules per port, with each endpoint's counter, key and service; read at most once a second", { skip }, async () => {
  const { logger } = captureLogger();
  const fastpath = new NftablesFastpath({ bindIp: BIND_IP, logger, nftPath: ns.nft, table: 'sidecar_describe' });
  try {
    assert.equal(await fastpath.start(), true);
    await fastpath.apply(
      table(
        { servicePort: 8000, serviceName: 'web', mode: 'tcp', endpoints: [ep('a-1', '10.0.0.1', 30000), ep('b-1', '10.0.0.2', 30001)] },
        { servicePort: 8001, serviceName: 'api', mode: 'http', endpoints: [ep('a-2', '10.0.0.1', 31000)] },
      ),
    );
    for (let i = 0; i < 3; i++) connectOnce(8000);
    const described = await fastpath.describe();
    assert.equal(described.state, 'on');
    assert.ok(!Number.isNaN(Date.parse(described.rulesReadAt ?? '')));
    assert.deepEqual(described.rules, [
      {
        servicePort: 8000,
        serviceName: 'web',
        endpoints: [
          { key: 'a-1', ip: '10.0.0.1', port: 30000, connections: 2 },
          { key: 'b-1', ip: '10.0.0.2', port: 30001, connections: 1 },
        ],
      },
    ]);
    // Within a second the same read is shown (a read takes milliseconds: another would have another time): a client polling in a loop runs nft once.
    assert.equal((await fastpath.describe()).rulesReadAt, described.rulesReadAt);
    // status() never reads the rules.
    assert.equal(fastpath.status().rules, undefined);
  } finally {
    await fastpath.close();
  }
  // Closed: no read.
  const closed = await fastpath.describe();
  assert.equal(closed.state, 'closed');
  assert.equal(closed.rules, undefined);
});

test('describe() says why the rules could not be read back (the table was removed behind the agent)', { skip }, async () => {
  const { logger } = captureLogger();
  const fastpath = new NftablesFastpath({ bindIp: BIND_IP, logger, nftPath: ns.nft, table: 'sidecar_gone' });
  try {
    assert.equal(await fastpath.start(), true);
    await fastpath.apply(table({ servicePort: 8000, serviceName: 'web', mode: 'tcp', endpoints: [ep('a-1', '10.0.0.1', 30000)] }));
    ns.exec(['nft', 'delete', 'table', 'ip', 'sidecar_gone']);
    const described = await fastpath.describe();
    assert.equal(described.rules, undefined);
    assert.match(described.rulesError ?? '', /^nft exited with 1: .*No such file or directory/);
  } finally {
    await fastpath.close();
  }
});
