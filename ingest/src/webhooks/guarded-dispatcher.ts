/**
 * The undici dispatcher webhook deliveries go through: every connection is checked against the
 * OutboundGuard when it is made — the IP literal before connecting, each DNS answer in the
 * lookup (so a rebinding name is refused before a socket opens), and the connected socket's
 * peer address and port (the last word, whatever resolved it).
 */
import type { LookupAddress, LookupOneOptions, LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import { Agent, buildConnector } from 'undici';
import type { OutboundGuard } from './outbound-guard.ts';
import type { Resolver } from './webhook-resolver.ts';
import { IngestError } from '../errors.ts';

/** An outbound connection the guard refused; the delivery's error names the reason. */
function refused(reason: string): IngestError {
  return new IngestError('INGEST_ERR_OUTBOUND_REFUSED', reason);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** Names resolve through the guard's resolver (its lookups limited: webhook-resolver.ts) unless a test gives one. */
export function guardedLookup(guard: OutboundGuard, resolve: Resolver = guard.resolve) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : undefined;
    resolve(hostname, { all: true, ...(family ? { family } : {}) }, (err, answers) => {
      if (err) return callback(err, []);
      for (const a of answers) {
        const why = guard.addressRefusal(a.address);
        if (why) return callback(refused(`${hostname} resolves to ${why}`), []);
      }
      if (options.all) return callback(null, answers);
      const first = answers[0];
      if (!first) return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

export function createGuardedDispatcher(guard: OutboundGuard, options: { connectTimeoutMs: number; resolve?: Resolver }): Agent {
  const base = buildConnector({ lookup: guardedLookup(guard, options.resolve) as never, timeout: options.connectTimeoutMs });
  return new Agent({
    connect(opts, callback) {
      const host = opts.hostname.replace(/^\[|\]$/g, '');
      const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
      if (isIP(host)) {
        const why = guard.refusal(host, port);
        if (why) return callback(refused(why), null);
      }
      base(opts, (err, socket) => {
        if (err || !socket) return callback(err ?? new Error('no socket'), null);
        const s = socket as Socket;
        const why = s.remoteAddress === undefined ? 'connection closed before it was checked' : guard.refusal(s.remoteAddress, s.remotePort ?? port);
        if (why) {
          s.destroy();
          return callback(refused(why), null);
        }
        callback(null, socket);
      });
    },
  });
}
