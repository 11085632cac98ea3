import { test } from 'vitest';
import assert from 'node:assert/strict';
import { Sl651PacketAssembler } from './packet-assembler.ts';

const bytes = (n: number): Buffer => Buffer.alloc(n, 0x41);

test('SL 651 §2.1 an over-size repeat of a packet does not lower the byte count below what is held', () => {
  const assembler = new Sl651PacketAssembler({ maxBytes: 100 });
  // Packet 1 held, then repeated too large: the transfer is dropped and nothing is held.
  for (let i = 0; i < 5; i++) {
    assert.equal(assembler.add('a', { total: 2, seq: 1 }, bytes(60)).status, 'incomplete');
    assert.equal(assembler.add('a', { total: 2, seq: 1 }, bytes(200)).status, 'rejected');
    assert.equal(assembler.pendingBytes, 0);
  }
});

test('SL 651 §2.1 after over-size repeats were refused, the byte cap still holds across transfers', () => {
  const maxBytes = 100;
  const assembler = new Sl651PacketAssembler({ maxBytes });
  for (let i = 0; i < 5; i++) {
    assembler.add('a', { total: 2, seq: 1 }, bytes(60));
    assembler.add('a', { total: 2, seq: 1 }, bytes(200));
  }
  // What is really held, summed from the parts the assembler accepted and has not released.
  let held = 0;
  const results = [1, 2, 3].map((seq) => {
    const result = assembler.add('b', { total: 4, seq }, bytes(60));
    if (result.status === 'incomplete') held += 60;
    if (result.status === 'rejected') held = 0; // the whole transfer is dropped
    assert.ok(held <= maxBytes, `${held} bytes held after packet ${seq}, cap ${maxBytes}`);
    return result.status;
  });
  assert.deepEqual(results, ['incomplete', 'rejected', 'incomplete']);
  assert.equal(assembler.pendingBytes, 60);
});
