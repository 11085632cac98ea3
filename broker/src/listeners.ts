/** TCP (1883), TLS (8883) and WebSocket listeners that feed connections to the broker. */
import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { ShanshuiBroker } from './create-broker.ts';
import { tlsServerOptions } from './tls-profile.ts';
import { readProxyHeader } from './proxy-protocol.ts';

export interface ListenerSpec {
  readonly kind: 'tcp' | 'tls' | 'ws';
  readonly host: string;
  readonly port: number;
  /** PEM certificate and key, for `tls`. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** CA bundle to verify X.509 client certificates, for `tls`. */
  readonly ca?: string | Buffer;
  /** OpenSSL cipher list, for `tls`. Default `TLS_PROFILE.ciphers`. */
  readonly ciphers?: string;
  /** `tcp` only: every connection starts with a PROXY protocol v1 line from the load balancer naming the real peer (proxy-protocol.ts). Default false. */
  readonly proxyProtocol?: boolean;
}

/**
 * Connections the kernel completes and queues while the process is busy (a reconnect storm, a
 * GC). Node's default, 511, dropped the SYNs beyond it: those devices waited for TCP's
 * retransmits (1, 3, 7, 15 s …) and some ran into their CONNECT timeout. The kernel caps it at
 * net.core.somaxconn (4096 on current kernels).
 */
const LISTEN_BACKLOG = 4096;

export interface RunningListener {
  readonly kind: ListenerSpec['kind'];
  readonly port: number;
  close(): Promise<void>;
}

export async function startListener(broker: ShanshuiBroker, spec: ListenerSpec): Promise<RunningListener> {
  let server: net.Server | http.Server;
  let wss: WebSocketServer | undefined;
  if (spec.kind === 'tcp') {
    server = net.createServer((socket) => {
      if (!spec.proxyProtocol) return broker.handle(socket);
      readProxyHeader(socket).then(
        () => broker.handle(socket),
        () => socket.destroy(),
      );
    });
  } else if (spec.kind === 'tls') {
    if (!spec.cert || !spec.key) throw new Error('TLS listener needs cert and key');
    server = tls.createServer(
      {
        ...tlsServerOptions({ cert: spec.cert, key: spec.key, ...(spec.ciphers ? { ciphers: spec.ciphers } : {}) }),
        ...(spec.ca ? { ca: spec.ca, requestCert: true, rejectUnauthorized: false } : {}),
      },
      (socket) => broker.handle(socket),
    );
  } else {
    const httpServer = http.createServer();
    wss = new WebSocketServer({ server: httpServer, path: '/mqtt' });
    wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));
    server = httpServer;
  }
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: spec.port, host: spec.host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : spec.port;
  return {
    kind: spec.kind,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        wss?.close();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
