import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonStreamSplitter, hasCode, ErrorCode } from '../../../src/core/index.js';

test('splits concatenated documents across arbitrary chunk boundaries', () => {
  const docs = ['{"a":{"b":"}{"}}', '{"x":"\\"quoted\\" {"}', '[1,{"y":[]}]', '{}'];
  const text = docs.join('') + '\n';
  for (let chunk = 1; chunk <= text.length; chunk++) {
    const splitter = new JsonStreamSplitter();
    const out: string[] = [];
    for (let i = 0; i < text.length; i += chunk) out.push(...splitter.push(text.slice(i, i + chunk)));
    assert.deepEqual(out, docs, `chunk size ${chunk}`);
  }
});

test('accepts whitespace between documents and refuses junk', () => {
  const splitter = new JsonStreamSplitter();
  assert.deepEqual(splitter.push(' {"a":1}\n\n{"b":2} '), ['{"a":1}', '{"b":2}']);
  assert.throws(() => splitter.push('oops'), (err) => hasCode(err, ErrorCode.CATALOG_BAD_JSON));
});

test('an oversized document is an error, not unbounded memory', () => {
  const splitter = new JsonStreamSplitter(100);
  assert.throws(() => splitter.push(`{"a":"${'x'.repeat(200)}`), /exceeds 100/);
});
