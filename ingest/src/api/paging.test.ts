/** One opaque cursor for every list: through the real API (createPlatform, SQLite in a temp folder, inject()). */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { injectPlatform } from './testing/inject-platform.ts';
import type { InjectPlatform } from './testing/inject-platform.ts';
import { nextCursor } from './paging.ts';

let p: InjectPlatform;
beforeAll(async () => {
  p = await injectPlatform();
  for (let i = 1; i <= 5; i++) {
    const res = await p.call('POST', '/api/v1/stations', { id: `pg-air-${i}`, name: `站 ${i}`, domain: 'air', lat: 23, lon: 113, region: '440106', department: 'eco-env' });
    expect(res.statusCode).toBe(201);
  }
});
afterAll(async () => {
  await p?.stop();
});

/** Every page of `path` (limit 2), following `next`. */
async function pages(path: string): Promise<string[][]> {
  const out: string[][] = [];
  let cursor: string | null = null;
  do {
    const res = await p.call('GET', `${path}${path.includes('?') ? '&' : '?'}limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { items: Array<{ id: string | number }>; next: string | null };
    out.push(body.items.map((i) => String(i.id)));
    cursor = body.next;
    expect(out.length).toBeLessThan(20);
  } while (cursor !== null);
  return out;
}

test('a list paged by offset: every item once, in order, and next is null on the last page', async () => {
  expect(await pages('/api/v1/stations?domain=air')).toEqual([['pg-air-1', 'pg-air-2'], ['pg-air-3', 'pg-air-4'], ['pg-air-5']]);
  const first = (await p.call('GET', '/api/v1/stations?limit=2')).json();
  expect(first.total).toBe(5);
  expect(first.next).toMatch(/^[A-Za-z0-9_-]+$/);
});

test('a list paged by key (the audit log, newest first): the same cursor shape, every entry once', async () => {
  const all = (await p.call('GET', '/api/v1/audit?limit=1000')).json().items.map((e: { id: number }) => String(e.id));
  expect(all.length).toBeGreaterThanOrEqual(5);
  expect((await pages('/api/v1/audit')).flat()).toEqual(all);
});

test('a cursor that is not one the list gave out is a 400 naming cursor', async () => {
  for (const cursor of ['not-a-cursor', nextCursor('audit', 3), nextCursor('stations', -1), Buffer.from('{"l":"stations"}').toString('base64url')]) {
    const res = await p.call('GET', `/api/v1/stations?cursor=${cursor}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'API_ERR_VALIDATION', field: 'cursor' });
  }
  expect((await p.call('GET', `/api/v1/stations?cursor=${nextCursor('audit', 3)}`)).json().error.message).toMatch(/a cursor of the audit list, not of stations/);
});

test('the paging parameters of earlier releases are refused with what replaced them, not ignored', async () => {
  for (const [path, field] of [['/api/v1/stations?offset=2', 'offset'], ['/api/v1/audit?before=8', 'before'], ['/api/v1/alerts?before=2026-01-01T00:00:00Z', 'before'], ['/api/v1/tokens?offset=0', 'offset']] as const) {
    const res = await p.call('GET', path);
    expect(res.statusCode, path).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'API_ERR_PAGING_REPLACED', field });
    expect(res.json().error.message).toMatch(/cursor/);
  }
});

test('limit beyond 1000 is a 400, never clamped', async () => {
  const res = await p.call('GET', '/api/v1/audit?limit=1001');
  expect(res.statusCode).toBe(400);
  expect(res.json().error.field).toBe('limit');
});
