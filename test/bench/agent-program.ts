/**
 * Bench support, a program: one edge agent (`createAgent`, as `shanshui-agent run` runs it)
 * driven by the bench over IPC (see agent-process.ts). Nothing else runs here, so this
 * process's RSS and CPU are the agent's.
 */
import { createAgent, createSimulationState, simulateValues } from '@shanshui/edge-agent';
import type { Agent, SourceReading } from '@shanshui/edge-agent';
import type { AgentCommand, AgentReply } from './agent-process.ts';

const send = (r: AgentReply): void => {
  process.send?.(r);
};

let agent: Agent | undefined;

function take(readings: number, batch: number, tsStart: number): number {
  const a = agent;
  if (!a) throw new Error('agent not started');
  const state = createSimulationState(1);
  const started = performance.now();
  for (let i = 0; i < readings; i += batch) {
    const chunk: SourceReading[] = [];
    for (let j = i; j < Math.min(readings, i + batch); j++) {
      const ts = tsStart + j;
      const values: SourceReading['values'] = {};
      for (const [metric, value] of Object.entries(simulateValues('air', state, ts))) values[metric] = { value, quality: 'ok' };
      chunk.push({ source: 'bench', ts: new Date(ts), values, kind: 'simulated' });
    }
    a.take(chunk);
  }
  return (performance.now() - started) / 1000;
}

process.on('message', (raw) => {
  const c = raw as AgentCommand;
  const fail = (err: unknown): void => send({ ev: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  try {
    if (c.cmd === 'start') {
      createAgent({ dir: c.dir, credentials: c.credentials, config: c.config, reconnectMinMs: c.reconnectMinMs, reconnectMaxMs: c.reconnectMaxMs }).then((a) => {
        agent = a;
        send({ ev: 'started' });
      }, fail);
    } else if (c.cmd === 'stats') {
      const s = agent?.stats();
      const mem = process.memoryUsage();
      send({
        ev: 'stats',
        rssKiB: Math.round(mem.rss / 1024),
        heapUsedKiB: Math.round(mem.heapUsed / 1024),
        readingsTaken: s?.readingsTaken ?? 0,
        readingsAcked: s?.uplink.readingsAcked ?? 0,
        bufferDepth: s?.buffer.depth ?? 0,
        bufferBytes: s?.buffer.bytes ?? 0,
        uplinkState: s?.uplink.state ?? 'none',
        connects: s?.uplink.connects ?? 0,
        ...(s?.uplink.lastConnectedAt ? { lastConnectedAt: s.uplink.lastConnectedAt } : {}),
      });
    } else if (c.cmd === 'take') {
      send({ ev: 'taken', seconds: take(c.readings, c.batch, c.tsStart) });
    } else if (c.cmd === 'stop') {
      (agent?.stop() ?? Promise.resolve()).then(() => {
        send({ ev: 'stopped' });
        process.disconnect?.();
      }, fail);
    }
  } catch (err) {
    fail(err);
  }
});
process.on('disconnect', () => process.exit(0));
send({ ev: 'ready' });
