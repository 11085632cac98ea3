import { test, expect } from 'vitest';
import { resolveBasemap, tileHostRefusal } from './basemap.ts';

test('tile hosts: loopback, private, link-local and CGNAT refused unless allow-listed; public names and addresses pass', () => {
  for (const host of ['localhost', 'tiles.localhost', '127.0.0.1', '10.1.2.3', '172.16.0.9', '192.168.1.10', '169.254.169.254', '100.64.0.1', '0.0.0.0', '[::1]', 'fe80::1', 'fd00::5', '::ffff:127.0.0.1']) {
    expect(tileHostRefusal(host), host).not.toBeNull();
  }
  for (const host of ['t0.tianditu.gov.cn', 'tiles.example.gov.cn', '8.8.8.8', '2001:db8::1']) expect(tileHostRefusal(host), host).toBeNull();
  expect(tileHostRefusal('10.1.2.3', ['10.1.2.3'])).toBeNull();
  expect(tileHostRefusal('GIS.intranet.local', ['gis.intranet.local'])).toBeNull();
});

test('tile hosts are refused by the one list of blocked ranges the webhooks use (outbound-guard.ts): multicast, reserved and site-local too, named by range', () => {
  for (const [host, label] of [
    ['224.0.0.251', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['192.168.1.5', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
  ] as const) {
    expect(tileHostRefusal(host), host).toMatch(new RegExp(`is a ${label} address`));
  }
});

test('basemap config: none works offline; xyz checks its template and host; 天地图 needs its key', () => {
  expect(resolveBasemap({ kind: 'none' })).toMatchObject({ kind: 'none', tiles: [], origins: [] });
  expect(() => resolveBasemap({ kind: 'xyz' })).toThrow(/SHANSHUI_MAP_TILE_URL/);
  expect(() => resolveBasemap({ kind: 'xyz', tileUrl: 'http://192.168.1.5/{z}/{x}/{y}.png' })).toThrow(/private.*SHANSHUI_MAP_TILE_ALLOW_HOSTS/);
  expect(() => resolveBasemap({ kind: 'xyz', tileUrl: 'ftp://tiles.example.gov.cn/{z}/{x}/{y}.png' })).toThrow(/http\(s\)/);
  expect(() => resolveBasemap({ kind: 'xyz', tileUrl: 'https://tiles.example.gov.cn/tile.png' })).toThrow(/\{z\}/);
  expect(() => resolveBasemap({ kind: 'xyz', tileUrl: 'https://u:p@tiles.example.gov.cn/{z}/{x}/{y}.png' })).toThrow(/credentials/);
  const intranet = resolveBasemap({ kind: 'xyz', tileUrl: 'http://192.168.1.5:8080/{z}/{x}/{y}.png', allowHosts: ['192.168.1.5'] });
  expect(intranet.origins).toEqual(['http://192.168.1.5:8080']);
  expect(() => resolveBasemap({ kind: 'tianditu' })).toThrow(/SHANSHUI_TIANDITU_KEY/);
  const tdt = resolveBasemap({ kind: 'tianditu', tiandituKey: 'abc123def456' });
  expect(tdt.tiles).toHaveLength(8);
  expect(tdt.tiles[0]).toMatch(/^https:\/\/t0\.tianditu\.gov\.cn\/vec_w\/wmts\?.*TILEMATRIX=\{z\}&TILEROW=\{y\}&TILECOL=\{x\}&tk=abc123def456$/);
  expect(tdt.labels[0]).toMatch(/cva_w/);
  expect(tdt.origins).toContain('https://t7.tianditu.gov.cn');
});
