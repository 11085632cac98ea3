/**
 * Bench support: the reading every benchmark writes — an air station's six AQI pollutants
 * (pm25, pm10, so2, no2, o3, co) as the simulator makes them — and its line protocol, byte for
 * byte what the platform writes for it (`readingToPoint` + `toLineProtocol`), so the raw
 * InfluxDB rate and the end-to-end rate store the same points.
 */
import { createSimulationState, simulateValues } from '@shanshui/edge-agent';
import type { SimulationState } from '@shanshui/edge-agent';
import { toLineProtocol } from '@shanshui/ingest';
import { readingToPoint } from '@shanshui/models';

export const AIR_FIELDS = ['co', 'no2', 'o3', 'pm10', 'pm25', 'so2'] as const;
/** The quality fields of an all-`ok` reading, as the platform writes them. */
const Q_OK = 'q_co="ok",q_no2="ok",q_o3="ok",q_pm10="ok",q_pm25="ok",q_so2="ok"';

export type AirValues = Record<(typeof AIR_FIELDS)[number], number>;

/** Registration defaults of bench stations (the tags their points carry). */
export const BENCH_STATION = { domain: 'air', region: '440100', department: 'eco-env' } as const;

export function benchStationId(prefix: string, index: number): string {
  return `${prefix}-${String(index).padStart(5, '0')}`;
}

export class AirStation {
  readonly id: string;
  readonly #state: SimulationState;

  constructor(id: string, index: number) {
    this.id = id;
    this.#state = createSimulationState(index);
  }

  values(ts: number): AirValues {
    const v = simulateValues('air', this.#state, ts);
    return { co: v['co']!, no2: v['no2']!, o3: v['o3']!, pm10: v['pm10']!, pm25: v['pm25']!, so2: v['so2']! };
  }

  /** The platform's line for this reading, written without the Point class (cheap enough to not load the bench). */
  line(ts: number, v: AirValues): string {
    // Fields in sorted key order, each value with its quality field (`q_{metric}`, "ok" here).
    return `air,dept=${BENCH_STATION.department},domain=air,region=${BENCH_STATION.region},station=${this.id} co=${v.co},no2=${v.no2},o3=${v.o3},pm10=${v.pm10},pm25=${v.pm25},${Q_OK},so2=${v.so2} ${ts}`;
  }
}

/** Throws if `AirStation.line` no longer matches what the platform writes (then the raw rate would compare other points). */
export function checkLineMatchesPlatform(): void {
  const station = new AirStation('bench-check', 1);
  const ts = 1_763_800_000_123;
  const v = station.values(ts);
  const values = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, { v: x, q: 'ok' as const }]));
  const platform = toLineProtocol([readingToPoint({ id: station.id, ...BENCH_STATION }, { ts, values })]);
  const ours = station.line(ts, v);
  if (platform !== ours) throw new Error(`bench line protocol drifted from the platform's:\n  platform: ${platform}\n  bench:    ${ours}`);
}
