import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeGoJson, encodeGoJsonPretty, goString, sortedMap, RawJson, compareGoKeys } from '../../../src/core/index.js';

test('escapes HTML-sensitive characters like Go', () => {
  assert.equal(goString('<a href="x">&</a>'), '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"');
  assert.equal(goString('line\u2028sep'), '"line\\u2028sep"');
  assert.equal(goString('tab\tnl\n'), '"tab\\tnl\\n"');
  assert.equal(goString('bad \ud800 surrogate'), '"bad \ufffd surrogate"');
});

test('maps keep insertion order, even for integer-like keys', () => {
  const m = new Map([
    ['b', 1],
    ['10', 2],
    ['a', 3],
  ]);
  assert.equal(encodeGoJson(m), '{"b":1,"10":2,"a":3}');
  assert.equal(encodeGoJson(sortedMap(m)), '{"10":2,"a":3,"b":1}');
});

test('sorts keys by UTF-8 bytes', () => {
  assert.ok(compareGoKeys('\uffff', '\u{10000}') < 0);
  assert.ok(compareGoKeys('B', 'a') < 0);
});

test('pretty output equals json.MarshalIndent(v, "", "  ")', () => {
  const v = new Map<string, unknown>([
    ['Services', new Map([['x', [new Map([['ID', 'a'], ['Ports', null]])]]])],
    ['Empty', []],
    ['None', new Map()],
    ['ClusterName', 'default'],
  ]);
  const expected = '{\n  "Services": {\n    "x": [\n      {\n        "ID": "a",\n        "Ports": null\n      }\n    ]\n  },\n  "Empty": [],\n  "None": {},\n  "ClusterName": "default"\n}';
  assert.equal(encodeGoJsonPretty(v as never), expected);
});

test('raw JSON is spliced verbatim (compact) and re-indented (pretty)', () => {
  const v = new Map([['S', new RawJson('{"A":[1,2]}')]]);
  assert.equal(encodeGoJson(v), '{"S":{"A":[1,2]}}');
  assert.equal(encodeGoJsonPretty(v), '{\n  "S": {\n    "A": [\n      1,\n      2\n    ]\n  }\n}');
});

test('raw JSON keeps integer-like key order when re-indented', () => {
  const v = new Map([['S', new RawJson('{"b":{"2":"x,\\"y\\"","10":[]},"a":{}}')]]);
  assert.equal(encodeGoJsonPretty(v), '{\n  "S": {\n    "b": {\n      "2": "x,\\"y\\"",\n      "10": []\n    },\n    "a": {}\n  }\n}');
});
