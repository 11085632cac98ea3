/** `npm start`: reads the environment, starts the platform, stops it cleanly on SIGINT/SIGTERM. */
import { enableCompileCache } from 'node:module';

// V8's compiled code of the platform's modules kept on disk (Node's compile cache, in the temp
// folder): a restart — every node of a cluster at once, while its devices wait — spends about
// half the CPU on loading them. Enabled before they are imported, so they load after it.
enableCompileCache();
const { loadConfig } = await import('./config.ts');
const { createLogger, wantsPrettyLog } = await import('./logger.ts');
const { startPlatform } = await import('./platform.ts');
const { describePortInUse } = await import('./port-in-use.ts');

if (process.argv[2] === '--help' || process.argv[2] === '-h') {
  process.stdout.write(
    'usage: npm start     the platform alone (MQTT broker, ingest, rules, HTTP API), configured by SHANSHUI_* variables\n' +
      '                     or a JSON file named by SHANSHUI_CONFIG (README, "Configuration"); Ctrl-C stops it\n' +
      '       npm run demo  the same with a local InfluxDB, 24 simulated stations and a demo edge gateway\n',
  );
  process.exit(0);
}
let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  process.stderr.write(`shanshui: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const logger = createLogger(config.logLevel, 'shanshui', { pretty: wantsPrettyLog(config.logFormat, process.stdout.isTTY === true) });
try {
  const platform = await startPlatform(config, logger);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    platform.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (err) {
  // A port taken is a setting to change, not a bug: one line, no stack.
  const portInUse = describePortInUse(err, config);
  if (portInUse) logger.fatal(portInUse);
  else logger.fatal({ err }, err instanceof Error ? err.message : String(err));
  process.exit(1);
}
