import { test } from 'vitest';
import assert from 'node:assert/strict';
import { parseSl651Report } from './report.ts';
import type { Sl651Report } from './report.ts';
import { encodeSl651Element, encodeSl651Report, encodeSl651ReportBody } from './encode.ts';
import { Sl651FrameParser } from './frame-parser.ts';
import { decodeBcd, encodeSl651Time, parseSl651Time } from './bcd.ts';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function parsed(body: Buffer, fn = 0x32): Sl651Report {
  const result = parseSl651Report(body, fn);
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.report;
}

test('SL 651 §2.2 timed report: serial, send time, station, class, observation time, elements', () => {
  const body = hex(`
    00 2A  24 06 01 08 05 30
    F1 F1 00 12 34 56 78  48
    F0 F0 24 06 01 08 00
    39 23 00 12 34 56
    38 12 12 50
    1A 19 00 01 25`);
  const r = parsed(body);
  assert.equal(r.serial, 42);
  assert.deepEqual(r.sentAt, new Date('2024-06-01T00:05:30Z'), 'UTC+8 local time');
  assert.equal(r.station, '0012345678');
  assert.equal(r.stationClass, 0x48);
  assert.equal(r.groups.length, 1);
  assert.deepEqual(r.groups[0]?.observedAt, new Date('2024-06-01T00:00:00Z'));
  assert.deepEqual(
    r.groups[0]?.elements.map((e) => [e.key, e.value, e.bytes, e.decimals]),
    [['39', 123.456, 4, 3], ['38', 12.5, 2, 2], ['1A', 12.5, 3, 1]],
  );
  assert.deepEqual(r.notes, []);
});

test('SL 651 §2.2 element order is not fixed: the same elements in another order give the same values', () => {
  const a = parsed(hex('0001 240601080000 F1F1 0012345678 48 F0F0 2406010800 3923 00123456 3812 1250'));
  const b = parsed(hex('0001 240601080000 F1F1 0012345678 48 F0F0 2406010800 3812 1250 3923 00123456'));
  const values = (r: Sl651Report): Record<string, number | undefined> => Object.fromEntries((r.groups[0]?.elements ?? []).map((e) => [e.key, e.value]));
  assert.deepEqual(values(a), values(b));
});

test('SL 651 §2.2 negative values (leading FF, counted in the byte count) and invalid values (all FF, all AA)', () => {
  const r = parsed(hex('0001 240601080000 F0F0 2406010800 391A FF0123 3923 FFFFFFFF 3923 AAAAAAAA 3812 0000'));
  const [neg, ff, aa, zero] = r.groups[0]?.elements ?? [];
  assert.equal(neg?.value, -1.23);
  assert.equal(neg?.bytes, 3);
  assert.equal(ff?.invalid, true);
  assert.equal(ff?.value, undefined);
  assert.equal(aa?.invalid, true);
  assert.equal(zero?.value, 0);
});

test('SL 651 §2.4 F4 DRP and F5 DRZ1 arrays are HEX with FF / FFFF invalid; 45 ZT is status bits', () => {
  const r = parsed(hex(`0001 240601090000 F0F0 2406010805
    F4 60 00 01 02 05 FF 0A 00 00 00 00 00 FE
    F5 C0 0064 0065 FFFF 0066 0067 0068 0069 006A 006B 006C 006D 006E
    45 20 00 00 00 18`), 0x34);
  const [drp, drz, zt] = r.groups[0]?.elements ?? [];
  assert.deepEqual(drp?.values, [0, 0.1, 0.2, 0.5, null, 1, 0, 0, 0, 0, 0, 25.4]);
  assert.deepEqual(drz?.values?.slice(0, 4), [1, 1.01, null, 1.02]);
  assert.equal(drz?.values?.length, 12);
  assert.equal(zt?.status, 0x18);
});

test('SL 651 §2.2 several observation times in one hourly report, extension identifiers, single-byte F0', () => {
  // Shaped like a field 34H report: arrays under hh:05, point values under the hour.
  const r = parsed(hex(`0150 240910170045 F1F1 0026090801 48
    F0F0 2409101605 F4 60 FF FF FF FF FF FF FF FF FF 00 00 00
    F0F0 2409101700 26 19 000015
    F0F0 2409101605 F5 C0 FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF
    F0 2409101700 1A 19 000000 39 23 FFFFFFFF 38 12 1207 7A 08 31 FF A0 11 0307`), 0x34);
  assert.equal(r.station, '0026090801');
  assert.deepEqual(r.groups.map((g) => g.observedAt?.toISOString()), ['2024-09-10T08:05:00.000Z', '2024-09-10T09:00:00.000Z', '2024-09-10T08:05:00.000Z', '2024-09-10T09:00:00.000Z']);
  const last = r.groups[3]?.elements ?? [];
  assert.deepEqual(last.map((e) => e.key), ['1A', '39', '38', '7A', 'FFA0']);
  assert.equal(last[1]?.invalid, true, 'Z all FF is invalid and does not shift later fields');
  assert.equal(last[2]?.value, 12.07);
  assert.equal(last[3]?.value, 31);
  assert.equal(last[4]?.value, 30.7);
});

test('SL 651 §2.3 keep-alive (2F) body is serial and send time only', () => {
  const r = parsed(hex('0003591011155111'), 0x2f);
  assert.equal(r.serial, 3);
  assert.deepEqual(r.sentAt, new Date(Date.UTC(2059, 9, 11, 7, 51, 11)));
  assert.deepEqual(r.groups, []);
});

test('SL 651 §2.2 broken bodies are refused, never thrown; odd values are marked, not fatal', () => {
  const bad = ['', '0001', '0001 240601080000 F1F1 0012', '0001 240601080000 F0F0 2406', '0001 240601080000 F0F0 2406010800 3923 0012', '0001 240601080000 F0F0 2406010800 39', '0001 240601080000 FF'];
  for (const body of bad) {
    const result = parseSl651Report(hex(body), 0x32);
    assert.equal(result.ok, false, body);
    if (!result.ok) assert.equal(result.code, 'EDGE_ERR_SL651_REPORT_INVALID');
  }
  const r = parsed(hex('0001 991399999999 3923 00AB0000 3900 F0F0 2413010800'));
  assert.match(r.notes.join('\n'), /send time/);
  assert.match(r.notes.join('\n'), /before any observation time/);
  assert.match(r.notes.join('\n'), /observation time 2413010800/);
  assert.match(r.groups[0]?.elements[0]?.malformed ?? '', /not BCD/);
  assert.match(r.groups[0]?.elements[1]?.malformed ?? '', /no data bytes/);
});

test('SL 651 §2.2 random bodies never throw', () => {
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >> 8) & 0xff;
  };
  for (let i = 0; i < 2000; i++) {
    const body = Buffer.alloc(random() % 64);
    for (let j = 0; j < body.length; j++) body[j] = random();
    assert.doesNotThrow(() => parseSl651Report(body, 0x32 + (i % 3)));
  }
});

test('SL 651 §2.2 encoder round trip: report → frame → parser → report', () => {
  const sentAt = new Date('2024-06-01T00:05:30Z');
  const observedAt = new Date('2024-06-01T00:00:00Z');
  const frame = encodeSl651Report({
    centre: 1,
    station: '0012345678',
    password: '1234',
    functionCode: 0x34,
    serial: 513,
    sentAt,
    stationClass: 0x4b,
    groups: [
      {
        observedAt,
        elements: [
          { key: '3B', value: 1234.567 },
          { key: '3A', value: -0.05 },
          { key: '27', value: 12.5 },
          { key: '38', value: 12.07 },
          { key: '26', value: null },
          { key: 'F4', values: [0, 0.5, null, 1, 0, 0, 0, 0, 0, 0, 0, 2.5] },
          { key: '45', status: 3 },
          { key: 'FF10', value: 23.4, digits: 4, decimals: 1 },
        ],
      },
    ],
  });
  const [event] = new Sl651FrameParser().push(frame);
  assert.ok(event?.kind === 'frame');
  assert.equal(event.functionCode, 0x34);
  const r = parsed(event.body, 0x34);
  assert.equal(r.serial, 513);
  assert.deepEqual(r.sentAt, sentAt);
  assert.equal(r.stationClass, 0x4b);
  const els = r.groups[0]?.elements ?? [];
  assert.deepEqual(els.map((e) => e.key), ['3B', '3A', '27', '38', '26', 'F4', '45', 'FF10']);
  assert.deepEqual(els.map((e) => e.value), [1234.567, -0.05, 12.5, 12.07, undefined, undefined, undefined, 23.4]);
  assert.equal(els[1]?.definition, 0x2b, 'negative: 4 + 1 sign byte, 3 decimals');
  assert.equal(els[2]?.definition, 0x2b, 'Q is N(9,3): 5 bytes, 3 decimals');
  assert.equal(els[4]?.invalid, true);
  assert.deepEqual(els[5]?.values, [0, 0.5, null, 1, 0, 0, 0, 0, 0, 0, 0, 2.5]);
  assert.equal(els[6]?.status, 3);
});

test('SL 651 §2.4 element widths come from N(digits, decimals): 19 = 3 B 1 decimal, 23 = 4 B 3 decimals', () => {
  assert.equal(encodeSl651Element({ key: '1A', value: 12.5 }).toString('hex'), '1a19000125');
  assert.equal(encodeSl651Element({ key: '39', value: 1.5 }).toString('hex'), '392300001500');
  assert.equal(encodeSl651Element({ key: '38', value: 12.5 }).toString('hex'), '38121250');
  assert.equal(encodeSl651Element({ key: '10', value: 25.3 }).toString('hex'), '10110253');
  assert.throws(() => encodeSl651Element({ key: '38', value: 123.45 }), RangeError);
  assert.throws(() => encodeSl651Element({ key: '99', value: 1 }), /digits and decimals/);
  assert.equal(encodeSl651ReportBody({ station: '0012345678', functionCode: 0x32, serial: 1, sentAt: new Date('2024-06-01T00:00:00Z'), stationClass: 0x50, groups: [] }).toString('hex'), '0001240601080000f1f1001234567850');
});

test('SL 651 BCD helpers: digits, time validation, UTC offset parameter', () => {
  assert.equal(decodeBcd(hex('0123')), '0123');
  assert.equal(decodeBcd(hex('0A')), undefined);
  assert.deepEqual(parseSl651Time(hex('2406010800'), 0), new Date('2024-06-01T08:00:00Z'));
  assert.equal(parseSl651Time(hex('2402300800')), undefined);
  assert.equal(parseSl651Time(hex('24060108')), undefined);
  assert.equal(encodeSl651Time(new Date('2024-06-01T00:00:00Z')).toString('hex'), '240601080000');
  assert.equal(encodeSl651Time(new Date('2024-06-01T00:00:00Z'), 0, false).toString('hex'), '2406010000');
});
