/** The PostgreSQL-work-per-reading part of docs/benchmarks.md: its own section, replaced in place by `--only=pgops --write`. */
import type { PostgresOpsResult } from './bench-postgres-ops.ts';

const BEGIN = '<!-- pgops:begin -->';
const END = '<!-- pgops:end -->';

export function renderPostgresOps(r: PostgresOpsResult): string {
  const tables = Object.entries(r.rowsByTable)
    .sort((a, b) => b[1] - a[1])
    .map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`)
    .join(', ');
  return [
    BEGIN,
    '### PostgreSQL work per reading',
    '',
    `Measured by \`npm run bench -- --only=pgops\` (test/bench/bench-postgres-ops.ts) on ${new Date().toISOString()}: one platform node on a`,
    `real PostgreSQL, default rules on, ${r.devices} air stations each publishing one six-pollutant reading every ${(r.intervalMs / 1000).toFixed(0)} s`,
    `(${r.messages} messages each), counted from PostgreSQL's own statistics (pg_stat_database, pg_stat_user_tables) over the publishing`,
    'phase only. Nothing on the publish path waits on PostgreSQL: these are the writes behind it (rule state, sequence statistics, presence).',
    '',
    '| Measurement | Result | Notes |',
    '|---|---:|---|',
    `| readings | ${r.readings.toLocaleString('en-US')} | in ${r.seconds.toFixed(1)} s |`,
    `| transactions per reading | ${r.transactionsPerReading.toFixed(3)} | ${r.transactions.toLocaleString('en-US')} transactions, ${r.transactionsPerSecond.toFixed(1)}/s |`,
    `| rows written per reading | ${r.rowsPerReading.toFixed(3)} | ${r.rowsWritten.toLocaleString('en-US')} rows inserted, updated or deleted: ${tables || 'none'} |`,
    END,
  ].join('\n');
}

export function replacePostgresOpsSection(doc: string, section: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a !== -1 && b > a) return `${doc.slice(0, a)}${section}${doc.slice(b + END.length)}`;
  return `${doc.trimEnd()}\n\n${section}\n`;
}
