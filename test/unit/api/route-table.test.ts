import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable, compileTemplate } from '../../../src/api/route-table.js';

function table(): RouteTable<string> {
  return new RouteTable<string>()
    .add('GET', '/services/{name}.{extension}', 'one')
    .add('POST', '/services/{id}/drain', 'drain')
    .add('GET', '/services.{extension}', 'all')
    .add('OPTIONS', '/{path}', 'options')
    .addPrefix('/ui', 'ui');
}

test('templates compile to whole-path regexes with [^/]+ variables and literal dots', () => {
  assert.deepEqual(compileTemplate('/services/{name}.{extension}'), {
    source: '\\/services\\/([^/]+)\\.([^/]+)',
    names: ['name', 'extension'],
  });
  assert.throws(() => compileTemplate('/a/{b'), /unbalanced/);
});

test('{name}.{extension} splits at the last dot', () => {
  const m = table().match('GET', '/services/a.b.json');
  assert.equal(m.kind, 'found');
  if (m.kind !== 'found') return;
  assert.equal(m.handler, 'one');
  assert.equal(m.vars.get('name'), 'a.b');
  assert.equal(m.vars.get('extension'), 'json');
  assert.equal(m.vars.get('missing'), '');
});

test('variables never span a slash and the whole path must match', () => {
  const t = new RouteTable<string>().add('GET', '/services/{name}.{extension}', 'one').add('GET', '/services.{extension}', 'all');
  assert.equal(t.match('GET', '/services/a/b.json').kind, 'notFound');
  assert.equal(t.match('GET', '/services/.json').kind, 'notFound');
  assert.equal(t.match('GET', '/services/a.').kind, 'notFound');
  assert.equal(t.match('GET', '/servicesXjson').kind, 'notFound');
  assert.equal(t.match('GET', '/services.json/x').kind, 'notFound');
  assert.equal(t.match('GET', '/services.json').kind, 'found');
});

test('a path matched with the wrong method is a 405, unless a later route matches both', () => {
  assert.deepEqual(table().match('GET', '/services/x/drain'), { kind: 'methodNotAllowed' });
  assert.deepEqual(table().match('POST', '/services.json'), { kind: 'methodNotAllowed' });
  assert.deepEqual(table().match('GET', '/anything'), { kind: 'methodNotAllowed' });
  const options = table().match('OPTIONS', '/services.json');
  assert.equal(options.kind === 'found' && options.handler, 'options');
  assert.deepEqual(table().match('GET', '/a/b'), { kind: 'notFound' });
});

test('prefix routes match every method and any continuation', () => {
  for (const [method, path] of [['GET', '/ui'], ['DELETE', '/ui/x/y'], ['GET', '/uix']] as const) {
    const m = table().match(method, path);
    assert.equal(m.kind === 'found' && m.handler, 'ui', `${method} ${path}`);
  }
});
