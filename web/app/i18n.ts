/** UI text in Chinese (the default) with an English fallback: `?lang=en`, or a browser that prefers no Chinese. */
const ZH = {
  title: '山水 · 一张图',
  signIn: '登录',
  signOut: '退出',
  username: '用户名',
  password: '密码',
  signInFailed: '登录失败',
  stations: '站点',
  warnings: '当前预警',
  noWarnings: '暂无预警',
  allDomains: '全部领域',
  allDepartments: '全部部门',
  allRegions: '全部区县',
  allLevels: '全部等级',
  level: '预警等级',
  normal: '正常',
  offline: '离线',
  ack: '确认',
  acked: '已确认',
  latest: '最新数据',
  classification: '国标分级',
  chart24h: '近24小时',
  history: '预警记录',
  commands: '下发指令',
  send: '发送',
  commandName: '指令名',
  commandArgs: '参数 (JSON)',
  close: '关闭',
  live: '实时',
  reconnecting: '重连中',
  quality: '质量',
  noData: '暂无数据',
  department: '部门',
  region: '区县',
  domain: '领域',
  sent: '已下发',
  failed: '失败',
  legend: '图例',
  role: '角色',
} as const;
export type TextKey = keyof typeof ZH;
const EN: Record<TextKey, string> = {
  title: 'Shanshui · One map',
  signIn: 'Sign in',
  signOut: 'Sign out',
  username: 'User name',
  password: 'Password',
  signInFailed: 'Sign-in failed',
  stations: 'Stations',
  warnings: 'Open warnings',
  noWarnings: 'No open warnings',
  allDomains: 'All domains',
  allDepartments: 'All departments',
  allRegions: 'All districts',
  allLevels: 'All levels',
  level: 'Warning level',
  normal: 'Normal',
  offline: 'Offline',
  ack: 'Acknowledge',
  acked: 'Acknowledged',
  latest: 'Latest values',
  classification: 'National classification',
  chart24h: 'Last 24 h',
  history: 'Alert history',
  commands: 'Send a command',
  send: 'Send',
  commandName: 'Command',
  commandArgs: 'Arguments (JSON)',
  close: 'Close',
  live: 'Live',
  reconnecting: 'Reconnecting',
  quality: 'Quality',
  noData: 'No data',
  department: 'Department',
  region: 'District',
  domain: 'Domain',
  sent: 'Sent',
  failed: 'Failed',
  legend: 'Legend',
  role: 'Role',
};

function pickLang(): 'zh' | 'en' {
  const q = new URLSearchParams(location.search).get('lang');
  if (q === 'en' || q === 'zh') return q;
  const prefs = navigator.languages?.length ? navigator.languages : [navigator.language];
  return prefs.some((l) => l.toLowerCase().startsWith('zh')) || prefs.length === 0 ? 'zh' : 'en';
}

export const LANG = pickLang();
export function t(key: TextKey): string {
  return LANG === 'zh' ? ZH[key] : EN[key];
}
