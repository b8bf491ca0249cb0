import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonStreamDecoder } from '../../helpers/json-stream.js';

// The decoder is test infrastructure for /watch; it is checked here so that watch tests can trust it.
const STREAM = '{"a":"}{\\"[","b":[1,{"c":"\\\\"}]}[{"x":"é🎉"}] \n{"d":{}}';

test('splits concatenated documents, whatever the chunk boundaries', () => {
  for (let size = 1; size <= STREAM.length; size++) {
    const decoder = new JsonStreamDecoder();
    for (let i = 0; i < STREAM.length; i += size) decoder.push(STREAM.slice(i, i + size));
    assert.deepEqual(decoder.values, [{ a: '}{"[', b: [1, { c: '\\' }] }, [{ x: 'é🎉' }], { d: {} }], `chunk size ${size}`);
    assert.deepEqual(decoder.texts, ['{"a":"}{\\"[","b":[1,{"c":"\\\\"}]}', '[{"x":"é🎉"}]', '{"d":{}}']);
    assert.equal(decoder.midDocument, false);
  }
});

test('reports a document in progress and refuses junk between documents', () => {
  const decoder = new JsonStreamDecoder();
  assert.deepEqual(decoder.push('{"a":'), []);
  assert.equal(decoder.midDocument, true);
  assert.deepEqual(decoder.push('1}'), [{ a: 1 }]);
  assert.throws(() => decoder.push('x'), /unexpected "x"/);
});
