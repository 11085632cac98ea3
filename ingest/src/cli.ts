/**
 * `npm run cli -- <command>`: the HTTP API from a shell (a technician's phone over SSH works).
 *   station add --id ID --name NAME --domain air --lat 23.1 --lon 113.3 --region 440106 --department eco-env [--profile P] [--attr key=value …] [--gateway GW]
 *   station update ID [--name N] [--lat L] [--lon L] [--region R] [--profile P] [--attr key=value …] [--gateway GW | --detach]   (--attr keeps the others)
 *   profile list | profile show ID | profile put --file F.json   (a custom station profile, docs/catalogue.md)
 *   station list [--domain D] [--department D] [--region R] [--limit N] [--cursor C]   (lists: the next page's --cursor is printed after a page)
 *   station show ID | station rotate ID | station delete ID
 *   station token ID [--ttl SEC]        a one-time bootstrap token for the gateway (default 24 h)
 *   station config ID [--file F.json] [--wait SEC]   show desired and applied config, or publish F.json and wait for the agent (default 15 s; 0: do not wait)
 *   command send ID NAME [--args JSON] [--ttl SEC] [--wait SEC]   remote control (遥控): send, wait for the answer (default 30 s)
 *   command list ID | command show COMMAND_ID
 *   dead-letters [--device ID] [--limit N] [--cursor C]
 *   delivery [--limit N] [--cursor C]
 *   lockout lift --address IP [--device ID]   lift the brute-force lockouts of an address (admin)
 *   user add --name NAME --role viewer|technician|operator|admin --departments a,b|'*' [--display-name 张三]
 *   user list [--cursor C] | user password NAME | user disable NAME | user enable NAME | user delete NAME   (web app sign-in)
 * Server: --api URL or SHANSHUI_CLI_API (default http://localhost:8080). Token: --token or
 * SHANSHUI_CLI_TOKEN, else the platform's generated `./.data/admin-token`. A user's password:
 * SHANSHUI_CLI_PASSWORD, else a generated one printed once.
 * Exit codes: 0 done (for station config: the agent runs the desired version; for command send:
 * carried out) · 2 bad input, or the API refused the request · 3 the agent rejected the config,
 * or the command failed or expired · 4 not confirmed yet: published or queued, but the agent has
 * not answered within --wait (offline?) — it still gets it when it connects; ask again later.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

/** What a script can tell apart by the exit code (documented in --help and the README). */
const EXIT = {
  /** Bad input, or the API refused the request. */
  invalid: 2,
  /** The agent rejected the config; the command failed or expired. */
  refused: 3,
  /** Published or queued, but not confirmed by the agent within --wait. */
  pending: 4,
} as const;

function fail(message: string): never {
  process.stderr.write(`shanshui: ${message}\n`);
  process.exit(EXIT.invalid);
}

const { values, positionals } = parseOptions({
  allowPositionals: true,
  options: {
    api: { type: 'string' },
    token: { type: 'string' },
    id: { type: 'string' },
    name: { type: 'string' },
    domain: { type: 'string' },
    lat: { type: 'string' },
    lon: { type: 'string' },
    region: { type: 'string' },
    department: { type: 'string' },
    attr: { type: 'string', multiple: true },
    gateway: { type: 'string' },
    profile: { type: 'string' },
    detach: { type: 'boolean' },
    device: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    ttl: { type: 'string' },
    file: { type: 'string' },
    wait: { type: 'string' },
    args: { type: 'string' },
    address: { type: 'string' },
    json: { type: 'boolean' },
    role: { type: 'string' },
    departments: { type: 'string' },
    'display-name': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

/** parseArgs, with an option it cannot read (`--wait -1`, `--bogus`) as exit 2 and one line, not a stack trace. */
function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    return fail(err instanceof Error ? err.message.split('\n')[0]! : String(err));
  }
}

// --help: this file's opening comment, up to its end.
const head = readFileSync(new URL(import.meta.url), 'utf8').split('\n');
const usage = head.slice(1, head.indexOf(' */')).map((l) => l.replace(/^ \*\s?/, '')).join('\n');

const api = values.api ?? process.env['SHANSHUI_CLI_API'] ?? 'http://localhost:8080';
function token(): string {
  const t = values.token ?? process.env['SHANSHUI_CLI_TOKEN'];
  if (t) return t;
  try {
    return readFileSync('.data/admin-token', 'utf8').trim();
  } catch {
    return fail('no API token: pass --token, set SHANSHUI_CLI_TOKEN, or run from the folder whose .data/admin-token the platform wrote');
  }
}

/** TLS errors of a certificate chain that ends in a CA this machine does not know. */
const UNTRUSTED_CERTIFICATE = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT']);

async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(api + path, {
      method,
      headers: { authorization: `Bearer ${token()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const code = (cause as { code?: unknown } | null)?.code;
    // Node's own advice (--use-system-ca) is not how `npm run cli` is run: say what is.
    const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/; if the root CA is installed locally.*$/, '');
    const untrusted = typeof code === 'string' && UNTRUSTED_CERTIFICATE.has(code);
    return fail(`cannot reach ${api}: ${reason}${untrusted ? `\n  the platform's certificate is from a CA this machine does not trust: name it, NODE_EXTRA_CA_CERTS=ca.pem npm run cli -- … (scripts/dev-ca.sh makes DIR/ca.pem)` : ''}`);
  }
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    const httpsOrigin = e?.code === 'API_ERR_TLS_REQUIRED' ? /https:\/\/[^/\s]+/.exec(e.message ?? '')?.[0] : undefined;
    const hint = httpsOrigin ? `\n  the API is on HTTPS: SHANSHUI_CLI_API=${httpsOrigin} npm run cli -- … (or --api ${httpsOrigin}); with a private CA also NODE_EXTRA_CA_CERTS=ca.pem` : '';
    return fail(`${res.status} ${e?.code ?? ''} ${e?.message ?? text}${hint}`);
  }
  return parsed;
}

function num(name: string, v: string | undefined): number {
  if (v === undefined) return fail(`--${name} is required`);
  const n = Number(v);
  if (!Number.isFinite(n)) fail(`--${name} must be a number, got ${v}`);
  return n;
}

/** --wait in seconds (`fallback` when not given); 0 checks once without waiting. */
function waitSeconds(fallback: number): number {
  if (values.wait === undefined) return fallback;
  const n = num('wait', values.wait);
  if (n < 0) fail(`--wait must be 0 or more seconds, got ${values.wait}`);
  return n;
}

/** A value as one shell word. */
const shellWord = (v: string): string => (/^[\w.,:/@%+=-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

/**
 * Prints a page of a list, and on stderr the command for the next one (the answer's `next` as
 * `--cursor`), with the same filters and page size, so it runs as printed.
 */
function printPage(page: unknown, command: string, options: Record<string, string | undefined> = {}): void {
  print(page);
  const next = (page as { next?: unknown } | null)?.next;
  if (typeof next !== 'string') return;
  const flags = Object.entries({ ...options, api: values.api })
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => ` --${k} ${shellWord(v)}`)
    .join('');
  process.stderr.write(`more: the next page is npm run cli -- ${command}${flags} --cursor ${next}\n`);
}

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  return q.size ? `?${q}` : '';
}

function attributesOf(attrs: readonly string[] | undefined): Record<string, string | number> {
  return Object.fromEntries(
    (attrs ?? []).map((a) => {
      const [k, ...rest] = a.split('=');
      const v = rest.join('=');
      return [k, v !== '' && Number.isFinite(Number(v)) ? Number(v) : v];
    }),
  );
}

const print = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

/** What GET …/config says the agent did with its config. */
interface AgentStatus {
  desiredVersion: number;
  state: 'applied' | 'rejected' | 'pending' | 'unknown';
  applied: { version: number } | null;
  rejected: { version: number | null; reason: string; runningVersion: number | null } | null;
}
/** A command as the API shows it. */
interface CommandView {
  id: string;
  state: 'pending' | 'sent' | 'succeeded' | 'failed' | 'expired';
  result?: unknown;
  error?: string | null;
}
const [group, action, arg] = positionals;

if (values.help || !group) {
  process.stdout.write(`${usage}\n`);
} else if (group === 'station' && action === 'add') {
  const attributes = attributesOf(values.attr);
  const res = (await call('POST', '/api/v1/stations', {
    id: values.id,
    name: values.name,
    domain: values.domain,
    lat: num('lat', values.lat),
    lon: num('lon', values.lon),
    region: values.region,
    department: values.department,
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
    ...(values.attr ? { attributes } : {}),
    ...(values.gateway !== undefined ? { gatewayId: values.gateway } : {}),
  })) as { station: { id: string; gatewayId?: string }; credentials: { username: string; password: string; mqtt: Record<string, string>; topics: { readings: string } } };
  print(res);
  const broker = res.credentials.mqtt['tls'] ?? res.credentials.mqtt['tcp'];
  const gateway = res.station.gatewayId;
  process.stderr.write(
    gateway
      ? `\n子站 — a child station: its readings come through its gateway ${gateway} (its own CONNECT is refused); map its device to ${res.station.id} in the gateway's config (npm run cli -- station config ${gateway} --file F.json)\n`
      : `\n设备凭据只显示这一次 — the password above is shown only once. Publish readings to ${res.credentials.topics.readings} at ${broker}\n`,
  );
} else if (group === 'station' && action === 'update' && arg) {
  if (values.gateway !== undefined && values.detach) fail('--gateway and --detach exclude each other');
  // --attr adds or changes attributes; the others (flood-limit levels and the like, which rules use) are kept.
  const attributes = values.attr
    ? { ...((await call('GET', `/api/v1/stations/${encodeURIComponent(arg)}`)) as { station: { attributes?: Record<string, unknown> } }).station.attributes, ...attributesOf(values.attr) }
    : undefined;
  const change = {
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values.lat !== undefined ? { lat: num('lat', values.lat) } : {}),
    ...(values.lon !== undefined ? { lon: num('lon', values.lon) } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
    ...(attributes ? { attributes } : {}),
    ...(values.gateway !== undefined ? { gatewayId: values.gateway } : {}),
    ...(values.detach ? { gatewayId: null } : {}),
  };
  if (Object.keys(change).length === 0) fail('station update: nothing to change (--name, --lat, --lon, --region, --profile, --attr, --gateway, --detach)');
  print(await call('PATCH', `/api/v1/stations/${encodeURIComponent(arg)}`, change));
} else if (group === 'station' && action === 'list') {
  printPage(await call('GET', `/api/v1/stations${query({ domain: values.domain, department: values.department, region: values.region, limit: values.limit, cursor: values.cursor })}`), 'station list', { domain: values.domain, department: values.department, region: values.region, limit: values.limit });
} else if (group === 'station' && action === 'show' && arg) {
  print(await call('GET', `/api/v1/stations/${encodeURIComponent(arg)}`));
} else if (group === 'station' && action === 'rotate' && arg) {
  print(await call('POST', `/api/v1/stations/${encodeURIComponent(arg)}/credentials`));
} else if (group === 'station' && action === 'delete' && arg) {
  await call('DELETE', `/api/v1/stations/${encodeURIComponent(arg)}`);
  process.stdout.write(`deleted ${arg}\n`);
} else if (group === 'station' && action === 'token' && arg) {
  const res = (await call('POST', `/api/v1/stations/${encodeURIComponent(arg)}/bootstrap-tokens`, values.ttl !== undefined ? { ttlSec: num('ttl', values.ttl) } : {})) as { token: string; expiresAt: string };
  print(res);
  // A platform behind a private CA (the one this CLI was told to trust): the gateway needs it too.
  const extraCa = process.env['NODE_EXTRA_CA_CERTS'];
  const ca = api.startsWith('https:') && extraCa ? ` --ca ${extraCa}` : '';
  const provision = `provision --server ${api} --token ${res.token}${ca}`;
  process.stderr.write(
    `\n一次性令牌 — one-time token, shown only now, valid until ${res.expiresAt}. On the gateway${ca ? ' (with that CA file copied there)' : ''}:\n` +
      `  shanshui-agent ${provision}\n  (in the repository: npm run agent -- ${provision})\n`,
  );
} else if (group === 'station' && action === 'config' && arg) {
  if (values.file === undefined) {
    const shown = (await call('GET', `/api/v1/stations/${encodeURIComponent(arg)}/config`)) as { agent?: AgentStatus };
    print(shown);
    const a = shown.agent;
    if (a) process.stderr.write(`\ndesired version ${a.desiredVersion} · agent runs ${a.applied?.version ?? a.rejected?.runningVersion ?? '?'} · ${a.state}${a.state === 'rejected' ? `: ${a.rejected?.reason ?? ''}` : ''}\n`);
    // The same exit codes as after publishing: a script can ask "does the agent run it yet?".
    if (a?.state === 'rejected') process.exit(EXIT.refused);
    if (a?.state !== 'applied') process.exit(EXIT.pending);
  } else {
    const waitSec = waitSeconds(15);
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(values.file, 'utf8'));
    } catch (err) {
      fail(`--file ${values.file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const put = (await call('PUT', `/api/v1/stations/${encodeURIComponent(arg)}/config`, config)) as { config: { version: number } };
    print(put);
    // Published is not applied: wait for the agent's answer, and fail when it refuses the config.
    const deadline = Date.now() + waitSec * 1000;
    let status: AgentStatus | undefined;
    for (;;) {
      status = ((await call('GET', `/api/v1/stations/${encodeURIComponent(arg)}/config`)) as { agent?: AgentStatus }).agent;
      if (!status || status.state === 'applied' || status.state === 'rejected' || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (status?.state === 'applied') {
      process.stderr.write(`\n网关已应用 — the agent applied version ${put.config.version}.\n`);
    } else if (status?.state === 'rejected') {
      process.stderr.write(`\n网关拒绝了此配置 — the agent REJECTED version ${put.config.version}: ${status.rejected?.reason ?? ''}\nIt keeps running version ${status.rejected?.runningVersion ?? status.applied?.version ?? '?'}. Fix the config and publish a higher version.\n`);
      process.exit(EXIT.refused);
    } else {
      process.stderr.write(`\n已发布，网关尚未确认 — published, NOT yet applied: the agent has not answered within ${waitSec} s (offline?). It gets the config when it connects: check with \`npm run cli -- station config ${arg}\` (exit 0 once applied).\n`);
      process.exit(EXIT.pending);
    }
  }
} else if (group === 'command' && action === 'send' && arg) {
  const name = positionals[3];
  if (!name) fail('command send ID NAME [--args JSON] [--ttl SEC] [--wait SEC]');
  const waitSec = waitSeconds(30);
  let args: unknown = {};
  if (values.args !== undefined) {
    try {
      args = JSON.parse(values.args);
    } catch (err) {
      fail(`--args must be JSON such as '{"value":40}': ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const sent = (await call('POST', `/api/v1/stations/${encodeURIComponent(arg)}/commands`, { name, args, ...(values.ttl !== undefined ? { ttlSec: num('ttl', values.ttl) } : {}) })) as { command: CommandView };
  // Accepted is not done: wait for the device's answer, and fail when it reports a failure.
  const deadline = Date.now() + waitSec * 1000;
  let command = sent.command;
  while (!['succeeded', 'failed', 'expired'].includes(command.state) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    command = ((await call('GET', `/api/v1/commands/${encodeURIComponent(command.id)}`)) as { command: CommandView }).command;
  }
  print({ command });
  if (command.state === 'succeeded') {
    process.stderr.write(`\n已执行 — ${arg} carried out ${name}${command.result !== null && command.result !== undefined ? `: ${JSON.stringify(command.result)}` : ''}.\n`);
  } else if (command.state === 'failed' || command.state === 'expired') {
    process.stderr.write(`\n未执行 — ${arg} did NOT carry out ${name}: ${command.state === 'expired' ? 'no answer before it expired' : (command.error ?? 'failed')}.\n`);
    process.exit(EXIT.refused);
  } else {
    process.stderr.write(`\n已受理，设备尚未回复 — accepted (${command.state}), NOT yet carried out: ${arg} has not answered within ${waitSec} s (offline?). Check with \`npm run cli -- command show ${command.id}\`.\n`);
    process.exit(EXIT.pending);
  }
} else if (group === 'command' && action === 'list' && arg) {
  print(await call('GET', `/api/v1/stations/${encodeURIComponent(arg)}/commands${query({ limit: values.limit })}`));
} else if (group === 'command' && action === 'show' && arg) {
  print(await call('GET', `/api/v1/commands/${encodeURIComponent(arg)}`));
} else if (group === 'profile' && action === 'list') {
  print(await call('GET', '/api/v1/profiles'));
} else if (group === 'profile' && action === 'show' && arg) {
  print(await call('GET', `/api/v1/profiles/${encodeURIComponent(arg)}`));
} else if (group === 'profile' && action === 'put') {
  if (values.file === undefined) fail('profile put: --file F.json (a profile: id, name, domain, [extends], [metrics], [customMetrics], [attributes])');
  let profile: unknown;
  try {
    profile = JSON.parse(readFileSync(values.file, 'utf8'));
  } catch (err) {
    fail(`--file ${values.file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const id = (profile as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'string') fail(`--file ${values.file}: no "id"`);
  print(await call('PUT', `/api/v1/profiles/${encodeURIComponent(id)}`, profile));
} else if (group === 'user' && (action === 'add' || action === 'password')) {
  // Never on the command line (shell history, ps): from the environment, or generated and shown once.
  const given = process.env['SHANSHUI_CLI_PASSWORD'];
  const password = given ?? randomBytes(12).toString('base64url');
  if (action === 'add') {
    if (!values.name || !values.role || !values.departments) fail('user add: --name, --role and --departments are required');
    const departments = values.departments === '*' ? '*' : values.departments.split(',').map((d) => d.trim());
    print(await call('POST', '/api/v1/users', { name: values.name, role: values.role, departments, password, ...(values['display-name'] ? { displayName: values['display-name'] } : {}) }));
  } else {
    if (!arg) fail('user password NAME');
    print(await call('PATCH', `/api/v1/users/${encodeURIComponent(arg)}`, { password }));
  }
  if (!given) process.stderr.write(`\n初始密码只显示这一次 — the password, shown only now: ${password}\n`);
} else if (group === 'user' && action === 'list') {
  printPage(await call('GET', `/api/v1/users${query({ limit: values.limit, cursor: values.cursor })}`), 'user list', { limit: values.limit });
} else if (group === 'user' && (action === 'disable' || action === 'enable') && arg) {
  print(await call('PATCH', `/api/v1/users/${encodeURIComponent(arg)}`, { disabled: action === 'disable' }));
} else if (group === 'user' && action === 'delete' && arg) {
  await call('DELETE', `/api/v1/users/${encodeURIComponent(arg)}`);
  process.stdout.write(`deleted user ${arg}\n`);
} else if (group === 'lockout' && action === 'lift') {
  if (values.address === undefined) fail('lockout lift needs --address (the address the lockout warning in the log names) and, for a device, --device ID');
  print(await call('POST', '/api/v1/lockouts/lift', { address: values.address, ...(values.device !== undefined ? { deviceId: values.device } : {}) }));
} else if (group === 'dead-letters') {
  printPage(await call('GET', `/api/v1/dead-letters${query({ device: values.device, limit: values.limit, cursor: values.cursor })}`), 'dead-letters', { device: values.device, limit: values.limit });
} else if (group === 'delivery') {
  printPage(await call('GET', `/api/v1/delivery${query({ limit: values.limit, cursor: values.cursor })}`), 'delivery', { limit: values.limit });
} else {
  fail(`unknown command: ${positionals.join(' ')}\n${usage}`);
}
