/**
 * The six station domains, their metrics, units and plausible physical ranges.
 *
 * A value outside its plausible range is still stored (regulators want raw data kept) but is
 * flagged `implausible`. Ranges are deliberately wide: they catch broken sensors and unit
 * mix-ups, not pollution episodes.
 */

export const DOMAINS = ['air', 'water', 'soil', 'reservoir', 'forest_fire', 'agriculture'] as const;
export type Domain = (typeof DOMAINS)[number];

export interface MetricSpec {
  /** Chinese name as staff use it. */
  readonly name: string;
  readonly unit: string;
  /** Plausible physical range, inclusive. */
  readonly min: number;
  readonly max: number;
}

export interface DomainSpec {
  readonly name: string;
  readonly metrics: Readonly<Record<string, MetricSpec>>;
}

const m = (name: string, unit: string, min: number, max: number): MetricSpec => ({ name, unit, min, max });

/** Metrics any station may report about its own device (power, radio). */
export const COMMON_METRICS: Readonly<Record<string, MetricSpec>> = {
  supply_voltage: m('电源电压', 'V', 0, 60),
  rssi: m('信号强度', 'dBm', -140, 0),
};

export const DOMAIN_SPECS: Readonly<Record<Domain, DomainSpec>> = {
  air: {
    name: '环境空气',
    metrics: {
      pm25: m('PM2.5', 'μg/m³', 0, 2000),
      pm10: m('PM10', 'μg/m³', 0, 5000),
      so2: m('二氧化硫', 'μg/m³', 0, 10000),
      no2: m('二氧化氮', 'μg/m³', 0, 5000),
      o3: m('臭氧', 'μg/m³', 0, 2000),
      co: m('一氧化碳', 'mg/m³', 0, 200),
      temperature: m('气温', '℃', -60, 60),
      humidity: m('相对湿度', '%', 0, 100),
      pressure: m('气压', 'hPa', 300, 1100),
      wind_speed: m('风速', 'm/s', 0, 75),
      wind_direction: m('风向', '°', 0, 360),
    },
  },
  water: {
    name: '地表水',
    metrics: {
      ph: m('pH', '', 0, 14),
      do: m('溶解氧', 'mg/L', 0, 25),
      codmn: m('高锰酸盐指数', 'mg/L', 0, 500),
      cod: m('化学需氧量', 'mg/L', 0, 5000),
      bod5: m('五日生化需氧量', 'mg/L', 0, 2000),
      nh3n: m('氨氮', 'mg/L', 0, 500),
      tp: m('总磷', 'mg/L', 0, 100),
      tn: m('总氮', 'mg/L', 0, 500),
      turbidity: m('浊度', 'NTU', 0, 4000),
      conductivity: m('电导率', 'μS/cm', 0, 100000),
      water_temperature: m('水温', '℃', -5, 50),
    },
  },
  soil: {
    name: '土壤墒情',
    metrics: {
      moisture_vol: m('体积含水量', '%', 0, 100),
      moisture_rel: m('相对湿度(田间持水量%)', '%', 0, 150),
      temperature: m('土壤温度', '℃', -40, 70),
      ec: m('电导率', 'mS/cm', 0, 50),
      ph: m('pH', '', 0, 14),
      // SL 651 墒情 elements: volumetric moisture by depth
      moisture_vol_10cm: m('10厘米土壤含水量', '%', 0, 100),
      moisture_vol_20cm: m('20厘米土壤含水量', '%', 0, 100),
      moisture_vol_30cm: m('30厘米土壤含水量', '%', 0, 100),
      moisture_vol_40cm: m('40厘米土壤含水量', '%', 0, 100),
      moisture_vol_50cm: m('50厘米土壤含水量', '%', 0, 100),
      moisture_vol_60cm: m('60厘米土壤含水量', '%', 0, 100),
      moisture_vol_80cm: m('80厘米土壤含水量', '%', 0, 100),
      moisture_vol_100cm: m('100厘米土壤含水量', '%', 0, 100),
    },
  },
  reservoir: {
    name: '水库水情',
    metrics: {
      water_level: m('库水位', 'm', -100, 6000),
      storage: m('蓄水量', '万m³', 0, 5_000_000),
      inflow: m('入库流量', 'm³/s', 0, 100_000),
      outflow: m('出库流量', 'm³/s', 0, 100_000),
      rainfall: m('降雨量', 'mm', 0, 500),
      // SL 651 hydrological telemetry (水文遥测) elements
      rainfall_1min: m('1分钟时段降水量', 'mm', 0, 50),
      rainfall_5min: m('5分钟时段降水量', 'mm', 0, 100),
      rainfall_10min: m('10分钟时段降水量', 'mm', 0, 150),
      rainfall_30min: m('30分钟时段降水量', 'mm', 0, 300),
      rainfall_current: m('当前降水量', 'mm', 0, 2000),
      rainfall_day: m('日降水量', 'mm', 0, 2000),
      rainfall_total: m('降水量累计值', 'mm', 0, 1_000_000),
      flow: m('瞬时流量', 'm³/s', -1000, 100_000),
      downstream_level: m('库(闸)下水位', 'm', -100, 6000),
      water_level_relative: m('相对水位(5分钟)', 'm', -100, 6000),
    },
  },
  forest_fire: {
    name: '森林防火',
    metrics: {
      temperature: m('气温', '℃', -60, 60),
      humidity: m('相对湿度', '%', 0, 100),
      wind_speed: m('风速', 'm/s', 0, 75),
      rainfall: m('降雨量', 'mm', 0, 500),
      smoke: m('烟雾探测', '0/1', 0, 1),
      flame: m('火焰探测', '0/1', 0, 1),
      fuel_moisture: m('可燃物含水率', '%', 0, 300),
    },
  },
  agriculture: {
    name: '智慧农业',
    metrics: {
      air_temperature: m('空气温度', '℃', -40, 60),
      air_humidity: m('空气湿度', '%', 0, 100),
      soil_moisture: m('土壤湿度', '%', 0, 100),
      soil_temperature: m('土壤温度', '℃', -40, 70),
      light: m('光照强度', 'lx', 0, 200_000),
      co2: m('二氧化碳', 'ppm', 0, 10_000),
    },
  },
};

export function isDomain(value: string): value is Domain {
  return (DOMAINS as readonly string[]).includes(value);
}

/** The spec of `metric` for a station of `domain`, or undefined when the metric is unknown there. */
export function metricSpec(domain: Domain, metric: string): MetricSpec | undefined {
  const specs = DOMAIN_SPECS[domain].metrics;
  if (Object.hasOwn(specs, metric)) return specs[metric];
  if (Object.hasOwn(COMMON_METRICS, metric)) return COMMON_METRICS[metric];
  return undefined;
}
