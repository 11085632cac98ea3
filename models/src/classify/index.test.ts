import { test } from 'vitest';
import assert from 'node:assert/strict';
import * as index from './index.ts';
import * as aqi from './aqi.ts';
import * as classifyError from './classify-error.ts';
import * as droughtLevel from './drought-level.ts';
import * as fireDanger from './fire-danger.ts';
import * as reservoirState from './reservoir-state.ts';
import * as warningLevel from './warning-level.ts';
import * as waterClass from './water-class.ts';
import * as windForce from './wind-force.ts';

test('index.ts lists every runtime export of every classify module by name', () => {
  const modules = { aqi, classifyError, droughtLevel, fireDanger, reservoirState, warningLevel, waterClass, windForce };
  const exported = new Set(Object.keys(index));
  for (const [name, mod] of Object.entries(modules)) {
    for (const key of Object.keys(mod)) {
      assert.ok(exported.has(key), `${name}.${key} missing from index.ts`);
      assert.equal((index as Record<string, unknown>)[key], (mod as Record<string, unknown>)[key]);
    }
  }
});
