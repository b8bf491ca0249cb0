import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { GoMsgpackWriter, msgpackObjectEnd, readFields, readGoStruct, writeGoStruct } from '../../../src/membership/wire/go-msgpack.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('structs are maps with Go field names sorted by name, like go-msgpack', () => {
  const w = new GoMsgpackWriter();
  writeGoStruct(
    w,
    [
      { wire: 'SeqNo', kind: 'uint32' },
      { wire: 'Node', kind: 'string' },
      { wire: 'SourcePort', kind: 'uint16', omitEmpty: true },
    ],
    new Map<string, number | string>([['SeqNo', 300], ['Node', 'n'], ['SourcePort', 0]]),
  );
  // {Node: "n", SeqNo: 300}; SourcePort omitted (omitempty, zero).
  assert.equal(hex(w.finish()), '82' + 'a44e6f6465' + 'a16e' + 'a55365714e6f' + 'cd012c');
});

test('strings and []byte are legacy raw: fixstr, then str16 (never str8, never bin)', () => {
  const w = new GoMsgpackWriter();
  w.string('x'.repeat(31)).string('y'.repeat(32)).bytes(Uint8Array.of(1, 2)).bytes(null);
  const out = w.finish();
  assert.equal(out[0], 0xbf);
  assert.equal(hex(out.subarray(32, 35)), 'da0020');
  assert.equal(hex(out.subarray(67)), 'a20102c0');
});

test('integers use the shortest unsigned form', () => {
  const w = new GoMsgpackWriter();
  w.uint(127).uint(128).uint(65535).uint(65536).uint(2 ** 32);
  assert.equal(hex(w.finish()), '7f' + 'cc80' + 'cdffff' + 'ce00010000' + 'cf0000000100000000');
});

test('decoding accepts str, str8 and bin for byte and string fields, ignores unknown keys', () => {
  const buf = encode({ Addr: Uint8Array.of(10, 0, 0, 1), Node: 'a'.repeat(40), Extra: [1, 2] });
  const map = readGoStruct(buf);
  assert.ok(map.ok);
  const fields = readFields(map.value, [
    { wire: 'Addr', kind: 'bytes' },
    { wire: 'Node', kind: 'string' },
    { wire: 'Port', kind: 'uint16' },
  ]);
  assert.ok(fields.ok);
  assert.deepEqual(fields.value.get('Addr'), Uint8Array.of(10, 0, 0, 1));
  assert.equal(fields.value.get('Node'), 'a'.repeat(40));
  assert.equal(fields.value.get('Port'), 0, 'a missing field is the Go zero value');
});

test('wrong types and out-of-range values are malformed, not thrown', () => {
  const map = readGoStruct(encode({ Port: 70000, Node: 5 }));
  assert.ok(map.ok);
  const port = readFields(map.value, [{ wire: 'Port', kind: 'uint16' }]);
  assert.equal(port.ok, false);
  const node = readFields(map.value, [{ wire: 'Node', kind: 'string' }]);
  assert.equal(!node.ok && node.reason, 'malformed');
  assert.equal(readGoStruct(Uint8Array.of(0x93, 1, 2, 3)).ok, false, 'an array is not a struct');
  const truncated = readGoStruct(Uint8Array.of(0x82, 0xa1));
  assert.equal(!truncated.ok && truncated.reason, 'truncated');
});

test('msgpackObjectEnd finds the end of one object, or says incomplete / malformed', () => {
  const a = encode({ A: [1, 'two', { x: new Uint8Array(300) }], B: 1.5, C: -70000 });
  const both = new Uint8Array(a.length + 1);
  both.set(a);
  both[a.length] = 0x07;
  assert.equal(msgpackObjectEnd(both, 0), a.length);
  for (let cut = 0; cut < a.length; cut++) assert.equal(msgpackObjectEnd(a.subarray(0, cut), 0), 'incomplete');
  assert.equal(msgpackObjectEnd(Uint8Array.of(0xc1), 0), 'malformed');
  assert.equal(msgpackObjectEnd(Uint8Array.of(0xdf, 0xff, 0xff, 0xff, 0xff), 0), 'incomplete');
});
