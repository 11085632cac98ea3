/**
 * The national classification of a station's latest values, with the platform's own model
 * code (bundled from @shanshui/models, so the page and the rules agree): AQI level (HJ 633),
 * surface-water class (GB 3838), drought level by relative soil moisture, forest-fire danger
 * level. Reservoirs are shown against their alerts (汛限水位 lives in the station's levels).
 */
// The classification files only: the package index also carries the Node-only CBOR codec.
import { AQI_POLLUTANT_INFO, classifyWater, computeRealtimeAqi, droughtLevel, DROUGHT_LEVEL_LABEL } from '../../models/src/classify/index.ts';
import type { StationProps } from './api.ts';

export interface Classification {
  readonly label: string;
  readonly value: string;
  readonly color?: string;
}

const num = (p: StationProps, metric: string): number | undefined => {
  const v = p.values[metric];
  return v && v.quality !== 'implausible' ? v.value : undefined;
};

/** `attributes`: the station's own (waterBody 'lake'/'reservoir' selects the lake column, as the rules do). */
export function classify(p: StationProps, attributes: Readonly<Record<string, unknown>> = {}): Classification[] {
  const out: Classification[] = [];
  try {
    if (p.domain === 'air') {
      const input: Record<string, number> = {};
      for (const m of ['pm25', 'pm10', 'so2', 'no2', 'o3', 'co']) {
        const v = num(p, m);
        if (v !== undefined) input[m] = v;
      }
      const r = computeRealtimeAqi(input as Parameters<typeof computeRealtimeAqi>[0]);
      if (r) out.push({ label: 'AQI（HJ 633）', value: `${r.aqi} ${r.levelName} ${r.category}${r.primaryPollutants.length ? ` · 首要污染物 ${[...new Set(r.primaryPollutants.map((x) => AQI_POLLUTANT_INFO[x].substance))].join('、')}` : ''}`, color: r.color.hex });
    }
    if (p.domain === 'water') {
      const input: Record<string, number> = {};
      for (const m of ['ph', 'do', 'codmn', 'cod', 'bod5', 'nh3n', 'tp', 'tn']) {
        const v = num(p, m);
        if (v !== undefined) input[m] = v;
      }
      const body = attributes['waterBody'];
      const waterBody = body === 'lake' || body === 'reservoir' ? 'lake' : 'river';
      const r = classifyWater(input as Parameters<typeof classifyWater>[0], { waterBody });
      if (r) out.push({ label: '水质类别（GB 3838）', value: `${r.class} 类 · ${r.label}${r.worstFactors.length ? ` · 定类因子 ${r.worstFactors.join('、')}` : ''}` });
    }
    if (p.domain === 'soil' || p.domain === 'agriculture') {
      const v = num(p, 'moisture_rel');
      if (v !== undefined) out.push({ label: '土壤墒情（相对湿度）', value: `${v}% · ${DROUGHT_LEVEL_LABEL[droughtLevel(v)]}` });
    }
  } catch {
    // A value the classifier refuses (out of its range) shows no class rather than a wrong one.
  }
  return out;
}
