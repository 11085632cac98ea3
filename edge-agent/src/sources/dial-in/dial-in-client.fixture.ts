/** Test fixture: a device dialling in — a real TCP client that decodes the server's replies. */
import { expect } from 'vitest';
import net from 'node:net';

export class DialInClient<Reply> {
  readonly socket: net.Socket;
  readonly replies: Reply[] = [];
  closed = false;

  private constructor(socket: net.Socket, decode: (chunk: Buffer) => Reply[]) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.replies.push(...decode(chunk)));
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** Connects to 127.0.0.1:`port`; `decode` turns received bytes into replies (it may keep state). */
  static async connect<R>(port: number, decode: (chunk: Buffer) => R[]): Promise<DialInClient<R>> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new DialInClient(socket, decode);
  }

  send(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Ends the connection and waits until it is closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => this.socket.end(resolve));
    await expect.poll(() => this.closed, { timeout: 2000 }).toBe(true);
  }
}
