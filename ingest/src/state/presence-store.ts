/**
 * Whether each device is connected, and to which platform node. A disconnect reported by a node
 * the device has already left (it reconnected elsewhere first) changes nothing. Nodes of a
 * cluster also record that they are alive here: the devices of a node that fell silent (killed
 * with -9, its machine gone) are marked offline by the leader, unless they reconnected elsewhere.
 */

export interface PresenceRecord {
  readonly online: boolean;
  readonly since: string;
  readonly remoteAddress: string | null;
  /** The platform node holding the connection ('local' on a single node). */
  readonly nodeId: string;
}

/** One connect or disconnect, as a node saw it. */
export interface PresenceChange {
  readonly deviceId: string;
  readonly online: boolean;
  readonly remoteAddress: string | undefined;
  readonly nodeId: string;
  readonly atMs: number;
}

export interface PresenceStore {
  /** Online: this node holds the connection now. Offline: only if this node still holds it. */
  set(deviceId: string, online: boolean, remoteAddress: string | undefined, nodeId: string, atMs?: number): Promise<void>;
  /** Several changes, applied in their order in one transaction (a reconnect storm writes them in batches). */
  setMany(changes: readonly PresenceChange[]): Promise<void>;
  get(deviceId: string): Promise<PresenceRecord | undefined>;
  /** Devices online anywhere: id → since when. */
  online(): Promise<Map<string, string>>;
  /** A node (re)starts: the connections it held are gone. Returns how many it marked offline. */
  resetNode(nodeId: string): Promise<number>;
  /** A node says it is alive at `atMs`. */
  heartbeat(nodeId: string, atMs: number): Promise<void>;
  /**
   * Marks offline (since `atMs`) every device still online on a node whose last heartbeat is
   * older than `silentSinceMs`; returns their ids. A device that reconnected to a live node is
   * held by that node now and stays online.
   */
  sweepSilentNodes(silentSinceMs: number, atMs: number): Promise<string[]>;
}
