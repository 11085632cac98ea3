/**
 * PostgreSQL work per reading (issue 12, the capacity figures): a platform node on a real
 * PostgreSQL, default rules on, `devices` air stations each publishing one six-pollutant reading
 * every `intervalMs`; counted from PostgreSQL's own statistics (pg_stat_database,
 * pg_stat_user_tables) over the publishing phase only, so registration and start-up are left out.
 * Rows written per reading and transactions per second are what a capacity plan needs: nothing
 * waits on them (the publish path never touches PostgreSQL), they are written behind in batches.
 *
 *   node test/bench/bench-postgres-ops.ts [--devices=100] [--messages=10] [--interval-ms=6000]
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPostgres } from '../support/postgres-server.ts';
import { startTestPlatform } from '../support/test-platform.ts';
import { AirStation, benchStationId } from './air-reading.ts';
import { progress } from './progress.ts';

export interface PostgresOpsOptions {
  readonly devices: number;
  readonly messages: number;
  readonly intervalMs: number;
}

export interface PostgresOpsResult extends PostgresOpsOptions {
  readonly readings: number;
  readonly seconds: number;
  readonly transactions: number;
  readonly rowsWritten: number;
  readonly rowsByTable: Record<string, number>;
  readonly rowsPerReading: number;
  readonly transactionsPerReading: number;
  readonly transactionsPerSecond: number;
}

interface Counters {
  readonly xact: number;
  readonly tables: Map<string, number>;
}

async function counters(client: pg.Client): Promise<Counters> {
  const db = await client.query<{ xact: string }>('SELECT xact_commit + xact_rollback AS xact FROM pg_stat_database WHERE datname = current_database()');
  const tables = await client.query<{ relname: string; n: string }>('SELECT relname, n_tup_ins + n_tup_upd + n_tup_del AS n FROM pg_stat_user_tables');
  return { xact: Number(db.rows[0]!.xact), tables: new Map(tables.rows.map((r) => [r.relname, Number(r.n)])) };
}

export async function benchPostgresOps(o: PostgresOpsOptions): Promise<PostgresOpsResult> {
  const server = await startPostgres();
  try {
    const databaseUrl = await server.createDatabase('bench_ops');
    const tp = await startTestPlatform({ databaseUrl, defaultRules: true });
    const stats = new pg.Client({ connectionString: databaseUrl });
    await stats.connect();
    try {
      const stations = Array.from({ length: o.devices }, (_, i) => new AirStation(benchStationId('pg-ops', i), i));
      const clients = [];
      progress(`pgops: registering and connecting ${o.devices} stations`);
      for (const s of stations) {
        const cred = await tp.register({ id: s.id });
        clients.push(await tp.connect(cred.username, cred.password));
      }
      await new Promise((r) => setTimeout(r, 6000)); // start-up writes (presence, seeding) settle and their stats flush
      await stats.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);
      const before = await counters(stats);
      const started = Date.now();
      const t0 = Date.now() - o.messages * o.intervalMs;
      for (let m = 0; m < o.messages; m++) {
        progress(`pgops: message ${m + 1} of ${o.messages} from each of ${o.devices} stations`);
        const tick = Date.now();
        await Promise.all(
          clients.map((c, i) => {
            const ts = t0 + m * o.intervalMs;
            return c.publishAsync(`shanshui/v1/${stations[i]!.id}/up/readings`, JSON.stringify({ seq: m + 1, ts, values: stations[i]!.values(ts) }), { qos: 1 });
          }),
        );
        await new Promise((r) => setTimeout(r, Math.max(0, o.intervalMs - (Date.now() - tick))));
      }
      await new Promise((r) => setTimeout(r, 6000)); // the batched writers (1 s rule state, 5 s statistics) catch up
      const seconds = (Date.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 1000)); // PostgreSQL publishes table statistics with a short delay
      const after = await counters(stats);
      const rowsByTable: Record<string, number> = {};
      for (const [t, n] of after.tables) {
        const d = n - (before.tables.get(t) ?? 0);
        if (d > 0) rowsByTable[t] = d;
      }
      const rowsWritten = Object.values(rowsByTable).reduce((a, b) => a + b, 0);
      const transactions = after.xact - before.xact;
      const readings = o.devices * o.messages;
      return {
        ...o,
        readings,
        seconds,
        transactions,
        rowsWritten,
        rowsByTable,
        rowsPerReading: rowsWritten / readings,
        transactionsPerReading: transactions / readings,
        transactionsPerSecond: transactions / seconds,
      };
    } finally {
      await stats.end();
      await tp.close();
    }
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { devices: { type: 'string', default: '100' }, messages: { type: 'string', default: '10' }, 'interval-ms': { type: 'string', default: '6000' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write('usage: node test/bench/bench-postgres-ops.ts [--devices=100] [--messages=10] [--interval-ms=6000]\n  PostgreSQL rows and transactions per reading: a platform node on a throwaway PostgreSQL, default rules on.\n');
    process.exit(0);
  }
  const result = await benchPostgresOps({ devices: Number(values.devices), messages: Number(values.messages), intervalMs: Number(values['interval-ms']) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
