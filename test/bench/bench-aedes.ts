/**
 * The MQTT peer of issue #16: a bare aedes broker (bare-aedes-program.ts) loaded exactly as the
 * end-to-end part loads the platform — the same load-generator process, devices, window, QoS 1
 * and payloads (one air reading per message) — and its CPU time per acknowledged message. The
 * platform's CPU per stored reading at one reading per message, divided by this, is the figure
 * issue #16 sets a goal on: what the platform costs over the MQTT broker it is built on.
 */
import { BareAedesProcess } from './bare-aedes-process.ts';
import { LoadGeneratorProcess } from './load-generator-process.ts';
import { CpuMeter } from './proc-stats.ts';
import type { CpuReport } from './proc-stats.ts';
import { benchStationId } from './air-reading.ts';
import { progress } from './progress.ts';

export interface AedesBenchOptions {
  readonly devices: number;
  readonly window: number;
  readonly messagesPerDevice: number;
  readonly maxSeconds: number;
}

export interface AedesBenchResult {
  readonly devices: number;
  readonly window: number;
  readonly messages: number;
  readonly seconds: number;
  readonly messagesPerSec: number;
  readonly ackMsP50: number;
  readonly ackMsP99: number;
  readonly errors: number;
  readonly capped: boolean;
  /** CPU time of the aedes process per acknowledged message (µs). */
  readonly aedesCpuUsPerMessage: number;
  readonly cpu: CpuReport;
}

export async function benchAedes(o: AedesBenchOptions): Promise<AedesBenchResult> {
  const broker = await BareAedesProcess.start();
  let gen: LoadGeneratorProcess | undefined;
  try {
    gen = await LoadGeneratorProcess.start('gen0', o.devices);
    // No passwords: the bare broker authenticates nobody.
    const devices = Array.from({ length: o.devices }, (_, i) => ({ id: benchStationId('aedes', i), password: '', index: i }));
    const c = await gen.connect({ url: broker.url, devices, keepaliveSec: 60, subscribeDown: false, concurrency: 50 });
    if (c.failed > 0) throw new Error(`aedes: ${c.failed} devices did not connect: ${c.firstError}`);
    progress(`aedes: bare aedes pid ${broker.pid}, ${o.devices} devices × ${o.messagesPerDevice} messages (1 reading each), window ${o.window}`);
    const cpu = new CpuMeter({ aedes: broker.pid, generator: gen.pid, bench: process.pid });
    const r = await gen.publish({ messagesPerDevice: o.messagesPerDevice, readingsPerMessage: 1, window: o.window, tsBase: Date.now() - 3_600_000, readingOffset: 0, seqStart: 1, maxSeconds: o.maxSeconds });
    const report = cpu.stop();
    const seconds = (r.lastAckAt - r.firstPublishAt) / 1000;
    const result: AedesBenchResult = {
      devices: o.devices,
      window: o.window,
      messages: r.messages,
      seconds,
      messagesPerSec: r.messages / seconds,
      ackMsP50: r.ackMsP50,
      ackMsP99: r.ackMsP99,
      errors: r.errors,
      capped: r.capped,
      aedesCpuUsPerMessage: ((report.cores['aedes'] ?? 0) * report.wallSec * 1e6) / Math.max(1, r.messages),
      cpu: report,
    };
    progress(`aedes: ${r.messages} messages in ${seconds.toFixed(1)} s = ${Math.round(result.messagesPerSec)}/s, ${result.aedesCpuUsPerMessage.toFixed(1)} µs CPU per message`);
    return result;
  } finally {
    await gen?.close().catch(() => undefined);
    await broker.close().catch(() => undefined);
  }
}
