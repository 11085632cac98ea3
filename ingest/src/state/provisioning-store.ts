/**
 * One-time bootstrap tokens (kept as sha256: they are 192-bit random, so a fast hash is
 * enough) and the edge-agent configuration of each station: the desired one (published), and the
 * one its agent reported applying (what commands are checked against).
 */
import type { AgentConfig } from '@shanshui/models';

export type TokenCheck =
  | { readonly ok: true; readonly stationId: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'used' | 'expired'; readonly stationId?: string };

export interface AppliedAgentConfig {
  readonly version: number;
  readonly config: AgentConfig;
  readonly at: string;
}

export interface ProvisioningStore {
  createToken(stationId: string, ttlSec: number, now?: number): Promise<{ token: string; expiresAt: string }>;
  /** Marks the token used if it is valid; one winner even under concurrent calls (one conditional UPDATE). */
  consumeToken(token: string, from: string, now?: number): Promise<TokenCheck>;
  /**
   * Stores `config` as the station's desired one if its version is above the stored one; false when
   * the store holds that version or a newer one already (one winner under concurrent calls, on
   * every node: one conditional upsert).
   */
  setConfig(stationId: string, config: AgentConfig): Promise<boolean>;
  getConfig(stationId: string): Promise<AgentConfig | undefined>;
  allConfigs(): Promise<Array<{ stationId: string; config: AgentConfig }>>;
  /**
   * The agent reported `config_applied` with `version`: that published version becomes the applied
   * one (older versions are forgotten). False when no such version was published, or it or a newer
   * one is already recorded as applied (a heartbeat repeating the version changes nothing).
   */
  markApplied(stationId: string, version: number, now?: number): Promise<boolean>;
  /** The config the agent last reported applying; undefined when it never did (or runs no agent of ours). */
  getApplied(stationId: string): Promise<AppliedAgentConfig | undefined>;
  /** Forgets a deleted station's tokens and agent config. */
  deleteStation(stationId: string): Promise<void>;
}
