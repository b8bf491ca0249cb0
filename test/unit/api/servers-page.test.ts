import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatService, formatState, serversPage } from '../../../src/api/servers-page.js';
import { ServiceStatus } from '../../../src/catalog/index.js';
import { makeService, makeState, ts } from '../../helpers/catalog.js';

const NOW = ts('2023-11-14T10:21:40Z');

test('a service line has Go\'s columns: ID, name 30, ports 15, image 45, two spaces, age 15, status 9', () => {
  const line = formatService(makeService(), NOW);
  assert.equal(
    line,
    `      deadbeef123 ${'bocaccio'.padEnd(30)} ${'10100-&gt;9999'}${' '.repeat(4)} ${'101deadbeef'.padEnd(45)}  ${'5.0 secs ago'.padEnd(15)} Alive    \n`,
  );
});

test('columns count characters, not UTF-16 units, and long values are not cut', () => {
  const line = formatService(makeService({ name: '🎉été', image: 'i'.repeat(50), ports: null, status: 99 }), NOW);
  assert.ok(line.includes(`🎉été${' '.repeat(26)} `));
  assert.ok(line.includes(`${' '.repeat(15)} ${'i'.repeat(50)}  `));
  assert.ok(line.endsWith('Tombstone\n'));
});

test('every value is HTML-escaped after padding', () => {
  const { state } = makeState();
  state.addServiceEntry(makeService({ id: '<id>', name: '<script>alert(1)</script>', image: 'a&b"c\'', hostname: 'h<1>' }));
  const text = formatState(state, [{ name: '<m>' }], NOW);
  assert.doesNotMatch(text, /<script>|<id>|<1>|<m>/);
  assert.ok(text.includes('  h&lt;1&gt;: (5.0 secs ago)\n'));
  assert.ok(text.includes('      &lt;id&gt; &lt;script&gt;alert(1)&lt;/script&gt;     '));
  assert.ok(text.includes('a&amp;b&#34;c&#39;'));
  assert.ok(text.includes('    &lt;m&gt;\n'));
});

test('servers sorted by name, services by name then ID, hosts sorted and unique', () => {
  const { state } = makeState();
  state.addServiceEntry(makeService({ hostname: 'zeta', id: 'b2', name: 'b' }));
  state.addServiceEntry(makeService({ hostname: 'zeta', id: 'a1', name: 'c' }));
  state.addServiceEntry(makeService({ hostname: 'zeta', id: 'a0', name: 'b' }));
  state.addServiceEntry(makeService({ hostname: 'alpha', id: 'x', name: 'x', status: ServiceStatus.DRAINING }));
  const text = formatState(state, [{ name: 'zeta' }, { name: 'alpha' }, { name: 'zeta' }], NOW);
  const order = [...text.matchAll(/^ {6}(\S+)|^ {2}(\S+):|^ {4}(\S+)$/gm)].map((m) => m[1] ?? m[2] ?? m[3]);
  assert.deepEqual(order, ['alpha', 'x', 'zeta', 'a0', 'b2', 'a1', 'alpha', 'zeta']);
  assert.ok(text.startsWith('Services ------------------------------\n'));
  assert.ok(text.endsWith('\nCluster Hosts -------------------------\n    alpha\n    zeta\n---------------------------------------'));
});

test('the page wraps the dump like the Go handler, with a 4 s refresh', () => {
  const { state } = makeState();
  const page = serversPage(state, [], NOW);
  assert.equal(
    page,
    '\n \t\t\t<head>\n \t\t\t<meta http-equiv="refresh" content="4">\n \t\t\t</head>\n\t    \t<pre>Services ------------------------------\n' +
      '\nCluster Hosts -------------------------\n---------------------------------------</pre>',
  );
});
