import { test } from 'vitest';
import assert from 'node:assert/strict';
import { redact, summaryText, MAX_SUMMARY_CHARS } from './audit-log.ts';

// The store side (append-only, filters, scope) is in the platform store contract (state/store-contract.ts).
test('audit summaries: secret-looking keys are redacted at any depth, long strings cut, long summaries truncated', () => {
  assert.deepEqual(redact({ key: 'k', keys: ['a'], long: 'x'.repeat(300) }), { key: '[redacted]', keys: ['a'], long: `${'x'.repeat(200)}…` });
  assert.equal(summaryText(undefined), null);
  const long = JSON.parse(summaryText({ items: Array.from({ length: 50 }, (_, i) => ({ n: i, text: 'y'.repeat(100) })) })!) as { truncated: string };
  assert.equal(long.truncated.length, MAX_SUMMARY_CHARS);
});
