/**
 * The latest value of every metric of every station, in memory, for the map feed: fed by each
 * durable reading, seeded at start from InfluxDB (`last(*)` per domain) so a restart shows the
 * same picture. Older readings (an edge backlog draining) never overwrite newer ones.
 */
import type { Logger } from 'pino';
import { DOMAINS } from '@shanshui/models';
import type { Quality, Reading } from '@shanshui/models';
import type { InfluxHttp } from '../store/influx-http.ts';

export interface LatestValue {
  readonly v: number;
  readonly q: Quality;
  /** Epoch ms of the reading. */
  readonly ts: number;
}

/** Updated in place by every reading (no object per value per reading); readers get it as LatestValue. */
interface Slot {
  v: number;
  q: Quality;
  ts: number;
}

export class LatestValues {
  readonly #byStation = new Map<string, Map<string, Slot>>();

  update(stationId: string, readings: readonly Reading[]): void {
    let metrics = this.#byStation.get(stationId);
    if (!metrics) {
      metrics = new Map();
      this.#byStation.set(stationId, metrics);
    }
    for (const r of readings) {
      for (const metric in r.values) {
        if (!Object.hasOwn(r.values, metric)) continue;
        const value = r.values[metric]!;
        const current = metrics.get(metric);
        if (!current) metrics.set(metric, { v: value.v, q: value.q, ts: r.ts });
        else if (current.ts <= r.ts) {
          current.v = value.v;
          current.q = value.q;
          current.ts = r.ts;
        }
      }
    }
  }

  /** A deleted station's values go with it (its id may be registered again, by anyone). */
  remove(stationId: string): void {
    this.#byStation.delete(stationId);
  }

  of(stationId: string): ReadonlyMap<string, LatestValue> | undefined {
    return this.#byStation.get(stationId);
  }

  /**
   * Seeds from InfluxDB; a failure only leaves the map empty until readings arrive. Only series
   * of a station's current department count (`departmentOf`): a deleted station's id registered
   * again by another department starts empty.
   */
  async loadFrom(influx: InfluxHttp, logger: Logger, departmentOf: (stationId: string) => string | undefined): Promise<void> {
    for (const domain of DOMAINS) {
      try {
        // InfluxQL's last(*) gives each field's latest value but one time column: the values'
        // own times are approximated by it until fresh readings arrive.
        const series = await influx.query(`SELECT last(*) FROM "${domain}" WHERE time > now() - 30d GROUP BY "station", "dept"`);
        for (const s of series) {
          const station = s.tags?.['station'];
          const row = s.values[0];
          if (!station || !row || departmentOf(station) !== s.tags?.['dept']) continue;
          const ts = Number(row[0]);
          const readings: Reading[] = [{ ts, values: {} }];
          const values: Record<string, { v: number; q: Quality }> = {};
          s.columns.forEach((col, i) => {
            const metric = col.replace(/^last_/, '');
            const v = row[i];
            if (col === 'time' || metric.startsWith('q_') || typeof v !== 'number') return;
            const q = row[s.columns.indexOf(`last_q_${metric}`)];
            values[metric] = { v, q: (typeof q === 'string' ? q : 'ok') as Quality };
          });
          readings[0] = { ts, values };
          this.update(station, readings);
        }
      } catch (err) {
        logger.warn({ domain, err }, 'map: latest values not loaded from InfluxDB');
        return;
      }
    }
  }
}
