/**
 * Where the platform's own outbound HTTP (webhooks) may connect. Refused unless an operator
 * allow-lists the network (`webhookAllowNetworks`, e.g. an emergency centre on 政务外网 with a
 * private address): loopback, unspecified, link-local, private (RFC 1918), shared (RFC 6598),
 * unique-local and multicast addresses, IPv4-mapped forms of them; and — even when allow-listed
 * — the platform's own ports on this host (its API, MQTT listeners, its InfluxDB). Checked on
 * every DNS answer and on the connected socket (see guarded-dispatcher.ts), not only when a
 * subscription is created, so a name that changes its answer later (DNS rebinding) gets nowhere.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { WEBHOOK_LOOKUPS_AT_ONCE, limitResolver, systemResolver } from './webhook-resolver.ts';
import type { Resolver } from './webhook-resolver.ts';

export interface OutboundGuardOptions {
  /** Networks (CIDR or single address) allowed despite being loopback/private/link-local/unique-local. Default none. */
  readonly allowNetworks: readonly string[];
  /** The platform's own listening ports (read at each check: they are known only after listen). */
  readonly ownPorts: () => readonly number[];
  /** Services of the platform elsewhere (its InfluxDB in another container): refused even when their network is allow-listed. Default none. */
  readonly ownEndpoints?: () => ReadonlyArray<{ readonly address: string; readonly port: number }>;
  /** How receivers' names resolve (default getaddrinfo); limited to WEBHOOK_LOOKUPS_AT_ONCE at a time either way. */
  readonly resolve?: Resolver;
}

/** The env variable operators set; named in every refusal so the fix is one step away. */
const ALLOW_SETTING = 'SHANSHUI_WEBHOOK_ALLOW_NETWORKS';

const RANGES: ReadonlyArray<readonly [label: string, cidr: string]> = [
  ['unspecified', '0.0.0.0/8'],
  ['private', '10.0.0.0/8'],
  ['shared (carrier-grade NAT)', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['link-local', '169.254.0.0/16'],
  ['private', '172.16.0.0/12'],
  ['private', '192.168.0.0/16'],
  ['multicast', '224.0.0.0/4'],
  ['reserved', '240.0.0.0/4'],
  ['IETF protocol assignments', '192.0.0.0/24'],
  ['benchmarking', '198.18.0.0/15'],
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  // Transition forms whose IPv4 address cannot be read off reliably (normalise reads NAT64 /96 and 6to4).
  ['IPv4-compatible (deprecated)', '::/96'],
  ['NAT64 local-use', '64:ff9b:1::/48'],
  ['Teredo', '2001::/32'],
  ['unique-local', 'fc00::/7'],
  ['link-local', 'fe80::/10'],
  ['site-local', 'fec0::/10'],
  ['multicast', 'ff00::/8'],
];

function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', bits] = cidr.trim().split('/');
  const v = isIP(address);
  if (v === 0) throw new Error(`${cidr}: not an IP address or CIDR range`);
  const family = v === 4 ? 'ipv4' : 'ipv6';
  const prefix = bits === undefined ? (v === 4 ? 32 : 128) : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (v === 4 ? 32 : 128)) throw new Error(`${cidr}: bad prefix length`);
  return { address, prefix, family };
}

/** True for `10.0.0.0/8`, `fd00::/8`, `192.0.2.1` … (what `webhookAllowNetworks` accepts). */
export function isNetwork(s: string): boolean {
  try {
    parseCidr(s);
    return true;
  } catch {
    return false;
  }
}

/** The eight 16-bit words of an IPv6 address (`::` expanded, a dotted IPv4 tail read), or undefined. */
function ipv6Words(a: string): number[] | undefined {
  if (isIP(a) !== 6) return undefined;
  let text = a;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [b0, b1, b2, b3] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string): number[] => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const h = part(head);
  const t = tail === undefined ? [] : part(tail);
  return [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

const ipv4Of = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/**
 * The address a connection really reaches, as far as its text says: brackets of a URL host
 * dropped, and an IPv6 form that carries an IPv4 address read as that address — IPv4-mapped
 * (`::ffff:127.0.0.1`, `::ffff:7f00:1`), NAT64 (`64:ff9b::a00:5` is 10.0.0.5 through the
 * gateway) and 6to4 (`2002:c0a8:0101::` is 192.168.1.1).
 */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const a = address.replace(/^\[|\]$/g, '');
  const v = isIP(a);
  if (v === 0) return undefined;
  if (v === 4) return { address: a, family: 'ipv4' };
  const w = ipv6Words(a)!;
  const zero = (from: number, to: number): boolean => w.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && w[5] === 0xffff) return { address: ipv4Of(w[6]!, w[7]!), family: 'ipv4' };
  if (w[0] === 0x64 && w[1] === 0xff9b && zero(2, 6)) return { address: ipv4Of(w[6]!, w[7]!), family: 'ipv4' };
  if (w[0] === 0x2002) return { address: ipv4Of(w[1]!, w[2]!), family: 'ipv4' };
  return { address: a, family: 'ipv6' };
}

/**
 * Cloud metadata services (AWS/OpenStack, AWS over IPv6, Alibaba Cloud): credentials of the
 * machine the platform runs on. Refused even when an operator allow-lists their network — 政务外网
 * deployments may well allow 100.64.0.0/10 or 169.254.0.0/16 for a centre's receiver.
 */
const METADATA_SERVICES: ReadonlySet<string> = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200'].map((s) => addressKey(normalise(s)!)));

/** One spelling per address (IPv6 as its eight words): for comparing addresses written differently. */
function addressKey(a: { address: string; family: 'ipv4' | 'ipv6' }): string {
  return a.family === 'ipv4' ? a.address : ipv6Words(a.address)!.join(':');
}

/** RANGES as one BlockList per label, built once. */
const BLOCKED: ReadonlyArray<{ label: string; list: BlockList }> = (() => {
  const out: Array<{ label: string; list: BlockList }> = [];
  for (const [label, cidr] of RANGES) {
    const { address, prefix, family } = parseCidr(cidr);
    let entry = out.find((r) => r.label === label);
    if (!entry) out.push((entry = { label, list: new BlockList() }));
    entry.list.addSubnet(address, prefix, family);
  }
  return out;
})();

/**
 * The blocked range an IP address (IPv4-mapped and bracketed forms too) falls in — 'loopback',
 * 'private', 'link-local'… — or undefined when it is in none (or not an IP address). The one
 * list of where the platform's outbound traffic does not go: webhooks here, tile servers in
 * web/basemap.ts.
 */
export function blockedRangeOf(address: string): string | undefined {
  const a = normalise(address);
  if (!a) return undefined;
  return BLOCKED.find((r) => r.list.check(a.address, a.family))?.label;
}

export class OutboundGuard {
  readonly #allow = new BlockList();
  readonly #ownPorts: () => readonly number[];
  readonly #ownEndpoints: () => ReadonlyArray<{ readonly address: string; readonly port: number }>;
  /** Every webhook lookup goes through this one: the creation checks here and the deliveries' connections (guarded-dispatcher.ts). */
  readonly resolve: Resolver;

  constructor(options: OutboundGuardOptions) {
    this.resolve = limitResolver(options.resolve ?? systemResolver, WEBHOOK_LOOKUPS_AT_ONCE);
    for (const cidr of options.allowNetworks) {
      const { address, prefix, family } = parseCidr(cidr);
      this.#allow.addSubnet(address, prefix, family);
    }
    this.#ownPorts = options.ownPorts;
    this.#ownEndpoints = options.ownEndpoints ?? (() => []);
  }

  /** Why `address` may not be connected to (any port), or undefined. */
  addressRefusal(address: string): string | undefined {
    const a = normalise(address);
    if (!a) return `${address} is not an IP address`;
    if (METADATA_SERVICES.has(addressKey(a))) {
      return `${address} is a cloud metadata service; webhooks never go there`;
    }
    const range = blockedRangeOf(a.address);
    if (!range || this.#allow.check(a.address, a.family)) return undefined;
    return `${address} is a ${range} address; outbound webhooks do not go there unless ${ALLOW_SETTING} lists its network`;
  }

  /** Why `address:port` may not be connected to, or undefined. */
  refusal(address: string, port: number): string | undefined {
    const byAddress = this.addressRefusal(address);
    if (byAddress) return byAddress;
    if (this.#ownPorts().includes(port) && isThisHost(address)) return `${address}:${port} is the platform's own port; webhooks never go there`;
    const a = normalise(address)?.address;
    if (this.#ownEndpoints().some((e) => e.port === port && normalise(e.address)?.address === a)) return `${address}:${port} is the platform's own InfluxDB; webhooks never go there`;
    return undefined;
  }

  /** Creation-time check of a URL: its literal address, or every address its name resolves to now. A name that does not resolve yet passes (the connect-time check still applies). */
  async urlRefusal(url: string): Promise<string | undefined> {
    const u = new URL(url);
    const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) return this.refusal(host, port);
    const answers = await new Promise<LookupAddress[]>((resolve) => this.resolve(host, { all: true }, (err, list) => resolve(err ? [] : list)));
    for (const { address } of answers) {
      const why = this.refusal(address, port);
      if (why) return `${host} resolves to ${why}`;
    }
    return undefined;
  }
}

/** Loopback, unspecified, or an address of one of this host's interfaces. */
function isThisHost(address: string): boolean {
  const a = normalise(address)?.address;
  if (!a) return false;
  if (a === '::' || a === '::1' || a.startsWith('127.') || a.startsWith('0.')) return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === a));
}

/** Addresses and port a URL points at now (none when its name does not resolve): for `ownEndpoints`. */
export async function endpointsOf(url: string): Promise<Array<{ address: string; port: number }>> {
  const u = new URL(url);
  const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return [{ address: host, port }];
  const answers = await dnsLookup(host, { all: true }).catch(() => []);
  return answers.map((a) => ({ address: a.address, port }));
}
