import { test } from 'vitest';
import assert from 'node:assert/strict';
import { Sl651PacketAssembler } from './packet-assembler.ts';

const b = (text: string): Buffer => Buffer.from(text);

test('SL 651 §2.1 SYN packets are joined in sequence order, whatever order they arrive in', () => {
  const assembler = new Sl651PacketAssembler();
  assert.equal(assembler.add('s', { total: 3, seq: 2 }, b('BB')).status, 'incomplete');
  assert.equal(assembler.add('s', { total: 3, seq: 1 }, b('A')).status, 'incomplete');
  const done = assembler.add('s', { total: 3, seq: 3 }, b('CCC'));
  assert.deepEqual(done, { status: 'complete', body: b('ABBCCC') });
  assert.equal(assembler.pendingBytes, 0);
});

test('SL 651 §2.1 a repeated packet replaces the earlier copy; a new total restarts the transfer', () => {
  const assembler = new Sl651PacketAssembler();
  assembler.add('s', { total: 2, seq: 1 }, b('old'));
  assembler.add('s', { total: 2, seq: 1 }, b('new'));
  assert.equal(assembler.pendingBytes, 3);
  assembler.add('s', { total: 3, seq: 1 }, b('x'));
  assert.equal(assembler.pendingBytes, 1);
});

test('SL 651 §2.1 transfers are bounded in packets and bytes', () => {
  const assembler = new Sl651PacketAssembler({ maxPackets: 4, maxBytes: 10 });
  assert.equal(assembler.add('s', { total: 5, seq: 1 }, b('a')).status, 'rejected');
  assert.equal(assembler.add('s', { total: 2, seq: 3 }, b('a')).status, 'rejected');
  assert.equal(assembler.add('s', { total: 3, seq: 1 }, b('12345678')).status, 'incomplete');
  assert.equal(assembler.add('s', { total: 3, seq: 2 }, b('123')).status, 'rejected');
  assert.equal(assembler.pendingBytes, 0);
});
