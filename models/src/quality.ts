/**
 * Quality of one value. Devices send HJ 212 data flags (HJ 212 §6.3 / docs/standards/hj212.md §1.9) as
 * one letter or the English name; the platform adds the flags it derives itself.
 */

export const QUALITIES = [
  'ok', // N 正常
  'stopped', // F 停运
  'maintenance', // M 维护
  'manual', // S 手工设定值
  'fault', // D 故障
  'calibration', // C 校准
  'over_range', // T 超测量上限
  'comm_error', // B 通讯异常
  'implausible', // platform: outside the metric's plausible physical range (超出合理范围)
  'spike', // platform: data-quality check, sudden jump
  'flatline', // platform: data-quality check, stuck sensor
] as const;
export type Quality = (typeof QUALITIES)[number];

/** HJ 212 data flag letter → quality. */
export const HJ212_FLAG_QUALITY: Readonly<Record<string, Quality>> = {
  N: 'ok',
  F: 'stopped',
  M: 'maintenance',
  S: 'manual',
  D: 'fault',
  C: 'calibration',
  T: 'over_range',
  B: 'comm_error',
};

/** Chinese label of each quality for user-facing text. */
export const QUALITY_LABEL: Readonly<Record<Quality, string>> = {
  ok: '正常',
  stopped: '停运',
  maintenance: '维护',
  manual: '手工设定',
  fault: '故障',
  calibration: '校准',
  over_range: '超测量上限',
  comm_error: '通讯异常',
  implausible: '超出合理范围',
  spike: '突变',
  flatline: '恒值',
};

/** True when rules may act on a value of this quality. */
export function isTrustworthy(quality: Quality): boolean {
  return quality === 'ok' || quality === 'manual';
}
