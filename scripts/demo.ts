/**
 * `npm run demo`: the platform with its own local InfluxDB and a demo fleet of simulated
 * stations across every catalogue domain and the departments of a Guangdong city, publishing live
 * through the real MQTT broker. Demo credentials are kept in `{dataDir}/demo-fleet.json`
 * (the platform itself keeps only keyed hashes). With the fleet on, an edge gateway too, set
 * up as a technician would (see demo-gateway.ts): its agent in `{dataDir}/demo-agent/`, fed over
 * TCP by a simulated HJ 212 数采仪 and a simulated SL 651 RTU, and polling and commanding a
 * simulated Modbus TCP sluice-gate controller. Environment variables as for `npm start`.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger, describePortInUse, loadConfig, startPlatform, wantsPrettyLog } from '@shanshui/ingest';
import { demoFleetStation, startSimulatedFleet } from '@shanshui/edge-agent';
import { demoCommands } from './demo-commands.ts';
import { DEMO_GATE_COMMAND, startDemoGateway } from './demo-gateway.ts';
import type { DemoGateway } from './demo-gateway.ts';
import type { SimulatedStation } from '@shanshui/edge-agent';
import type { StationInput } from '@shanshui/models';

const demoStation = (i: number): StationInput => demoFleetStation(i, 'demo');

if (process.argv[2] === '--help' || process.argv[2] === '-h') {
  process.stdout.write(
    'usage: npm run demo   the platform with its own local InfluxDB, a fleet of simulated stations\n' +
      '                      (SHANSHUI_DEMO_STATIONS, default 24) and a demo edge gateway; prints commands to try; Ctrl-C stops it.\n' +
      '                      The same SHANSHUI_* settings as npm start (README, "Configuration").\n',
  );
  process.exit(0);
}
const env = { ...process.env };
env['SHANSHUI_DEMO_STATIONS'] ??= '24';
const config = loadConfig(env);
const logger = createLogger(config.logLevel, 'shanshui', { pretty: wantsPrettyLog(config.logFormat, process.stdout.isTTY === true) });
const platform = await startPlatform(config, logger).catch((err: unknown) => {
  // A port taken (Debian's mosquitto on 1883 …) is a setting to change: one line, no stack.
  const portInUse = describePortInUse(err, config);
  if (!portInUse) throw err;
  logger.fatal(portInUse);
  process.exit(1);
});

const credentialsFile = path.join(config.dataDir, 'demo-fleet.json');
let known: Record<string, string> = {};
try {
  known = JSON.parse(await readFile(credentialsFile, 'utf8')) as Record<string, string>;
} catch {
  // first run
}
const stations: SimulatedStation[] = [];
for (let i = 0; i < config.demo.stations; i++) {
  const input = demoStation(i);
  let password: string | undefined = known[input.id];
  if (!platform.registry.get(input.id)) password = (await platform.registry.register(input)).secret;
  else if (!password) password = await platform.registry.rotateSecret(input.id);
  if (!password) throw new Error(`no credentials for ${input.id}`);
  known[input.id] = password;
  stations.push({ id: input.id, domain: input.domain, password });
}
await writeFile(credentialsFile, JSON.stringify(known, null, 2), { mode: 0o600 });
const fleet = await startSimulatedFleet({ url: `mqtt://127.0.0.1:${platform.mqttPort}`, stations, intervalSec: config.demo.intervalSec, logger });

// The gateway is a show piece: if it cannot start, the rest of the demo runs without it.
let gateway: DemoGateway | undefined;
if (config.demo.stations > 0) {
  try {
    gateway = await startDemoGateway({ platform, dir: path.join(config.dataDir, 'demo-agent'), loggerIntervalSec: Math.min(config.demo.intervalSec, 5), logger });
    const g = gateway;
    logger.info(
      { agentDir: g.dir, station: g.stationId, hj212: `127.0.0.1:${g.hj212Port}`, hj212Station: g.childStationId, sl651: `127.0.0.1:${g.sl651Port}`, modbus: `127.0.0.1:${g.modbusPort}` },
      `演示网关 demo gateway: edge agent in ${g.dir} as station ${g.stationId}; HJ 212 on 127.0.0.1:${g.hj212Port} (simulated 数采仪 → ${g.childStationId}), SL 651 on 127.0.0.1:${g.sl651Port} (simulated RTU → ${g.stationId}), Modbus TCP gate controller on 127.0.0.1:${g.modbusPort} (outflow polled, ${DEMO_GATE_COMMAND} commanded)`,
    );
  } catch (err) {
    logger.warn({ err }, 'demo gateway (edge agent + simulated 数采仪) not started; the rest of the demo runs without it');
  }
}

// A duty officer for the 一张图 at / (operator, every department): the password is made once and kept in the data folder (0600).
const demoUserFile = path.join(config.dataDir, 'demo-user.json');
let demoUser: { username: string; password: string };
try {
  demoUser = JSON.parse(await readFile(demoUserFile, 'utf8')) as { username: string; password: string };
} catch {
  demoUser = { username: 'duty', password: randomBytes(9).toString('base64url') };
  await writeFile(demoUserFile, JSON.stringify(demoUser, null, 2), { mode: 0o600 });
}
if (!(await platform.store.users.get(demoUser.username))) {
  await platform.store.users.create({ name: demoUser.username, displayName: '应急值班员', password: demoUser.password, role: 'operator', departments: '*', createdBy: 'demo' });
}

const api = `http://localhost:${platform.httpPort}`;
logger.info({ url: `${api}/`, username: demoUser.username, password: demoUser.password, kept: demoUserFile }, `一张图 the map: open ${api}/ and sign in as ${demoUser.username} / ${demoUser.password}`);
const tokenFile = path.join(config.dataDir, 'admin-token');
const tryThis = demoCommands({
  api,
  tokenFile,
  influx: {
    url: platform.influx.connection.url,
    database: config.influx.database,
    ...(platform.influx.connection.username !== undefined ? { username: platform.influx.connection.username } : {}),
    // Without SHANSHUI_INFLUX_URL the platform runs its own influxd, its credentials in the data folder.
    ...(config.influx.url === undefined ? { managedCredentialsFile: path.resolve(config.dataDir, 'influxdb', 'credentials.json') } : {}),
    authenticated: config.influx.username !== undefined || config.influx.token !== undefined,
  },
  ...(gateway ? { gateway: { stationId: gateway.stationId, childStationId: gateway.childStationId, command: DEMO_GATE_COMMAND } } : {}),
});
logger.info(
  { stations: stations.length, api, influx: platform.influx.connection.url, mqtt: `mqtt://localhost:${platform.mqttPort}` },
  `演示运行中 demo running: ${stations.length} simulated stations publish every ${config.demo.intervalSec} s — Ctrl-C stops`,
);
// Plain text, not a JSON field: a person copies these into a shell as they are.
process.stdout.write(`\n试试这些命令 commands to try:\n${tryThis.map((c) => `  ${c}`).join('\n')}\n\n`);
const progress = setInterval(() => {
  const gw = gateway && { hj212Acked: gateway.dataLogger.stats().acked, sl651Acked: gateway.rtu.stats().acked, agentBuffer: gateway.agent.stats().buffer.depth };
  logger.info({ acked: fleet.acked(), ...(gw ? { gateway: gw } : {}) }, 'demo fleet readings acknowledged');
}, 30_000);

let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  clearInterval(progress);
  await gateway?.stop().catch((err: unknown) => logger.warn({ err }, 'demo gateway did not stop cleanly'));
  await fleet.stop();
  await platform.stop();
  process.exit(0);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {
  shutdown().catch((err: unknown) => {
    logger.error({ err }, 'shutdown failed');
    process.exit(1);
  });
});
