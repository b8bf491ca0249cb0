import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locateJsonError, positionAt } from '../../../src/discovery/static/json-error-position.js';

test('positionAt counts lines for \\n, \\r\\n and \\r', () => {
  assert.deepEqual(positionAt('ab\ncd', 4), { offset: 4, line: 2, column: 2 });
  assert.deepEqual(positionAt('ab\r\ncd', 5), { offset: 5, line: 2, column: 2 });
  assert.deepEqual(positionAt('a\rb\rc', 4), { offset: 4, line: 3, column: 1 });
  assert.deepEqual(positionAt('abc', 0), { offset: 0, line: 1, column: 1 });
});

test('the scanner accepts exactly what JSON.parse accepts', () => {
  const samples = [
    '[]', '{}', ' [1, 2.5, -0, 1e5, -1.2E-3] ', '{"a": {"b": [true, false, null]}}', '"\\u00e9\\n\\"\\/"',
    '[1,]', '{"a":1,}', '[01]', '[1.]', '[.5]', '[-]', '[+1]', "['a']", '{a: 1}', '[tru]', '[nul]',
    '"\\x"', '"\\u12g4"', '"a\tb"', '[1 2]', '{"a" 1}', '[', '{', '"abc', '', '  ', '[1]]', 'true false',
    '[1e]', '[1e+]', '{"a":1}x', '[NaN]', '[Infinity]', '\u00a0[]', '[\u2028]',
  ];
  for (const text of samples) {
    let valid = true;
    try {
      JSON.parse(text);
    } catch {
      valid = false;
    }
    const at = locateJsonError(text);
    assert.equal(at === null, valid, `${JSON.stringify(text)}: scanner says ${JSON.stringify(at)}, JSON.parse valid=${valid}`);
  }
});

test('the error is placed at the first character that cannot be there', () => {
  const offset = (text: string): number | undefined => locateJsonError(text)?.offset;
  assert.equal(offset('[1,]'), 3);
  assert.equal(offset('{"a":1,}'), 7);
  assert.equal(offset('[1 2]'), 3);
  assert.equal(offset('[tru]'), 4);
  assert.equal(offset('"a\tb"'), 2);
  assert.equal(offset('[1'), 2);
  assert.equal(offset('[1]]'), 3);
});
