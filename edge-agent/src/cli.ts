/**
 * The gateway program.
 *
 *   shanshui-agent provision --server https://host:8443 --token TOKEN [--ca FILE] [--dir DIR]
 *   shanshui-agent run [--dir DIR] [--log-level info] [--ca FILE]
 *
 * `shanshui-agent` is the installed program (`npm run agent:build`: the .deb puts it on the
 * PATH, the tarball has it in `bin/`); in the repository it is `npm run agent --`. The hints it
 * prints name the way it was started (`SHANSHUI_AGENT_SELF`, set by the installed launcher).
 *
 * `--ca FILE`: the PEM CA that signed the platform's certificate (a private or development CA).
 * Given to `provision`, it is kept in DIR and `run` verifies MQTT over TLS against it too.
 *
 * DIR defaults to SHANSHUI_AGENT_DIR or /var/lib/shanshui-agent. Exit codes: 0 done, 1 error,
 * 2 the server refused provisioning, 64 usage. `run` stops cleanly on SIGTERM/SIGINT.
 * This is the program's main: the only place that reads `process.env`.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { AgentError } from './errors.ts';

/** How to start this program again: the installed launcher's path, else the repository's npm script. */
const SELF = process.env['SHANSHUI_AGENT_SELF'] || 'npm run agent --';
const USAGE = `usage:
  ${SELF} provision --server https://HOST:8443 --token TOKEN [--ca FILE] [--dir DIR]
  ${SELF} run [--dir DIR] [--log-level LEVEL] [--ca FILE]
  ${SELF} --help
DIR defaults to $SHANSHUI_AGENT_DIR or /var/lib/shanshui-agent. --ca FILE: the PEM CA of the
platform's certificate; given to provision, it is kept in DIR for run.`;

const out = (s: string): void => void process.stdout.write(`${s}\n`);
const err = (s: string): void => void process.stderr.write(`${s}\n`);

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    out(USAGE);
    return 0;
  }
  const [command, ...rest] = argv;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        server: { type: 'string' },
        token: { type: 'string' },
        dir: { type: 'string' },
        'log-level': { type: 'string' },
        ca: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 64;
  }
  const dir = String(values['dir'] ?? process.env['SHANSHUI_AGENT_DIR'] ?? '/var/lib/shanshui-agent');
  if (values['help'] || command === undefined || command === 'help') {
    out(USAGE);
    return command === undefined ? 64 : 0;
  }

  if (command === 'provision') {
    const server = values['server'];
    const token = values['token'] ?? process.env['SHANSHUI_AGENT_TOKEN'];
    if (typeof server !== 'string' || typeof token !== 'string') {
      err(`provision needs --server and --token\n${USAGE}`);
      return 64;
    }
    // Each command loads only its own code: `run` never carries provisioning, nor `provision` the agent.
    const { provisionAgent, ProvisionRefusedError } = await import('./provision.ts');
    try {
      const ca = typeof values['ca'] === 'string' ? readFileSync(values['ca'], 'utf8') : undefined;
      const result = await provisionAgent({ server, token, dir, ...(ca ? { ca } : {}) });
      out(`Provisioned station ${result.stationId}.`);
      out(`Credentials stored in ${result.dir}/credentials.json (owner-only, 0600).`);
      out(`MQTT: ${result.credentials.mqtt.tls ?? result.credentials.mqtt.tcp}`);
      if (result.config) out(`Initial config version ${result.config.version} stored (${result.config.sources.length} source(s)).`);
      else if (result.configProblem) out(`The platform's config was not valid for this agent and was not stored: ${result.configProblem}`);
      else out('No config yet: the agent will wait for one from the platform.');
      out(`Start the agent: ${SELF} run --dir ${result.dir}`);
      return 0;
    } catch (e) {
      if (e instanceof ProvisionRefusedError) {
        err(`Provisioning refused by the server (${e.status} ${e.serverCode}): ${e.message.replace(/^.*?: \d+ [A-Z_]+: /, '')}`);
        return 2;
      }
      err(`Provisioning failed: ${e instanceof Error ? e.message : String(e)}`);
      if (e instanceof AgentError && /certificate|self[- ]signed/i.test(e.message)) err("The platform's certificate is not trusted: pass --ca FILE, the PEM CA that signed it.");
      return 1;
    }
  }

  if (command === 'run') {
    const level = String(values['log-level'] ?? process.env['SHANSHUI_AGENT_LOG_LEVEL'] ?? 'info');
    // A person at a terminal reads human lines (pino-pretty); systemd, Docker and shippers get JSON.
    const format = String(process.env['SHANSHUI_AGENT_LOG_FORMAT'] ?? 'auto');
    const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
    // CommonJS packages through import(): only `default` is their exports in the bundle too (esbuild's chunks carry no named ones).
    const [{ default: pino }, { createAgent }] = await Promise.all([import('pino'), import('./agent.ts')]);
    // pino-pretty loads only for a terminal; node-opcua's own lines reach this logger through createAgent.
    const logger = pretty
      ? pino({ level, base: { program: 'shanshui-agent' } }, (await import('pino-pretty')).default({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,program', sync: true }))
      : pino({ level, base: { program: 'shanshui-agent' } });
    let agent;
    try {
      agent = await createAgent({
        dir,
        logger,
        ...(typeof values['ca'] === 'string' ? { ca: readFileSync(values['ca'], 'utf8') } : {}),
      });
    } catch (e) {
      if (e instanceof AgentError) {
        err(`${e.code}: ${e.message}`);
        return 1;
      }
      throw e;
    }
    const running = agent;
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string): void => {
        logger.info({ signal }, 'stopping');
        running.stop().then(resolve, (e: unknown) => {
          logger.error({ err: e }, 'error while stopping');
          resolve();
        });
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
    return 0;
  }

  err(`unknown command ${command}\n${USAGE}`);
  return 64;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    err(`fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  },
);
