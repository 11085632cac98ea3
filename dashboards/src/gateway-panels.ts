/**
 * 边缘网关: edge gateways' health from the agent heartbeats ingest stores in `device_status`
 * (edge-agent/src/agent.ts `statusFields`, one point per heartbeat; the last will and a clean
 * stop add a point holding only `online` = 0). A gateway is a station whose status points carry
 * `buffer_depth`; plain devices' status points do not, so they never appear here.
 */
import type { FieldDefaults, FieldOverride } from './grafana-model.ts';
import { byName, metricSeries, seriesCustom, seriesOptions, steps, valueMappings } from './panel-builders.ts';
import type { PanelSpec } from './panel-builders.ts';
import { departmentMappings } from './labels.ts';

/**
 * How far back the gateway tables look. Not the time picker: a gateway silent for two days is
 * exactly the one a technician must see, with its last known backlog.
 */
export const GATEWAY_LOOKBACK = '30d';

/** Heartbeat fields of the gateway table, in column order. */
const GATEWAY_FIELDS = ['agent_version', 'uplink_profile', 'uplink_disconnects', 'buffer_bytes', 'buffer_quota_bytes', 'buffer_dropped', 'uplink_parked_stations', 'uptime_sec'] as const;

/**
 * Source counters shown per gateway: the first source of each kind (`source_hj212_*`,
 * `source_sl651_*`, `source_opcua_*`; a second source of a kind reports as `source_hj212_2_*`
 * and is not shown). Counted since the agent started (they restart at 0 with it).
 */
const SOURCE_FIELDS = [
  'source_hj212_connections',
  'source_hj212_packets',
  'source_hj212_bad_crc',
  'source_hj212_bad_length',
  'source_hj212_bad_packet',
  'source_hj212_bad_password',
  'source_sl651_connections',
  'source_sl651_reports',
  'source_sl651_bad_crc',
  'source_sl651_bad_header',
  'source_sl651_bad_report',
  'source_sl651_bad_password',
  'source_opcua_state',
  'source_opcua_reconnects',
] as const;

const quoted = (fields: readonly string[]): string => fields.map((f) => `"${f}"`).join(', ');

/** Last heartbeat of each gateway with its buffer, uplink and agent fields; quota use in %. */
export function lastHeartbeatQuery(filter: string): string {
  const inner = `SELECT last("buffer_depth") AS "buffer_depth", ${quoted(GATEWAY_FIELDS)} FROM "device_status" WHERE time > now() - ${GATEWAY_LOOKBACK} AND ${filter} GROUP BY "station", "dept"`;
  return `SELECT "agent_version", "uplink_profile", "buffer_depth", "buffer_bytes" / "buffer_quota_bytes" * 100 AS "buffer_used_pct", "buffer_dropped", "uplink_parked_stations", "uplink_disconnects", "uptime_sec" FROM (${inner}) GROUP BY "station", "dept"`;
}

/** The latest `online` of each station: 0 after its last will (or a clean stop), 1 after a heartbeat. */
export function lastOnlineQuery(filter: string): string {
  return `SELECT last("online") AS "online" FROM "device_status" WHERE time > now() - ${GATEWAY_LOOKBACK} AND ${filter} GROUP BY "station"`;
}

/** Last heartbeat's source counters of each gateway. */
export function sourceHealthQuery(filter: string): string {
  return `SELECT last("buffer_depth") AS "buffer_depth", ${quoted(SOURCE_FIELDS)} FROM "device_status" WHERE time > now() - ${GATEWAY_LOOKBACK} AND ${filter} GROUP BY "station"`;
}

const rename = (name: string, displayName: string, more: FieldOverride['properties'] = []): FieldOverride => byName(name, [{ id: 'displayName', value: displayName }, ...more]);
const colorText = { id: 'custom.cellOptions', value: { type: 'color-text' } };
const colorBackground = { id: 'custom.cellOptions', value: { type: 'color-background' } };
/** Any bad frame shows amber: a miswired logger, a wrong password or a noisy line. */
const badCount = (name: string, displayName: string): FieldOverride =>
  rename(name, displayName, [{ id: 'color', value: { mode: 'thresholds' } }, { id: 'thresholds', value: steps('green', [1, 'orange']) }, colorText]);

const tableOptions = { showHeader: true, cellHeight: 'sm' } as const;
const noDefaults: FieldDefaults = {};

export function gatewayPanels(filter: string): PanelSpec[] {
  return [
    {
      type: 'table',
      title: '边缘网关（积压最多在前）',
      description:
        '每个网关最近一次心跳（up/status）：代理版本、上行链路、断存续传缓存的积压条数与配额占用、超出磁盘配额后丢弃的读数、被平台拒收而暂停发送的子站、运行时长。“上行链路”取最新状态：心跳 = 在线，遗嘱消息（断线）= 离线；离线网关的积压是断线前最后所知的值，此后还在增长。',
      w: 24,
      h: 9,
      queries: [
        { query: lastHeartbeatQuery(filter), format: 'table' },
        { query: lastOnlineQuery(filter), format: 'table' },
      ],
      defaults: noDefaults,
      overrides: [
        rename('Time', '最后心跳'),
        rename('station', '网关站点'),
        rename('dept', '部门', [{ id: 'mappings', value: departmentMappings() }]),
        rename('agent_version', '代理版本'),
        rename('online', '上行链路', [
          { id: 'mappings', value: valueMappings([{ value: 0, text: '离线', color: 'red' }, { value: 1, text: '在线', color: 'green' }]) },
          colorBackground,
        ]),
        rename('uplink_profile', '链路类型', [{ id: 'mappings', value: valueMappings([{ value: '5g', text: '5G' }, { value: 'nbiot', text: 'NB-IoT' }]) }]),
        rename('uplink_disconnects', '断线次数', [{ id: 'decimals', value: 0 }]),
        rename('buffer_depth', '缓存积压（条）', [
          { id: 'decimals', value: 0 },
          { id: 'color', value: { mode: 'thresholds' } },
          { id: 'thresholds', value: steps('green', [1000, 'orange'], [10000, 'red']) },
          colorBackground,
        ]),
        rename('buffer_used_pct', '配额占用', [
          { id: 'unit', value: 'percent' },
          { id: 'decimals', value: 1 },
          { id: 'min', value: 0 },
          { id: 'max', value: 100 },
          { id: 'color', value: { mode: 'thresholds' } },
          { id: 'thresholds', value: steps('green', [50, 'orange'], [90, 'red']) },
          { id: 'custom.cellOptions', value: { type: 'gauge', mode: 'basic' } },
        ]),
        rename('buffer_dropped', '超配额丢弃（条）', [{ id: 'decimals', value: 0 }, { id: 'color', value: { mode: 'thresholds' } }, { id: 'thresholds', value: steps('green', [1, 'red']) }, colorText]),
        rename('uplink_parked_stations', '暂停发送的子站', [{ id: 'noValue', value: '—' }]),
        rename('uptime_sec', '运行时长', [{ id: 'unit', value: 's' }]),
      ],
      transformations: [
        // The latest online state (query B) has its own time, which is not the heartbeat's: drop
        // it before joining B's column to the heartbeat rows by station. The inner join also
        // drops devices that are not gateways (they have an online state but no heartbeat).
        { id: 'organize', filter: { id: 'byRefId', options: 'B' }, options: { excludeByName: { Time: true } } },
        { id: 'joinByField', options: { byField: 'station', mode: 'inner' } },
        { id: 'organize', options: { indexByName: { station: 0, dept: 1, online: 2, buffer_depth: 3, buffer_used_pct: 4, buffer_dropped: 5, uplink_parked_stations: 6, uplink_profile: 7, uplink_disconnects: 8, agent_version: 9, uptime_sec: 10, Time: 11 } } },
        { id: 'sortBy', options: { sort: [{ field: 'buffer_depth', desc: true }] } },
      ],
      options: tableOptions,
    },
    {
      type: 'timeseries',
      title: '网关缓存积压 · 按网关',
      description: '每次心跳报告的断存续传缓存积压条数（每间隔最大值）。持续上升 = 上行链路中断或带宽不足；回落 = 链路恢复后补传。',
      w: 12,
      h: 9,
      queries: [metricSeries('device_status', 'buffer_depth', filter, 'max')],
      defaults: { unit: 'short', decimals: 0, min: 0, color: { mode: 'palette-classic' }, custom: { ...seriesCustom('off'), showPoints: 'auto' } },
      options: seriesOptions(),
    },
    {
      type: 'table',
      title: '网关数据源健康（代理启动以来累计）',
      description:
        '最近一次心跳中各数据源的计数：HJ 212 与 SL 651 的连接数、有效数据包和坏帧（CRC 错误、长度错误、无法解析、密码错误），OPC-UA 连接状态与重连次数。坏帧持续增长多为现场接线、串口服务器或数采仪密码配置问题。只显示每类的第一个数据源。',
      w: 12,
      h: 9,
      queries: [{ query: sourceHealthQuery(filter), format: 'table' }],
      defaults: noDefaults,
      overrides: [
        rename('Time', '最后心跳'),
        rename('station', '网关站点'),
        byName('buffer_depth', [{ id: 'custom.hidden', value: true }]),
        rename('source_hj212_connections', 'HJ 212 连接'),
        rename('source_hj212_packets', 'HJ 212 数据包'),
        badCount('source_hj212_bad_crc', 'HJ 212 CRC 错'),
        badCount('source_hj212_bad_length', 'HJ 212 长度错'),
        badCount('source_hj212_bad_packet', 'HJ 212 无法解析'),
        badCount('source_hj212_bad_password', 'HJ 212 密码错'),
        rename('source_sl651_connections', 'SL 651 连接'),
        rename('source_sl651_reports', 'SL 651 报文'),
        badCount('source_sl651_bad_crc', 'SL 651 CRC 错'),
        badCount('source_sl651_bad_header', 'SL 651 帧头错'),
        badCount('source_sl651_bad_report', 'SL 651 无法解析'),
        badCount('source_sl651_bad_password', 'SL 651 密码错'),
        rename('source_opcua_state', 'OPC-UA 状态', [
          {
            id: 'mappings',
            value: valueMappings([
              { value: 'connected', text: '已连接', color: 'green' },
              { value: 'connecting', text: '连接中', color: 'orange' },
              { value: 'disconnected', text: '断开', color: 'red' },
              { value: 'stopped', text: '未运行', color: 'red' },
            ]),
          },
          colorText,
        ]),
        rename('source_opcua_reconnects', 'OPC-UA 重连'),
      ],
      options: tableOptions,
    },
  ];
}
