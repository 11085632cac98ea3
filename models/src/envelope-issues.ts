/**
 * A readings envelope's zod issues as one line a device maker can act on: the path of each
 * problem (`readings[1].ts`, `values.pm10.q`) and the form expected there. zod reports a
 * union (single reading or batch; ISO time or epoch ms; flag letter or quality name) as one
 * "Invalid input" at the union's path; this follows the branch the input was meant for and
 * names the expected form instead.
 */
import type { z } from 'zod';
import { HJ212_FLAG_QUALITY, QUALITIES } from './quality.ts';
import { MAX_READINGS_PER_MESSAGE, MAX_VALUES_PER_READING } from './envelope.ts';

const deviceQualities = QUALITIES.filter((q) => q !== 'implausible' && q !== 'spike' && q !== 'flatline');

/** The expected form, by the name of the field (a metric's value has the name `*`). */
const EXPECTED: Readonly<Record<string, string>> = {
  seq: 'a whole number ≥ 0 (the message sequence number)',
  ts: 'an ISO 8601 time with a zone (2026-11-22T16:00:00+08:00 or …Z) or epoch milliseconds (UTC)',
  values: `an object of metric → number or {"v": number, "q": flag} (1–${MAX_VALUES_PER_READING} metrics)`,
  readings: `an array of 1–${MAX_READINGS_PER_MESSAGE} {"ts", "values"}`,
  q: `an HJ 212 data flag (${Object.keys(HJ212_FLAG_QUALITY).join(' ')}) or a quality name (${deviceQualities.join(', ')})`,
  v: 'a finite number',
  '*': 'a number or {"v": number, "q": flag}',
};

type Issue = z.core.$ZodIssue;

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(message)';
}

function expectedAt(path: readonly PropertyKey[]): string | undefined {
  const last = path.at(-1);
  if (last === undefined) return undefined;
  if (typeof last === 'string' && EXPECTED[last] && !(path.length >= 2 && path.at(-2) === 'values')) return EXPECTED[last];
  // values.<metric>: a metric's value.
  if (path.length >= 2 && path.at(-2) === 'values') return EXPECTED['*'];
  return undefined;
}

function depth(issues: readonly Issue[]): number {
  return Math.min(...issues.map((i) => i.path.length));
}

/** Flattens one issue (with its base path) into leaf lines. */
function lines(issue: Issue, base: readonly PropertyKey[], value: unknown): string[] {
  const path = [...base, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // The branch that got furthest into the input is the one it was meant for; a tie means the
    // input fits no branch at this very path: name the form expected here.
    const depths = issue.errors.map((e) => (e.length ? depth(e) : 0));
    const best = Math.max(...depths);
    const furthest = issue.errors.filter((_, i) => depths[i] === best);
    const chosen = base.length === 0 && issue.path.length === 0 ? pickTopBranch(issue.errors, value) : furthest.length === 1 && best > 0 ? furthest[0] : undefined;
    if (chosen) return chosen.flatMap((e) => lines(e, path, value));
    const expected = expectedAt(path);
    return [`${pathText(path)}: expected ${expected ?? issue.errors.map((e) => e.map((x) => x.message).join(', ')).join(' or ')}`];
  }
  const expected = expectedAt(path);
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    return [`${pathText(path)}: missing — expected ${expected ?? issue.expected}`];
  }
  if (issue.code === 'unrecognized_keys') return [`${pathText(path)}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`];
  return [`${pathText(path)}: ${issue.message}${expected ? ` — expected ${expected}` : ''}`];
}

/** The envelope's own union: a batch when the message has `readings`, else a single reading. */
function pickTopBranch(branches: readonly (readonly Issue[])[], value: unknown): readonly Issue[] | undefined {
  if (branches.length !== 2) return undefined;
  const isBatch = typeof value === 'object' && value !== null && Object.hasOwn(value, 'readings');
  return branches[isBatch ? 0 : 1];
}

/** One line: up to five problems, each with its path and the expected form. */
export function formatEnvelopeIssues(error: z.ZodError, value: unknown): string {
  const all = error.issues.flatMap((i) => lines(i, [], value));
  const shown = all.slice(0, 5).join('; ');
  return all.length > 5 ? `${shown}; and ${all.length - 5} more` : shown;
}
