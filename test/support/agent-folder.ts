/**
 * Test support for edge-agent end-to-end files: a station registered and provisioned into a
 * fresh agent folder, and an in-process agent on that folder — each cleaned up by the file's
 * own `cleanups` (run in reverse in its `after`).
 */
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createAgent, provisionAgent } from '@shanshui/edge-agent';
import type { Agent } from '@shanshui/edge-agent';
import type { StationInput } from '@shanshui/models';
import { startRestartablePlatform } from './restartable-platform.ts';
import type { RestartablePlatform } from './restartable-platform.ts';
import { tempDir } from './temp-dir.ts';

export type Cleanups = Array<() => Promise<unknown>>;

/** Registers `station`, provisions an agent folder with a bootstrap token; returns the folder. */
export async function provisionedAgentDir(tp: RestartablePlatform, cleanups: Cleanups, station: Partial<StationInput> & { id: string }): Promise<string> {
  const token = await tp.bootstrapToken(station);
  const tmp = await tempDir('shanshui-agent-dir-');
  cleanups.push(tmp.remove);
  const dir = path.join(tmp.dir, 'agent');
  await provisionAgent({ server: tp.httpUrl, token, dir });
  return dir;
}

/** An agent running on `dir` (fast reconnects for tests), stopped at cleanup. */
export async function agentIn(cleanups: Cleanups, dir: string, config?: unknown): Promise<Agent> {
  const agent = await createAgent({ dir, ...(config ? { config } : {}), reconnectMinMs: 100, reconnectMaxMs: 1000 });
  cleanups.push(() => agent.stop());
  return agent;
}

export interface AgentPlatformEnv {
  /** The platform, started before the file's tests. */
  readonly tp: RestartablePlatform;
  /** Run in reverse after the file's tests, before the platform closes. */
  readonly cleanups: Cleanups;
}

/** For an edge-agent end-to-end file: one platform started before its tests, and its cleanups then the platform undone after them. */
export function useAgentPlatform(): AgentPlatformEnv {
  let tp: RestartablePlatform | undefined;
  const cleanups: Cleanups = [];
  beforeAll(async () => {
    tp = await startRestartablePlatform();
  });
  afterAll(async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    await tp?.close();
  });
  return {
    get tp(): RestartablePlatform {
      if (!tp) throw new Error('the platform starts in beforeAll');
      return tp;
    },
    cleanups,
  };
}
