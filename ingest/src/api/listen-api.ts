/**
 * Puts the built API on the network.
 * - No certificate: the whole API on plain HTTP (`httpPort`), as before.
 * - A certificate (`tlsCert`/`tlsKey`, the same pair as MQTT over TLS): the whole API on HTTPS
 *   (`httpsPort`, the shared TLS profile), and plain HTTP keeps only the local probes
 *   (`/healthz`, `/metrics`: no secrets in or out). Any other path on plain HTTP is answered
 *   403 API_ERR_TLS_REQUIRED before the request reaches fastify, so a bearer token or a bootstrap
 *   token sent in clear is never checked, let alone accepted — the client learns at once and a
 *   leaked token is logged. No redirect: it would teach clients that sending secrets in clear
 *   works. `plainApi` keeps the whole API on plain HTTP too (behind a TLS-terminating proxy).
 * Both servers hand requests to the one fastify instance (`app.routing`): same routes, hooks,
 * audit and lockout; `request.protocol` tells them apart.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { tlsServerOptions } from '@shanshui/broker';
import { HttpError } from './http-error.ts';

/** What plain HTTP still answers once TLS is configured. */
export const PLAIN_HTTP_PATHS: readonly string[] = ['/healthz', '/livez', '/readyz', '/metrics'];

export interface ApiListenOptions {
  readonly host: string;
  /** Plain HTTP port; 0 picks a free one. */
  readonly httpPort: number;
  /** HTTPS, when a certificate is configured. */
  readonly tls?: { readonly port: number; readonly cert: Buffer; readonly key: Buffer; readonly ciphers?: string };
  /** With `tls`: keep the whole API on plain HTTP too. Default false. */
  readonly plainApi?: boolean;
  readonly logger: Logger;
}

export interface RunningApi {
  readonly httpPort: number;
  readonly httpsPort: number | undefined;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function listen(server: http.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function listenApi(app: FastifyInstance, o: ApiListenOptions): Promise<RunningApi> {
  await app.ready();
  const log = o.logger.child({ component: 'api' });
  const route: Handler = (req, res) => app.routing(req, res);
  const servers: http.Server[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(servers.map(closeServer));
  };
  try {
    let httpsPort: number | undefined;
    if (o.tls) {
      const secure = https.createServer(tlsServerOptions({ cert: o.tls.cert, key: o.tls.key, ...(o.tls.ciphers ? { ciphers: o.tls.ciphers } : {}) }), route);
      servers.push(secure);
      httpsPort = await listen(secure, o.tls.port, o.host);
    }
    const guarded = o.tls !== undefined && !o.plainApi;
    const plainHandler: Handler = !guarded
      ? route
      : (req, res) => {
          const pathname = (req.url ?? '/').split('?')[0]!;
          if (PLAIN_HTTP_PATHS.includes(pathname)) return route(req, res);
          const host = (req.headers.host ?? 'HOST').replace(/:\d+$/, '');
          log.warn(
            { ip: req.socket.remoteAddress, method: req.method, path: pathname, credentialsInClear: req.headers.authorization !== undefined || pathname === '/api/v1/provision' },
            'API request over plain HTTP refused (TLS is configured); a token sent this way should be rotated',
          );
          const refusal = new HttpError('API_ERR_TLS_REQUIRED', `the API is served over HTTPS only: use https://${host}:${httpsPort}${pathname}; plain HTTP answers only ${PLAIN_HTTP_PATHS.join(' and ')}`);
          const body = JSON.stringify(refusal.body());
          // Connection: close — nothing more is read from a client that sends secrets in clear.
          res.writeHead(refusal.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
          res.end(body);
        };
    const plain = http.createServer(plainHandler);
    servers.push(plain);
    const httpPort = await listen(plain, o.httpPort, o.host);
    log.info({ httpPort, httpsPort, plainApi: !guarded }, guarded ? 'API on HTTPS; plain HTTP serves only the probes' : 'API listening');
    return { httpPort, httpsPort, close };
  } catch (err) {
    await close();
    throw err;
  }
}
