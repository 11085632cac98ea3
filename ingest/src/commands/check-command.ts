/**
 * A command is checked against the config the station's agent RUNS — the version it last
 * reported applying (`config_applied`) — not the latest one published: an agent that refused
 * version 2 still runs version 1, and a command only version 2 defines would fail on the device.
 * A station whose agent never reported a config (a device that is not our edge agent, or one
 * not yet connected) is checked against the published config, the only definition there is.
 */
import type { ProvisioningStore } from '../state/provisioning-store.ts';
import { validateCommand } from './command-dispatcher.ts';

/** The reason `name(args)` cannot be sent to `stationId`, or undefined when it may. */
export async function checkCommand(provisioning: Pick<ProvisioningStore, 'getConfig' | 'getApplied'>, stationId: string, name: string, args: Record<string, unknown>): Promise<string | undefined> {
  const [desired, applied] = await Promise.all([provisioning.getConfig(stationId), provisioning.getApplied(stationId)]);
  if (!applied) return validateCommand(desired, name, args);
  const invalid = validateCommand(applied.config, name, args);
  if (!invalid) return undefined;
  const runs = `the agent runs config version ${applied.version}`;
  if (desired && desired.version !== applied.version && validateCommand(desired, name, args) === undefined) {
    return `${runs}, where ${invalid}; version ${desired.version}, which defines it, is not applied (see GET /api/v1/stations/${stationId}/config)`;
  }
  return `${runs}: ${invalid}`;
}
