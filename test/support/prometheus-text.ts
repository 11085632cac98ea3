/** Test support: reading one sample out of the Prometheus text exposition of `/metrics`. */

function parseLabels(s: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of s.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
  return labels;
}

/**
 * The value of sample `name` whose labels include `labels`; the sum when several match
 * (e.g. a counter over all codes). `undefined` when no sample matches (a labelled counter that
 * was never incremented is absent).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = parseLabels(m[2] ?? '');
    if (!Object.entries(labels).every(([k, v]) => have[k] === v)) continue;
    total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

/** The samples of `name` summed by the value of one of their labels (e.g. refusals by `code`); labels without it are left out. */
export function metricValuesBy(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const value = parseLabels(m[2] ?? '')[label];
    if (value !== undefined) out[value] = (out[value] ?? 0) + Number(m[3]);
  }
  return out;
}
