/**
 * Real Modbus slaves for the tests: modbus-serial's own servers (ServerTCP on a TCP port,
 * ServerSerial on one end of a socat pseudo-terminal pair), serving a register bank per unit
 * id. A unit id in `dead` never answers (a slave off the bus); addresses ≥ 1000 answer
 * exception 2 (illegal data address).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import ModbusRTU from 'modbus-serial';

const { ServerTCP, ServerSerial } = ModbusRTU as unknown as {
  ServerTCP: new (vector: object, options: object) => { close(cb: () => void): void; on(ev: string, fn: (e: unknown) => void): void };
  ServerSerial: new (vector: object, options: object) => { close(cb: () => void): void; on(ev: string, fn: (e: unknown) => void): void };
};

export class RegisterBank {
  readonly holding = new Map<string, number>();
  readonly input = new Map<string, number>();
  readonly coils = new Map<string, boolean>();
  readonly discrete = new Map<string, boolean>();
  /** Unit ids that never answer. */
  readonly dead = new Set<number>();
  /** Writes received, in order. */
  readonly writes: Array<{ unit: number; table: 'coil' | 'holding'; address: number; value: number | boolean }> = [];
  setWords(table: 'holding' | 'input', unit: number, address: number, words: readonly number[]): void {
    words.forEach((w, i) => this[table].set(`${unit}:${address + i}`, w));
  }
  setBit(table: 'coils' | 'discrete', unit: number, address: number, value: boolean): void {
    this[table].set(`${unit}:${address}`, value);
  }
}

const ILLEGAL_ADDRESS = 1000;

function vector(bank: RegisterBank): object {
  const answer = <T>(unit: number, addr: number, get: () => T): Promise<T> => {
    if (bank.dead.has(unit)) return new Promise<T>(() => undefined);
    if (addr >= ILLEGAL_ADDRESS) return Promise.reject(Object.assign(new Error('illegal data address'), { modbusErrorCode: 2 }));
    return Promise.resolve(get());
  };
  return {
    getHoldingRegister: (addr: number, unit: number) => answer(unit, addr, () => bank.holding.get(`${unit}:${addr}`) ?? 0),
    getInputRegister: (addr: number, unit: number) => answer(unit, addr, () => bank.input.get(`${unit}:${addr}`) ?? 0),
    getCoil: (addr: number, unit: number) => answer(unit, addr, () => bank.coils.get(`${unit}:${addr}`) ?? false),
    getDiscreteInput: (addr: number, unit: number) => answer(unit, addr, () => bank.discrete.get(`${unit}:${addr}`) ?? false),
    setRegister: (addr: number, value: number, unit: number) =>
      answer(unit, addr, () => {
        bank.holding.set(`${unit}:${addr}`, value);
        bank.writes.push({ unit, table: 'holding', address: addr, value });
      }),
    setCoil: (addr: number, value: boolean, unit: number) =>
      answer(unit, addr, () => {
        bank.coils.set(`${unit}:${addr}`, value);
        bank.writes.push({ unit, table: 'coil', address: addr, value });
      }),
  };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface TestSlave {
  readonly bank: RegisterBank;
  close(): Promise<void>;
}

/** A Modbus TCP server on 127.0.0.1 serving every unit id. */
export async function startTcpSlave(bank = new RegisterBank()): Promise<TestSlave & { port: number }> {
  const port = await freePort();
  const server = new ServerTCP(vector(bank), { host: '127.0.0.1', port, unitID: 255 });
  server.on('socketError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.on('initialized', () => resolve());
    server.on('serverError', reject);
  });
  return { bank, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A pseudo-terminal pair (`socat -d -d pty,raw,echo=0 pty,raw,echo=0`): two /dev/pts paths wired together. */
export async function startPtyPair(): Promise<{ a: string; b: string; close(): Promise<void> }> {
  const child: ChildProcess = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const paths: string[] = [];
  let text = '';
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`socat exited ${code}: ${text}`)));
    child.stderr!.on('data', (d: Buffer) => {
      text += d.toString();
      for (const m of text.matchAll(/PTY is (\/dev\/pts\/\d+)/g)) if (!paths.includes(m[1]!)) paths.push(m[1]!);
      if (paths.length === 2 && /starting data transfer loop/.test(text)) resolve();
    });
  });
  child.removeAllListeners('exit');
  return {
    a: paths[0]!,
    b: paths[1]!,
    close: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A Modbus RTU slave (ServerSerial) on serial device `path`, serving every unit id. */
export async function startRtuSlave(path: string, bank = new RegisterBank()): Promise<TestSlave> {
  let server: InstanceType<typeof ServerSerial> | undefined;
  await new Promise<void>((resolve, reject) => {
    server = new ServerSerial(vector(bank), { path, baudRate: 9600, unitID: 255, openCallback: (err: Error | null) => (err ? reject(err) : resolve()) });
    server.on('error', () => undefined);
  });
  return { bank, close: () => new Promise<void>((r) => server!.close(() => r())) };
}
