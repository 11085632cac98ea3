/**
 * What the edge agent did with its config, beside what the platform wants it to run: the agent
 * answers every config on `up/events` (`config_applied` with its version, or `config_rejected`
 * with the version, the reason and the version it keeps running), and those events are in
 * InfluxDB's `device_events`. The applied version the store recorded (from those events and the
 * `config_version` of the agent's heartbeats: an agent running the config it was provisioned
 * with never sends `config_applied`) counts too. So `GET …/config` shows desired and applied
 * side by side, with the agent's refusal reason, instead of presenting a refused config as current.
 */
import type { InfluxQuerier } from '../store/readings-query.ts';
import { quoteString } from '../store/readings-query.ts';

export interface AgentConfigStatus {
  /** The version the platform published (what the agent is asked to run). */
  readonly desiredVersion: number;
  /** `applied`: the agent runs the desired version; `rejected`: it refused it (see `rejected`); `pending`: no answer yet (offline, or not yet received); `unknown`: nothing stored and InfluxDB not to be asked. */
  readonly state: 'applied' | 'rejected' | 'pending' | 'unknown';
  /** The last config the agent reported applying. */
  readonly applied: { readonly version: number; readonly at: string } | null;
  /** The last config the agent refused, with its reason and the version it kept running. */
  readonly rejected: { readonly version: number | null; readonly reason: string; readonly runningVersion: number | null; readonly at: string } | null;
}

export async function agentConfigStatus(
  influx: InfluxQuerier | undefined,
  stationId: string,
  desiredVersion: number,
  stored?: { readonly version: number; readonly at: string },
): Promise<AgentConfigStatus> {
  const fromStore = (): AgentConfigStatus =>
    stored ? { desiredVersion, state: stored.version === desiredVersion ? 'applied' : 'pending', applied: { version: stored.version, at: stored.at }, rejected: null } : { desiredVersion, state: 'unknown', applied: null, rejected: null };
  const none = fromStore();
  if (!influx) return none;
  let series;
  try {
    series = await influx.query(
      `SELECT "version", "reason", "running_version" FROM "device_events" WHERE "station" = ${quoteString(stationId)} AND ("type" = 'config_applied' OR "type" = 'config_rejected') AND time > now() - 365d GROUP BY "type" ORDER BY time DESC LIMIT 1`,
    );
  } catch {
    return none;
  }
  let applied: AgentConfigStatus['applied'] = stored ? { version: stored.version, at: stored.at } : null;
  let rejected: AgentConfigStatus['rejected'] = null;
  let appliedMs = stored ? Date.parse(stored.at) : -Infinity;
  let rejectedMs = -Infinity;
  for (const s of series) {
    const row = s.values[0];
    if (!row) continue;
    const col = (name: string): unknown => row[s.columns.indexOf(name)];
    const ms = Number(col('time'));
    const at = new Date(ms).toISOString();
    const version = typeof col('version') === 'number' ? (col('version') as number) : null;
    if (s.tags?.['type'] === 'config_applied' && version !== null && ms >= appliedMs) {
      applied = { version, at };
      appliedMs = ms;
    } else if (s.tags?.['type'] === 'config_rejected') {
      const running = col('running_version');
      rejected = { version, reason: String(col('reason') ?? ''), runningVersion: typeof running === 'number' ? running : null, at };
      rejectedMs = ms;
    }
  }
  const state = applied?.version === desiredVersion && appliedMs >= rejectedMs ? 'applied' : rejected?.version === desiredVersion && rejectedMs >= appliedMs ? 'rejected' : 'pending';
  return { desiredVersion, state, applied, rejected };
}
