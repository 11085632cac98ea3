/** DeadLetterStore in SQL: batches in one transaction, pruned to the newest `maxDeadLetters`. */
import type { DeadLetter, DeadLetterFilter, DeadLetterInput, DeadLetterStore } from '../dead-letter-store.ts';
import type { SqlClient, SqlValue } from './sql-client.ts';
import { placeholders } from './sql-client.ts';

interface Row {
  id: number;
  device_id: string;
  topic: string;
  received_at: string;
  code: string;
  reason: string;
  payload: Uint8Array;
  encoding: string;
}

/** Dead letters of devices that are not (or no longer) stations belong to no department: only scope '*' sees them. */
const deviceInDepartments = (n: number): string => `device_id IN (SELECT id FROM stations WHERE department IN (${placeholders(n)}))`;

export class SqlDeadLetterStore implements DeadLetterStore {
  readonly #sql: SqlClient;
  readonly #max: number;
  #sincePrune = 0;

  constructor(sql: SqlClient, options: { maxDeadLetters?: number } = {}) {
    this.#sql = sql;
    this.#max = options.maxDeadLetters ?? 100_000;
  }

  async insertMany(letters: readonly DeadLetterInput[]): Promise<void> {
    if (letters.length === 0) return;
    const now = new Date().toISOString();
    await this.#sql.transaction(async (tx) => {
      for (const d of letters) {
        await tx.run('INSERT INTO dead_letters (device_id, topic, received_at, code, reason, payload, encoding) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          d.deviceId,
          d.topic,
          d.receivedAt ?? now,
          d.code,
          d.reason,
          d.payload,
          d.encoding,
        ]);
      }
    });
    this.#sincePrune += letters.length;
    if (this.#sincePrune >= 1000) {
      this.#sincePrune = 0;
      const top = await this.#sql.get<{ id: number | null }>('SELECT max(id) AS id FROM dead_letters');
      if (top?.id) await this.#sql.run('DELETE FROM dead_letters WHERE id <= ?', [Number(top.id) - this.#max]);
    }
  }

  async list(filter: DeadLetterFilter): Promise<DeadLetter[]> {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (filter.departments) {
      where.push(deviceInDepartments(filter.departments.length));
      args.push(...filter.departments);
    }
    if (filter.deviceId) {
      where.push('device_id = ?');
      args.push(filter.deviceId);
    }
    if (filter.beforeId) {
      where.push('id < ?');
      args.push(filter.beforeId);
    }
    const rows = await this.#sql.all<Row>(`SELECT * FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`, [...args, filter.limit]);
    return rows.map((r) => ({
      id: Number(r.id),
      deviceId: r.device_id,
      topic: r.topic,
      receivedAt: r.received_at,
      code: r.code,
      reason: r.reason,
      payload: Buffer.from(r.payload).toString('base64'),
      encoding: r.encoding,
    }));
  }

  async count(departments?: readonly string[]): Promise<number> {
    if (!departments) return (await this.#sql.get<{ n: number }>('SELECT count(*) AS n FROM dead_letters'))!.n;
    return (await this.#sql.get<{ n: number }>(`SELECT count(*) AS n FROM dead_letters WHERE ${deviceInDepartments(departments.length)}`, departments))!.n;
  }
}
