import { test } from 'vitest';
import assert from 'node:assert/strict';
import {
  decodeHj212Flag,
  encodeHj212Cp,
  encodeHj212Flag,
  encodeHj212Packet,
  parseHj212Cp,
  parseHj212Packet,
  readHj212Fields,
} from './packet.ts';
import type { Hj212Packet } from './packet.ts';
import { VERIFIED_PACKETS } from './verified-packets.fixture.ts';

const dataOf = (frame: string): string => frame.slice(6, -6);

function parsed(data: string): Hj212Packet {
  const result = parseHj212Packet(data);
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.packet;
}

test('HJ 212 §1.4 verified packet 1 fields', () => {
  const p = parsed(dataOf(VERIFIED_PACKETS[0] ?? ''));
  assert.equal(p.qn, '20160801085857223');
  assert.equal(p.st, '32');
  assert.equal(p.cn, '1062');
  assert.equal(p.pw, '100000');
  assert.equal(p.mn, '010000A8900016F000169DC0');
  assert.deepEqual(p.flag, { value: 5, version: 1, ackWanted: true, split: false });
  assert.deepEqual(p.cp, { params: { RtdInterval: '30' }, factors: {} });
});

test('HJ 212 §1.6 verified packet 4 CP: DataTime and factors with Avg and Flag', () => {
  const p = parsed(dataOf(VERIFIED_PACKETS[3] ?? ''));
  assert.equal(p.cn, '2061');
  assert.equal(p.cp.dataTime, '20190924220000');
  assert.deepEqual(Object.keys(p.cp.factors), ['a34006', 'a34007', 'a34048', 'a34047', 'a34049']);
  assert.deepEqual(p.cp.factors.a34049, { Avg: '10.66300', Flag: 'N' });
});

test('HJ 212 §1.6 verified packet 3 CP: QnRtn parameter; packet 2: empty CP', () => {
  assert.deepEqual(parsed(dataOf(VERIFIED_PACKETS[2] ?? '')).cp.params, { QnRtn: '1' });
  assert.deepEqual(parsed(dataOf(VERIFIED_PACKETS[1] ?? '')).cp, { params: {}, factors: {} });
});

test('HJ 212 §1.5 Flag bits: version×4 + D×2 + A for 2005, 2017 and 2025', () => {
  assert.deepEqual(decodeHj212Flag(0), { value: 0, version: 0, ackWanted: false, split: false });
  assert.deepEqual(decodeHj212Flag(1), { value: 1, version: 0, ackWanted: true, split: false });
  assert.deepEqual(decodeHj212Flag(4), { value: 4, version: 1, ackWanted: false, split: false });
  assert.deepEqual(decodeHj212Flag(5), { value: 5, version: 1, ackWanted: true, split: false });
  assert.deepEqual(decodeHj212Flag(7), { value: 7, version: 1, ackWanted: true, split: true });
  assert.deepEqual(decodeHj212Flag(8), { value: 8, version: 2, ackWanted: false, split: false });
  assert.deepEqual(decodeHj212Flag(9), { value: 9, version: 2, ackWanted: true, split: false });
  assert.equal(encodeHj212Flag({ version: 1 }), 4);
  assert.equal(encodeHj212Flag({ version: 2, ackWanted: true }), 9);
  assert.equal(encodeHj212Flag({ version: 1, ackWanted: true, split: true }), 7);
});

test('HJ 212 §1.4 split packets carry PNUM and PNO', () => {
  const p = parsed('QN=20240101000000000;ST=22;CN=2011;PW=123456;MN=M1;Flag=7;PNUM=3;PNO=2;CP=&&a34004-Rtd=1&&');
  assert.equal(p.flag?.split, true);
  assert.equal(p.pnum, 3);
  assert.equal(p.pno, 2);
});

test('HJ 212 §1.4 keys are matched case-insensitively and Flag may be absent (HJ/T 212-2005 loggers)', () => {
  const p = parsed('qn=1;st=32;cn=2011;pw=1;mn=M;CP=&&DataTime=20240101000000;w01001-Rtd=7.1&&');
  assert.equal(p.mn, 'M');
  assert.equal(p.flag, undefined);
  assert.equal(p.cp.factors.w01001?.Rtd, '7.1');
});

test('HJ 212 §1.4 unreadable packets are refused with the fields that could be read', () => {
  const cases: Array<[string, RegExp]> = [
    ['QN=1;ST=22;CN=2011;PW=1;MN=M;Flag=5', /no CP/],
    ['QN=1;ST=22;CN=2011;PW=1;MN=M;Flag=5;CP=&&a=1', /not closed/],
    ['QN=1;CN=2011;PW=1;MN=M;Flag=5;CP=&&&&', /ST missing/],
    ['QN=1;ST=22;PW=1;MN=M;Flag=5;CP=&&&&', /CN missing/],
    ['QN=1;ST=22;CN=2011;PW=1;Flag=5;CP=&&&&', /MN missing/],
    ['QN=1;ST=22;CN=2011;PW=1;MN=M;Flag=x;CP=&&&&', /Flag/],
    ['QN=1;ST=22;CN=2011;PW=1;MN=M;Flag=5;PNUM=a;CP=&&&&', /PNUM/],
    ['', /no CP/],
  ];
  for (const [data, reason] of cases) {
    const result = parseHj212Packet(data);
    assert.equal(result.ok, false, data);
    if (!result.ok) {
      assert.equal(result.code, 'EDGE_ERR_HJ212_PACKET_INVALID');
      assert.match(result.message, reason, data);
    }
  }
  const result = parseHj212Packet('QN=42;ST=22;CN=2011;PW=1;MN=M;Flag=5;CP=&&a=1');
  assert.ok(!result.ok && result.fields.QN === '42' && result.fields.MN === 'M');
  assert.deepEqual(readHj212Fields('QN=7;MN=X;Flag=5;CP=&&garbage'), { QN: '7', MN: 'X', FLAG: '5' });
});

test('HJ 212 §1.6 CP parsing tolerates empty items and keeps unknown suffixes', () => {
  const cp = parseHj212Cp('DataTime=20240101000000;;a34004-Rtd=12,a34004-Flag=N,a34004-EFlag=A01;LA-Rtd=55.2;SB1-RS=1;');
  assert.equal(cp.dataTime, '20240101000000');
  assert.deepEqual(cp.factors.a34004, { Rtd: '12', Flag: 'N', EFlag: 'A01' });
  assert.deepEqual(cp.factors.LA, { Rtd: '55.2' });
  assert.deepEqual(cp.factors.SB1, { RS: '1' });
});

test('HJ 212 §1.3 encoding reproduces verified packet 2 (data ack) exactly', () => {
  const frame = encodeHj212Packet({
    qn: '20160801085000001',
    st: '91',
    cn: '9014',
    pw: '123456',
    mn: '010000A8900016F000169DC0',
    flag: 4,
  });
  assert.equal(frame, VERIFIED_PACKETS[1]);
});

test('HJ 212 §1.3 encoding reproduces verified packets 1, 3 and 4 from their parsed fields', () => {
  for (const packet of [VERIFIED_PACKETS[0], VERIFIED_PACKETS[2], VERIFIED_PACKETS[3]]) {
    const p = parsed(dataOf(packet ?? ''));
    const frame = encodeHj212Packet({
      ...(p.qn === undefined ? {} : { qn: p.qn }),
      st: p.st,
      cn: p.cn,
      pw: p.pw,
      mn: p.mn,
      flag: { version: p.flag?.version ?? 0, ackWanted: p.flag?.ackWanted ?? false },
      cp: p.cp.dataTime === undefined ? { params: p.cp.params, factors: p.cp.factors } : { dataTime: p.cp.dataTime, params: p.cp.params, factors: p.cp.factors },
    });
    assert.equal(frame, packet);
  }
});

test('HJ 212 §1.4 encoding round-trips a 2025-framed split packet', () => {
  const frame = encodeHj212Packet({
    qn: '20260102030405006',
    st: '21',
    cn: '2011',
    pw: '123456',
    mn: 'W-01',
    flag: { version: 2, ackWanted: true, split: true },
    pnum: 2,
    pno: 1,
    cp: { dataTime: '20260102030400', factors: { w01001: { Rtd: 7.25, Flag: 'N' } } },
  });
  const p = parsed(frame.slice(6, -6));
  assert.deepEqual(p.flag, { value: 11, version: 2, ackWanted: true, split: true });
  assert.equal(p.pnum, 2);
  assert.equal(p.pno, 1);
  assert.deepEqual(p.cp.factors.w01001, { Rtd: '7.25', Flag: 'N' });
  assert.equal(encodeHj212Cp({ params: { QnRtn: 9 } }), 'QnRtn=9');
});
