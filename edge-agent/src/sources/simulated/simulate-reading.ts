/**
 * Plausible synthetic readings per domain: a daily cycle, slow drift and noise around typical
 * values of a South China city, with an occasional episode (pollution, flood rise, dry spell)
 * so that the demo map has warnings to show. Deterministic for a given seed.
 */
import type { Domain } from '@shanshui/models/edge';

export interface SimulationState {
  readonly stationIndex: number;
  /** 0..1 phase offset, so stations differ. */
  readonly phase: number;
  /** Random generator state. */
  seed: number;
  /** Per-metric slow drift. */
  drift: Record<string, number>;
}

export function createSimulationState(stationIndex: number): SimulationState {
  return { stationIndex, phase: (stationIndex * 0.137) % 1, seed: 0x9e3779b9 ^ (stationIndex * 2654435761), drift: {} };
}

function random(state: SimulationState): number {
  // mulberry32
  state.seed = (state.seed + 0x6d2b79f5) | 0;
  let t = state.seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

/** One reading's values for a station of `domain` at `ts`. */
export function simulateValues(domain: Domain, state: SimulationState, ts: number): Record<string, number> {
  const hour = ((ts / 3_600_000 + 8) % 24) / 24; // China Standard Time
  const day = Math.sin(2 * Math.PI * (hour - 0.25 + state.phase * 0.1)); // peaks mid-afternoon
  const noise = (scale: number): number => (random(state) - 0.5) * 2 * scale;
  const drift = (metric: string, scale: number): number => {
    const d = (state.drift[metric] ?? 0) * 0.98 + noise(scale);
    state.drift[metric] = d;
    return d;
  };
  // Every 7th station has an episode: higher values, to light the map.
  const episode = state.stationIndex % 7 === 3 ? 1 : 0;
  switch (domain) {
    case 'air': {
      const pm25 = Math.max(1, 30 + 15 * -day + drift('pm25', 3) + episode * 110 + noise(4));
      return {
        pm25: round(pm25, 1),
        pm10: round(pm25 * 1.6 + noise(5), 1),
        so2: round(Math.max(1, 8 + noise(2)), 1),
        no2: round(Math.max(1, 35 - 10 * day + noise(5)), 1),
        o3: round(Math.max(1, 80 + 60 * day + noise(10)), 1),
        co: round(Math.max(0.1, 0.8 + noise(0.1)), 2),
        temperature: round(22 + 6 * day + noise(0.5), 1),
        humidity: round(Math.min(100, Math.max(20, 70 - 15 * day + noise(3))), 1),
        wind_speed: round(Math.max(0, 2.5 + noise(1.5)), 1),
      };
    }
    case 'water':
      return {
        ph: round(7.4 + 0.3 * day + noise(0.05), 2),
        do: round(Math.max(0.5, 7 + 1.2 * day - episode * 4 + noise(0.2)), 2),
        codmn: round(Math.max(0.5, 3.5 + episode * 5 + noise(0.3)), 2),
        nh3n: round(Math.max(0.02, 0.4 + episode * 1.4 + drift('nh3n', 0.02) + noise(0.03)), 3),
        tp: round(Math.max(0.005, 0.08 + episode * 0.25 + noise(0.01)), 3),
        tn: round(Math.max(0.1, 1.1 + noise(0.1)), 2),
        turbidity: round(Math.max(0, 12 + noise(3)), 1),
        conductivity: round(350 + noise(15), 0),
        water_temperature: round(21 + 2 * day + noise(0.2), 1),
      };
    case 'soil':
      return {
        moisture_vol: round(Math.max(3, 24 - episode * 12 + drift('m', 0.3) + noise(0.5)), 1),
        moisture_rel: round(Math.max(10, 68 - episode * 38 + drift('r', 0.5) + noise(1)), 1),
        temperature: round(20 + 3 * day + noise(0.3), 1),
        ec: round(0.4 + noise(0.05), 2),
        ph: round(6.3 + noise(0.05), 2),
      };
    case 'reservoir': {
      const level = 101.5 + episode * 3.2 + drift('level', 0.01) + 0.05 * day;
      return {
        water_level: round(level, 2),
        storage: round(4200 + (level - 100) * 380, 0),
        inflow: round(Math.max(0, 35 + episode * 120 + noise(4)), 1),
        outflow: round(Math.max(0, 30 + noise(3)), 1),
        rainfall: round(Math.max(0, episode * 8 + noise(1.5)), 1),
      };
    }
    case 'forest_fire':
      return {
        temperature: round(24 + 8 * day + episode * 6 + noise(0.5), 1),
        humidity: round(Math.min(100, Math.max(8, 60 - 20 * day - episode * 30 + noise(3))), 1),
        wind_speed: round(Math.max(0, 3 + episode * 5 + noise(1.5)), 1),
        rainfall: round(Math.max(0, noise(0.3)), 1),
        smoke: 0,
        flame: 0,
        fuel_moisture: round(Math.max(3, 18 - episode * 10 + noise(1)), 1),
      };
    case 'agriculture':
      return {
        air_temperature: round(23 + 7 * day + noise(0.5), 1),
        air_humidity: round(Math.min(100, Math.max(20, 72 - 18 * day + noise(3))), 1),
        soil_moisture: round(Math.max(5, 28 - episode * 14 + noise(0.7)), 1),
        soil_temperature: round(21 + 3 * day + noise(0.3), 1),
        light: round(Math.max(0, 60_000 * Math.max(0, day) + noise(500)), 0),
        co2: round(420 + noise(15), 0),
      };
    case 'noise': {
      // Traffic noise: louder by day; the episode station is a night-time construction site.
      const night = hour < 6 / 24 || hour >= 22 / 24;
      const laeq = 52 + 6 * Math.max(0, day) + (night ? -6 + episode * 14 : 0) + noise(1.5);
      return {
        laeq: round(laeq, 1),
        l10: round(laeq + 3 + noise(0.5), 1),
        l50: round(laeq - 2 + noise(0.5), 1),
        l90: round(laeq - 6 + noise(0.5), 1),
        lmax: round(laeq + 12 + (night ? episode * 12 : 0) + noise(2), 1),
        lmin: round(laeq - 10 + noise(1), 1),
      };
    }
    case 'pollution_source': {
      // A coal-fired boiler stack (CEMS): measured concentrations; the platform adds 折算 values.
      // Emission totals (Cou) per one-minute interval: mg/m³ × m³/s × 60 s → kg.
      const o2 = 8 + noise(0.4);
      const flow = Math.max(1, 95 + 10 * day + noise(3));
      const so2 = Math.max(0, 22 + episode * 30 + noise(3));
      const nox = Math.max(0, 38 + episode * 25 + noise(4));
      const dust = Math.max(0, 4 + noise(0.6));
      const kg = (c: number): number => round((c * flow * 60) / 1e6, 5);
      return {
        gas_flow: round(flow, 2),
        gas_flow_cou: round(flow * 60, 1),
        o2: round(o2, 2),
        so2: round(so2, 2),
        so2_cou: kg(so2),
        nox: round(nox, 2),
        nox_cou: kg(nox),
        dust: round(dust, 2),
        dust_cou: kg(dust),
        flue_temperature: round(52 + noise(1), 1),
      };
    }
    case 'river': {
      const level = 6.2 + episode * 2.4 + drift('level', 0.01) + 0.05 * day;
      return {
        water_level: round(level, 2),
        flow: round(Math.max(0, 180 + (level - 6) * 150 + noise(5)), 1),
        rainfall: round(Math.max(0, episode * 6 + noise(0.8)), 1),
      };
    }
    case 'meteorology':
      return {
        rainfall: round(Math.max(0, episode * 9 + noise(0.6)), 1),
        temperature: round(22 + 6 * day + noise(0.5), 1),
        humidity: round(Math.min(100, Math.max(20, 75 - 15 * day + noise(3))), 0),
        pressure: round(1008 + noise(1), 1),
        wind_speed: round(Math.max(0, 2.5 + episode * 6 + noise(1.2)), 1),
        wind_direction: round(Math.abs(noise(180)), 0),
      };
    case 'geohazard': {
      // Cumulative displacement: slow creep, faster on the episode point.
      const creep = (ts / 86_400_000) % 1000;
      return {
        displacement: round(creep * (0.3 + episode * 1.5) + noise(0.02), 2),
        crack_width: round(12 + creep * 0.01 * (1 + episode) + noise(0.05), 2),
        pore_pressure: round(Math.max(0, 40 + episode * 15 + noise(1)), 1),
        rainfall: round(Math.max(0, episode * 5 + noise(0.5)), 1),
      };
    }
  }
}
