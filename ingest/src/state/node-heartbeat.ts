/**
 * A cluster node's sign of life, and the leader's sweep of dead nodes' devices. Every
 * `heartbeatMs` each node records in the store that it is alive; the leader (advisory lock)
 * then marks offline the devices still shown online on a node silent for `deadAfterMs` — a node
 * killed with -9 or whose machine is gone says nothing itself. A device that reconnected to
 * another node is held by that node and is not touched. The node's open delivery stays are left
 * open: they count as saved either way, and a node only silent may still save them
 * (docs/capacity.md, "A node killed with -9").
 */
import type { Logger } from 'pino';
import type { PresenceStore } from './presence-store.ts';

export interface NodeHeartbeatOptions {
  readonly presence: Pick<PresenceStore, 'heartbeat' | 'sweepSilentNodes'>;
  readonly nodeId: string;
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
  /** Whether this node sweeps now (the leader). */
  readonly isLeader: () => boolean;
  /** Devices the sweep marked offline. */
  readonly swept?: (deviceIds: readonly string[]) => void;
  readonly logger: Logger;
}

export interface NodeHeartbeat {
  stop(): void;
}

/** Records this node alive now (resolves once stored), then every `heartbeatMs`. */
export async function startNodeHeartbeat(o: NodeHeartbeatOptions): Promise<NodeHeartbeat> {
  await o.presence.heartbeat(o.nodeId, Date.now());
  let running = false;
  const beat = async (): Promise<void> => {
    const now = Date.now();
    await o.presence.heartbeat(o.nodeId, now);
    if (!o.isLeader()) return;
    const ids = await o.presence.sweepSilentNodes(now - o.deadAfterMs, now);
    if (ids.length === 0) return;
    o.logger.warn({ devices: ids.length, first: ids.slice(0, 10), deadAfterMs: o.deadAfterMs }, 'devices of a silent node marked offline');
    o.swept?.(ids);
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    beat()
      .catch((err: unknown) => o.logger.warn({ err }, 'node heartbeat not recorded'))
      .finally(() => {
        running = false;
      });
  }, o.heartbeatMs);
  return { stop: () => clearInterval(timer) };
}
