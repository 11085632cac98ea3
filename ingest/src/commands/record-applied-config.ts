/**
 * The agent's `config_applied` event (`up/events`, already durable in the spool) makes that
 * published version the station's applied config, which commands are then checked against.
 */
import type { ProvisioningStore } from '../state/provisioning-store.ts';

/** Records an applied config; ignores every other event. True when the applied config changed. */
export async function recordAppliedConfig(provisioning: Pick<ProvisioningStore, 'markApplied'>, stationId: string, fields: Readonly<Record<string, number | string>>): Promise<boolean> {
  const version = fields['version'];
  if (fields['type'] !== 'config_applied' || typeof version !== 'number' || !Number.isInteger(version)) return false;
  return provisioning.markApplied(stationId, version);
}
