/**
 * PROXY protocol v1 (HAProxy `send-proxy`) on the MQTT TCP listener: behind a load balancer
 * every socket comes from the balancer's address, so per-address lockouts would lock the
 * balancer — every device at once — and presence would record the balancer. The balancer
 * prepends one text line naming the real peer:
 *   `PROXY TCP4 203.0.113.7 10.0.0.5 51234 1883\r\n` (or TCP6, or `PROXY UNKNOWN\r\n`)
 * (haproxy.org/download/2.9/doc/proxy-protocol.txt §2.1: at most 107 bytes, CRLF-terminated).
 * With the option on, a connection without that line is closed: the port must be reachable
 * only from the balancer.
 */
import { isIP } from 'node:net';
import type { Socket } from 'node:net';

/** Longest v1 header, CRLF included (proxy-protocol.txt §2.1). */
const MAX_HEADER_BYTES = 107;

/**
 * Reads the PROXY v1 line from `socket`, sets the socket's `remoteAddress`/`remotePort` to the
 * real peer's (for `UNKNOWN`, the socket's own stay), and puts back any bytes after the line.
 * Rejects on a malformed or missing header, or none within `timeoutMs`.
 */
export function readProxyHeader(socket: Socket, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const done = (err?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onEnd);
      socket.off('end', onEnd);
      if (err) reject(err);
      else resolve();
    };
    const onEnd = (): void => done(new Error('connection closed before the PROXY header'));
    const timer = setTimeout(() => done(new Error('no PROXY header in time')), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n');
      if (end === -1) {
        if (buffered.length >= MAX_HEADER_BYTES) done(new Error('PROXY header too long'));
        return;
      }
      socket.pause();
      const line = buffered.subarray(0, end).toString('latin1');
      const rest = buffered.subarray(end + 2);
      try {
        applyHeader(socket, line);
      } catch (err) {
        done(err as Error);
        return;
      }
      if (rest.length > 0) socket.unshift(rest);
      done();
    };
    socket.on('data', onData);
    socket.once('error', onEnd);
    socket.once('end', onEnd);
  });
}

function applyHeader(socket: Socket, line: string): void {
  const parts = line.split(' ');
  if (parts[0] !== 'PROXY') throw new Error('not a PROXY header');
  if (parts[1] === 'UNKNOWN') return;
  if ((parts[1] !== 'TCP4' && parts[1] !== 'TCP6') || parts.length !== 6) throw new Error(`malformed PROXY header: ${line.slice(0, 60)}`);
  const [, family, source, , sourcePort] = parts as [string, string, string, string, string, string];
  if (isIP(source) !== (family === 'TCP4' ? 4 : 6) || !/^\d{1,5}$/.test(sourcePort)) throw new Error(`malformed PROXY header: ${line.slice(0, 60)}`);
  // Own properties shadow net.Socket's getters: every later reader sees the real peer.
  Object.defineProperty(socket, 'remoteAddress', { value: source, configurable: true });
  Object.defineProperty(socket, 'remotePort', { value: Number(sourcePort), configurable: true });
}
