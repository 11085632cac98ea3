import { test, expect } from 'vitest';
import { OutboundGuard, isNetwork } from './outbound-guard.ts';

const guard = (allowNetworks: string[] = [], ownPorts: number[] = []): OutboundGuard => new OutboundGuard({ allowNetworks, ownPorts: () => ownPorts });

test('refused address ranges, each named in the reason', () => {
  const g = guard();
  const cases: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['::ffff:192.168.0.1', 'private'],
    ['100.64.1.1', 'shared'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
  ];
  for (const [address, label] of cases) expect(g.addressRefusal(address), address).toMatch(new RegExp(`is a ${label}.*SHANSHUI_WEBHOOK_ALLOW_NETWORKS`));
});

test('public addresses pass; so do the edges just outside the private ranges', () => {
  const g = guard();
  for (const a of ['203.0.113.7', '8.8.8.8', '172.32.0.1', '172.15.255.255', '192.169.0.1', '100.128.0.1', '2001:db8::1', '2400:3200::1', '::ffff:8.8.8.8']) expect(g.addressRefusal(a), a).toBeUndefined();
});

test('the allow-list admits exactly its networks, IPv4 and IPv6', () => {
  const g = guard(['10.20.0.0/16', 'fd12:3456::/32', '192.168.1.5']);
  expect(g.addressRefusal('10.20.3.4')).toBeUndefined();
  expect(g.addressRefusal('10.21.0.1')).toMatch(/private/);
  expect(g.addressRefusal('fd12:3456::9')).toBeUndefined();
  expect(g.addressRefusal('fd12:3457::9')).toMatch(/unique-local/);
  expect(g.addressRefusal('192.168.1.5')).toBeUndefined();
  expect(g.addressRefusal('192.168.1.6')).toMatch(/private/);
});

test("the platform's own ports on this host are refused even when allow-listed; the same port elsewhere is not", () => {
  const g = guard(['127.0.0.0/8', '10.0.0.0/8'], [8086, 8080]);
  expect(g.refusal('127.0.0.1', 8086)).toMatch(/own port/);
  expect(g.refusal('::1', 8080)).toMatch(/loopback/); // ::1 is not allow-listed
  expect(g.refusal('127.0.0.1', 9000)).toBeUndefined();
  expect(g.refusal('10.9.9.9', 8086)).toBeUndefined(); // another machine's InfluxDB port is not ours
});

test('URL check: literal addresses, names resolving into refused ranges, decimal IPv4', async () => {
  const g = guard();
  expect(await g.urlRefusal('http://localhost:8086/query')).toMatch(/localhost resolves to .* loopback/);
  expect(await g.urlRefusal('http://[::1]/')).toMatch(/loopback/);
  expect(await g.urlRefusal('http://2130706433/')).toMatch(/loopback/);
  expect(await g.urlRefusal('https://203.0.113.7/hook')).toBeUndefined();
  expect(await g.urlRefusal('https://no-such-host.invalid/hook')).toBeUndefined(); // checked again at connect time
});

test('allow-list entries are validated', () => {
  for (const ok of ['10.0.0.0/8', '192.168.1.1', 'fd00::/8', '::1']) expect(isNetwork(ok), ok).toBe(true);
  for (const bad of ['10.0.0.0/33', 'fd00::/129', 'intranet', '10.0.0', '']) expect(isNetwork(bad), bad).toBe(false);
  expect(() => guard(['nope'])).toThrow(/not an IP address/);
});

test("the platform's InfluxDB on another host (compose: its own container) is refused even when its network is allow-listed", () => {
  const g = new OutboundGuard({ allowNetworks: ['172.16.0.0/12'], ownPorts: () => [], ownEndpoints: () => [{ address: '172.18.0.2', port: 8086 }] });
  expect(g.refusal('172.18.0.2', 8086)).toMatch(/own InfluxDB/);
  expect(g.refusal('::ffff:172.18.0.2', 8086)).toMatch(/own InfluxDB/);
  expect(g.refusal('172.18.0.2', 8080)).toBeUndefined();
  expect(g.refusal('172.18.0.3', 8086)).toBeUndefined();
});

test('IPv6 forms that carry an IPv4 address are judged by it: NAT64 (64:ff9b::/96), 6to4 (2002::/16), IPv4-mapped in hex; Teredo and the other transition ranges are refused', () => {
  const g = guard();
  const cases: Array<[string, string]> = [
    ['64:ff9b::a00:5', 'private'], // 10.0.0.5 through a NAT64 gateway
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::169.254.10.1', 'link-local'],
    ['2002:c0a8:0101::1', 'private'], // 6to4 of 192.168.1.1
    ['2002:7f00:1::', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b:1::a00:5', 'NAT64 local-use'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['::a00:5', 'IPv4-compatible'],
    ['192.0.0.170', 'IETF protocol assignments'],
    ['198.18.0.1', 'benchmarking'],
  ];
  for (const [address, label] of cases) expect(g.addressRefusal(address), address).toMatch(new RegExp(`is a ${label}`));
  // Through NAT64 and 6to4 a public IPv4 address is still public.
  for (const a of ['64:ff9b::808:808', '2002:808:808::1', '2001:db8::1']) expect(g.addressRefusal(a), a).toBeUndefined();
});

test('cloud metadata services are refused even when their network is allow-listed', () => {
  const g = guard(['169.254.0.0/16', '100.64.0.0/10', 'fd00::/8']);
  for (const a of ['169.254.169.254', '100.100.100.200', 'fd00:ec2::254', '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe']) {
    expect(g.addressRefusal(a), a).toMatch(/cloud metadata service/);
  }
  expect(g.addressRefusal('169.254.10.1'), 'the rest of the allow-listed network stays allowed').toBeUndefined();
  expect(g.addressRefusal('100.100.100.199')).toBeUndefined();
});
