/** What the engine remembers per (station, rule) between readings; persisted so it survives a restart. */
import type { WarningLevel } from '@shanshui/models';

/** anomaly: a robust baseline per season bucket (hour of day), with exponential forgetting. */
export interface AnomalyBaseline {
  /** Robust location (≈ median) per bucket. */
  med: number[];
  /** Robust scale (≈ median absolute deviation) per bucket. */
  mad: number[];
  /** Samples seen per bucket (capped at the rule's minSamples × 100, only used as a count). */
  n: number[];
  /** Per bucket, its first samples (at most WARMUP_BUFFER) while it warms up; emptied once warm. */
  buf: number[][];
}

/** classification fire_danger: the local day's weather so far and the dry spell before it. */
export interface FireDayState {
  /** Local date 'YYYY-MM-DD' these aggregates belong to. */
  day: string;
  maxTemperature?: number;
  minHumidity?: number;
  maxWindSpeed?: number;
  /** mm fallen today (sum of the readings' `rainfall`). */
  rainfallMm: number;
  /** Consecutive days with < 0.1 mm rain before `day`, counted since the rule first saw the station. */
  dryDaysBefore: number;
  /** Device time of the first reading the rule saw (no index before a day of data). Absent in states saved before it existed. */
  watchedSince?: number;
  /** Highest level of the index today (the level never falls within a day). */
  dayLevel?: WarningLevel | null;
  /** Yesterday's final level: in force until today's 14:00 observations are in. */
  carriedLevel?: WarningLevel | null;
}

/** data_quality: the recent values of the checked metric and where a stuck run began. */
export interface QualityState {
  /** Last values (oldest first), at most the spike window. */
  recent: number[];
  /** Value, start time and length of the current run of equal values (within epsilon). */
  runValue?: number;
  runSinceTs?: number;
  runCount?: number;
  /** Clean values since the last spike (resolves a spike alert). */
  cleanSinceSpike?: number | null;
  /** What the newest value (at `lastTs`) was flagged as, re-applied to a resent reading. */
  lastFlag?: 'spike' | 'flatline' | null;
  /** Which problem the maintenance alert is about. */
  problem?: 'spike' | 'flatline' | null;
}

export interface RuleState {
  /** Level the rule currently raises for the station (null = none). */
  active: WarningLevel | null;
  /** Level the station alone would raise before corroboration caps it (rules with `corroborate`). */
  uncapped?: WarningLevel | null;
  /** Device timestamp since which each level has held continuously (for `forSec`). */
  since: Partial<Record<WarningLevel, number>>;
  /** Device timestamp of the newest evaluated reading; older ones are skipped. */
  lastTs: number;
  /** Last trustworthy value evaluated. */
  lastValue?: number;
  /** rate_of_change, trend: recent (ts, value) samples inside the window. */
  samples?: Array<[number, number]>;
  /** stale: platform time the station was last heard from. */
  lastSeenMs?: number;
  anomaly?: AnomalyBaseline;
  fire?: FireDayState;
  quality?: QualityState;
}

export function emptyRuleState(): RuleState {
  return { active: null, since: {}, lastTs: -Infinity };
}
