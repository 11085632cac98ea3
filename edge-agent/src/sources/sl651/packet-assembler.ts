/**
 * Reassembles SL 651 multi-packet transfers (SYN start char, docs/standards/sl651.md §2.1): the bodies of
 * packets 1…total, concatenated in sequence order, form one body. One assembler per
 * connection, bounded in packets and bytes so a station that never finishes cannot grow it.
 */

export interface Sl651PacketAssemblerOptions {
  /** Most packets in one transfer. Default 256. */
  maxPackets?: number;
  /** Most bytes held across transfers. Default 262144. */
  maxBytes?: number;
}

export const SL651_PACKET_ASSEMBLER_DEFAULTS: Required<Sl651PacketAssemblerOptions> = {
  maxPackets: 256,
  maxBytes: 262_144,
};

export type Sl651AssembleResult =
  | { readonly status: 'incomplete' }
  | { readonly status: 'complete'; readonly body: Buffer }
  | { readonly status: 'rejected'; readonly reason: string };

interface Transfer {
  total: number;
  parts: Map<number, Buffer>;
}

export class Sl651PacketAssembler {
  readonly #options: Required<Sl651PacketAssemblerOptions>;
  readonly #transfers = new Map<string, Transfer>();
  #bytes = 0;

  constructor(options: Sl651PacketAssemblerOptions = {}) {
    this.#options = { ...SL651_PACKET_ASSEMBLER_DEFAULTS, ...options };
  }

  /** Bytes held in unfinished transfers. */
  get pendingBytes(): number {
    return this.#bytes;
  }

  /** Adds packet `seq` of `total` for the transfer `key` (e.g. station + function). */
  add(key: string, packet: { total: number; seq: number }, body: Buffer): Sl651AssembleResult {
    const { total, seq } = packet;
    if (total < 1 || total > this.#options.maxPackets) return this.#reject(key, `packet total ${total} outside 1…${this.#options.maxPackets}`);
    if (seq < 1 || seq > total) return this.#reject(key, `packet ${seq} outside 1…${total}`);
    let transfer = this.#transfers.get(key);
    if (transfer !== undefined && transfer.total !== total) {
      // A new transfer began before the old one finished: the old one is lost.
      this.#drop(key);
      transfer = undefined;
    }
    if (transfer === undefined) {
      transfer = { total, parts: new Map() };
      this.#transfers.set(key, transfer);
    }
    // A repeated packet replaces the earlier copy, so the cap is checked against the total without
    // it. The count itself changes only once the part is accepted: on refusal #drop subtracts
    // every held part, the earlier copy included, and subtracting that copy here as well would
    // leave the count below what is held, letting one connection grow past maxBytes.
    const previous = transfer.parts.get(seq)?.length ?? 0;
    const wouldHold = this.#bytes - previous + body.length;
    if (wouldHold > this.#options.maxBytes) return this.#reject(key, `more than ${this.#options.maxBytes} bytes pending`);
    transfer.parts.set(seq, body);
    this.#bytes = wouldHold;
    if (transfer.parts.size < total) return { status: 'incomplete' };
    const parts: Buffer[] = [];
    for (let i = 1; i <= total; i++) parts.push(transfer.parts.get(i) ?? Buffer.alloc(0));
    this.#drop(key);
    return { status: 'complete', body: Buffer.concat(parts) };
  }

  #reject(key: string, reason: string): Sl651AssembleResult {
    this.#drop(key);
    return { status: 'rejected', reason };
  }

  #drop(key: string): void {
    const transfer = this.#transfers.get(key);
    if (transfer === undefined) return;
    for (const part of transfer.parts.values()) this.#bytes -= part.length;
    this.#transfers.delete(key);
  }
}
