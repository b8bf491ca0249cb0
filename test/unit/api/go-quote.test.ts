import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goQuote } from '../../../src/api/go-quote.js';

test('plain text is wrapped in double quotes', () => {
  assert.equal(goQuote('deadbeef123'), '"deadbeef123"');
  assert.equal(goQuote(''), '""');
});

test('quotes, backslashes and control characters are escaped as strconv.Quote does', () => {
  assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(goQuote('\u0007\b\f\n\r\t\v'), '"\\a\\b\\f\\n\\r\\t\\v"');
  assert.equal(goQuote('\u0000\u001f\u007f'), '"\\x00\\x1f\\x7f"');
});

test('printable Unicode stays, non-printable becomes \\u or \\U', () => {
  assert.equal(goQuote('été 日本 🎉 <&>'), '"été 日本 🎉 <&>"');
  assert.equal(goQuote('\u00a0\u200b\u2028\ue000'), '"\\u00a0\\u200b\\u2028\\ue000"');
  assert.equal(goQuote('\u{f0000}'), '"\\U000f0000"');
});
