/**
 * One-time bootstrap tokens (kept as sha256: they are 192-bit random, so a fast hash is
 * enough) and the edge-agent configuration of each station.
 */
import type { AgentConfig } from '@shanshui/models';

export type TokenCheck =
  | { readonly ok: true; readonly stationId: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'used' | 'expired'; readonly stationId?: string };

export interface ProvisioningStore {
  createToken(stationId: string, ttlSec: number, now?: number): Promise<{ token: string; expiresAt: string }>;
  /** Marks the token used if it is valid; one winner even under concurrent calls (one conditional UPDATE). */
  consumeToken(token: string, from: string, now?: number): Promise<TokenCheck>;
  setConfig(stationId: string, config: AgentConfig): Promise<void>;
  getConfig(stationId: string): Promise<AgentConfig | undefined>;
  allConfigs(): Promise<Array<{ stationId: string; config: AgentConfig }>>;
  /** Forgets a deleted station's tokens and agent config. */
  deleteStation(stationId: string): Promise<void>;
}
