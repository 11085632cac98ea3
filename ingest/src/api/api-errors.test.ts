import { test, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { API_ERRORS } from './api-errors.ts';
import { HttpError, parseOr400 } from './http-error.ts';
import { z } from 'zod';

const DOC = new URL('../../../docs/api-errors.md', import.meta.url);

test('docs/api-errors.md lists every code of the catalogue with its status and meaning, and nothing else', () => {
  const rows = readFileSync(DOC, 'utf8')
    .split('\n')
    .map((line) => /^\| `([A-Z_]+)` \| (\d{3}) \| (.*) \|$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => [m[1]!, { status: Number(m[2]), message: m[3]!.replaceAll('\\|', '|') }] as const);
  expect(Object.fromEntries(rows)).toEqual(API_ERRORS);
  expect(rows.map(([code]) => code)).toEqual(Object.keys(API_ERRORS));
});

test('an HttpError takes its status from the catalogue and names the field it blames', () => {
  const err = new HttpError('API_ERR_NOT_FOUND', 'no station x');
  expect(err.status).toBe(404);
  expect(err.body()).toEqual({ error: { code: 'API_ERR_NOT_FOUND', message: 'no station x' } });
  const bad = (() => {
    try {
      parseOr400(z.object({ levels: z.object({ red: z.number() }) }), { levels: { red: 'x' } }, 'rule');
    } catch (e) {
      return e as HttpError;
    }
    throw new Error('no error');
  })();
  expect(bad.status).toBe(400);
  expect(bad.body().error).toMatchObject({ code: 'API_ERR_VALIDATION', field: 'levels.red' });
  expect(bad.message).toMatch(/^invalid rule: levels\.red: /);
});
