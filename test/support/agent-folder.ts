/**
 * Test support for edge-agent end-to-end files: a station registered and provisioned into a
 * fresh agent folder, and an in-process agent on that folder — each cleaned up by the file's
 * own `cleanups` (run in reverse in its `after`).
 */
import path from 'node:path';
import { createAgent, provisionAgent } from '@shanshui/edge-agent';
import type { Agent } from '@shanshui/edge-agent';
import type { StationInput } from '@shanshui/models';
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
