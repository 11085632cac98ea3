/**
 * Which config each station's agent runs, as the agent says it: a `config_applied` event with
 * its version (`up/events`), and the `config_version` of every heartbeat (`up/status`, sent on
 * each connect too — so an agent that started on the config it was provisioned with, and never
 * had to apply a new one, is known to run it). That published version becomes the station's
 * applied config, which commands are checked against. A heartbeat repeating the known version
 * costs no store write.
 */
import type { ProvisioningStore } from '../state/provisioning-store.ts';

export class AppliedConfigRecorder {
  readonly #provisioning: Pick<ProvisioningStore, 'markApplied'>;
  /** The version last recorded per station (this node's view; a miss only costs one idempotent write). */
  readonly #known = new Map<string, number>();

  constructor(provisioning: Pick<ProvisioningStore, 'markApplied'>) {
    this.#provisioning = provisioning;
  }

  /** Records the version an `up/status` or `up/events` message says the agent runs; true when the applied config changed. */
  async onMessage(stationId: string, kind: 'status' | 'events', fields: Readonly<Record<string, number | string>>): Promise<boolean> {
    const version = kind === 'status' ? fields['config_version'] : fields['type'] === 'config_applied' ? fields['version'] : undefined;
    if (typeof version !== 'number' || !Number.isInteger(version) || this.#known.get(stationId) === version) return false;
    const changed = await this.#provisioning.markApplied(stationId, version);
    // Known also when unchanged (already applied, or never published here): no write per heartbeat.
    this.#known.set(stationId, version);
    return changed;
  }

  /** A deleted station (its id may be registered again). */
  forget(stationId: string): void {
    this.#known.delete(stationId);
  }
}
