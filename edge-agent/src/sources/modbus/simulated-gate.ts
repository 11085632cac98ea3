/**
 * A simulated sluice-gate controller (闸门控制器) speaking Modbus TCP, for demos and field
 * rehearsals: the PLC beside a reservoir's spillway gate. Holding register `openingAddress`
 * is the gate opening in 0.1 % (a command writes it, FC 6); holding register `outflowAddress`
 * is the outflow through the gate in 0.1 m³/s, which follows the opening (full open passes
 * `fullOpenOutflow`). An agent polls the outflow as a reading and writes the opening as a
 * command, so a `set_gate_opening` sent from the platform shows twice: the command's answer,
 * and the outflow readings changing. Register layout as in docs/standards/modbus.md: 0-based
 * protocol addresses (holding address 10 is register 40011).
 */
import ModbusRTU from 'modbus-serial';
import type { Logger } from 'pino';

const { ServerTCP } = ModbusRTU as unknown as {
  ServerTCP: new (
    vector: object,
    options: { host: string; port: number; unitID: number },
  ) => { close(cb: () => void): void; on(ev: 'initialized', fn: () => void): void; on(ev: 'serverError' | 'socketError' | 'error', fn: (err: Error) => void): void };
};

export const SIMULATED_GATE_DEFAULTS = {
  /** Listen address. */
  host: '127.0.0.1',
  /** Modbus unit id (slave id) the controller answers as. */
  slaveId: 1,
  /** Holding register of the gate opening, 0.1 % (0–1000). */
  openingAddress: 10,
  /** Holding register of the outflow, 0.1 m³/s. */
  outflowAddress: 11,
  /** Outflow at full opening, m³/s. */
  fullOpenOutflow: 60,
  /** Opening at start, %. */
  initialOpeningPercent: 20,
};

export interface SimulatedGateOptions {
  /** TCP port to listen on. Required (0 is refused: the agent's config names the port). */
  readonly port: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 1. */
  readonly slaveId?: number;
  /** Default 10. */
  readonly openingAddress?: number;
  /** Default 11. */
  readonly outflowAddress?: number;
  /** Default 60 m³/s. */
  readonly fullOpenOutflow?: number;
  /** Default 20 %. */
  readonly initialOpeningPercent?: number;
  /** Default: no logging. */
  readonly logger?: Logger;
}

export interface SimulatedGate {
  readonly port: number;
  /** The raw value of a holding register (0 for one never written). */
  register(address: number): number;
  /** Gate opening, %. */
  openingPercent(): number;
  /** Outflow, m³/s. */
  outflow(): number;
  /** Register writes received, in order. */
  readonly writes: ReadonlyArray<{ address: number; value: number; at: string }>;
  stop(): Promise<void>;
}

const ILLEGAL_DATA_ADDRESS = 2; // Modbus exception code 02 (docs/standards/modbus.md)

export async function startSimulatedGate(options: SimulatedGateOptions): Promise<SimulatedGate> {
  const o = { ...SIMULATED_GATE_DEFAULTS, ...options };
  const log = options.logger?.child({ component: 'simulated-gate', port: o.port });
  const holding = new Map<number, number>();
  const writes: Array<{ address: number; value: number; at: string }> = [];
  const setOpening = (raw: number): void => {
    const opening = Math.max(0, Math.min(1000, raw));
    holding.set(o.openingAddress, opening);
    // Outflow in 0.1 m³/s: proportional to the opening (a simple gate curve for a demo).
    holding.set(o.outflowAddress, Math.round((opening / 1000) * o.fullOpenOutflow * 10));
  };
  setOpening(Math.round(o.initialOpeningPercent * 10));

  const known = (address: number, unit: number): boolean => unit === o.slaveId && (address === o.openingAddress || address === o.outflowAddress);
  const refuse = (): Promise<never> => Promise.reject(Object.assign(new Error('illegal data address'), { modbusErrorCode: ILLEGAL_DATA_ADDRESS }));
  const vector = {
    getHoldingRegister: (address: number, unit: number) => (known(address, unit) ? Promise.resolve(holding.get(address) ?? 0) : refuse()),
    getInputRegister: () => refuse(),
    getCoil: () => refuse(),
    getDiscreteInput: () => refuse(),
    setRegister: (address: number, value: number, unit: number) => {
      // Only the opening is writable; the outflow is measured.
      if (unit !== o.slaveId || address !== o.openingAddress) return refuse();
      setOpening(value);
      writes.push({ address, value, at: new Date().toISOString() });
      log?.info({ openingPercent: (holding.get(o.openingAddress) ?? 0) / 10, outflow: (holding.get(o.outflowAddress) ?? 0) / 10 }, '闸门开度已设定 gate opening set');
      return Promise.resolve();
    },
    setCoil: () => refuse(),
  };
  const server = new ServerTCP(vector, { host: o.host, port: o.port, unitID: 255 });
  server.on('socketError', (err) => log?.debug({ err }, 'gate controller: connection error'));
  server.on('error', (err) => log?.warn({ err }, 'gate controller error'));
  await new Promise<void>((resolve, reject) => {
    server.on('initialized', () => resolve());
    server.on('serverError', reject);
  });
  log?.info({ host: o.host, slaveId: o.slaveId }, '模拟闸门控制器 simulated gate controller listening (Modbus TCP)');
  let stopped = false;
  return {
    port: o.port,
    register: (address) => holding.get(address) ?? 0,
    openingPercent: () => (holding.get(o.openingAddress) ?? 0) / 10,
    outflow: () => (holding.get(o.outflowAddress) ?? 0) / 10,
    writes,
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
