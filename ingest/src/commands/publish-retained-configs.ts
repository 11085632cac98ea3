/**
 * At start, the agent configs of the store become retained `down/config` messages again — only
 * where the broker does not hold them already. One node: aedes keeps retained messages in memory,
 * so after a restart it holds none and every config is published. A cluster: they live in Redis and
 * outlive a node's restart; publishing them again would push each config live, once more, to every
 * connected device on every node, and a config read from the store just before an operator
 * published a newer one through another node would replace that newer retained version. So a
 * config is published when the broker holds none for the station (Redis lost its data) or an
 * older version (a publish that failed after the store was written).
 */
import { z } from 'zod';
import type { AgentConfig } from '@shanshui/models';

export interface RetainedConfigsDeps {
  /** Every station's desired config, from the store. */
  readonly configs: ReadonlyArray<{ readonly stationId: string; readonly config: AgentConfig }>;
  /** The retained `down/config` payload the broker holds for the station; undefined when none. */
  readonly retained: (stationId: string) => Promise<Buffer | undefined>;
  readonly publish: (stationId: string, config: AgentConfig) => Promise<void>;
  /** Stations looked up at once (Redis round trips overlap). Default 64. */
  readonly concurrency?: number;
}

const RetainedVersion = z.object({ version: z.number().int() });

/** The version in a retained config payload; undefined when there is none or it cannot be read (published again then). */
function versionOf(payload: Buffer | undefined): number | undefined {
  if (payload === undefined) return undefined;
  try {
    const parsed = RetainedVersion.safeParse(JSON.parse(payload.toString('utf8')));
    return parsed.success ? parsed.data.version : undefined;
  } catch {
    return undefined;
  }
}

/** Publishes the configs the broker lacks or holds older; how many it published and how many it found in place. */
export async function publishRetainedConfigs(deps: RetainedConfigsDeps): Promise<{ published: number; kept: number }> {
  let published = 0;
  let kept = 0;
  const step = deps.concurrency ?? 64;
  for (let i = 0; i < deps.configs.length; i += step) {
    await Promise.all(
      deps.configs.slice(i, i + step).map(async ({ stationId, config }) => {
        const held = versionOf(await deps.retained(stationId));
        if (held !== undefined && held >= config.version) {
          kept++;
          return;
        }
        await deps.publish(stationId, config);
        published++;
      }),
    );
  }
  return { published, kept };
}
