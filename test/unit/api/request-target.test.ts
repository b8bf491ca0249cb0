import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanPath, decodePath, escapePath, parseRequestTarget, queryGet } from '../../../src/api/request-target.js';

test('parseRequestTarget splits path and query, accepts absolute form and *, refuses the rest', () => {
  assert.deepEqual(parseRequestTarget('/api/watch?by_service=false'), { kind: 'path', rawPath: '/api/watch', rawQuery: 'by_service=false' });
  assert.deepEqual(parseRequestTarget('/a?b?c'), { kind: 'path', rawPath: '/a', rawQuery: 'b?c' });
  assert.deepEqual(parseRequestTarget('http://host:7777/state.json?x'), { kind: 'path', rawPath: '/state.json', rawQuery: 'x' });
  assert.deepEqual(parseRequestTarget('http://host'), { kind: 'path', rawPath: '', rawQuery: '' });
  assert.deepEqual(parseRequestTarget('*'), { kind: 'asterisk' });
  assert.equal(parseRequestTarget('state.json').kind, 'invalid');
  assert.equal(parseRequestTarget('/a\u0001b').kind, 'invalid');
  assert.equal(parseRequestTarget('/a\u007f').kind, 'invalid');
});

test('decodePath: percent-escapes, + kept, bad escapes refused, bytes read as UTF-8', () => {
  assert.equal(decodePath('/a%20b+c'), '/a b+c');
  assert.equal(decodePath('/x%2Fy'), '/x/y');
  assert.equal(decodePath('/%C3%A9t%c3%a9'), '/été');
  assert.equal(decodePath('/%FF'), '/\uFFFD');
  assert.equal(decodePath('/\u00c3\u00a9'), '/é'); // raw bytes as Node hands them over (latin1)
  assert.equal(decodePath('/%'), null);
  assert.equal(decodePath('/%2'), null);
  assert.equal(decodePath('/%zz'), null);
});

test("cleanPath is Go's: dots and empty segments resolved, root kept, trailing slash kept", () => {
  const cases: Array<[string, string]> = [
    ['', '/'],
    ['/', '/'],
    ['//', '/'],
    ['/a//b', '/a/b'],
    ['/a/./b/', '/a/b/'],
    ['/a/b/..', '/a'],
    ['/a/b/../', '/a/'],
    ['/..', '/'],
    ['/../a', '/a'],
    ['/./', '/'],
    ['a', '/a'],
    ['/ui/', '/ui/'],
    ['/a/...', '/a/...'],
  ];
  for (const [input, expected] of cases) assert.equal(cleanPath(input), expected, input);
});

test('escapePath keeps path-safe bytes and escapes the rest in upper-case hex', () => {
  assert.equal(escapePath('/api/services/a b.json'), '/api/services/a%20b.json');
  assert.equal(escapePath('/x;y=z@w:$&+,~'), '/x;y=z@w:$&+,~');
  assert.equal(escapePath('/é?#%'), '/%C3%A9%3F%23%25');
});

test("queryGet is url.Query().Get: first value, + is space, bad pairs skipped", () => {
  assert.equal(queryGet('by_service=false', 'by_service'), 'false');
  assert.equal(queryGet('by_service=false&by_service=true', 'by_service'), 'false');
  assert.equal(queryGet('by_service=%zz&by_service=false', 'by_service'), 'false');
  assert.equal(queryGet('by_service=false;x=1', 'by_service'), '');
  assert.equal(queryGet('by%5Fservice=fal%73e', 'by_service'), 'false');
  assert.equal(queryGet('a=b+c', 'a'), 'b c');
  assert.equal(queryGet('by_service', 'by_service'), '');
  assert.equal(queryGet('', 'by_service'), '');
});
