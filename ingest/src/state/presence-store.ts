/**
 * Whether each device is connected, and to which platform node. A disconnect reported by a node
 * the device has already left (it reconnected elsewhere first) changes nothing.
 */

export interface PresenceRecord {
  readonly online: boolean;
  readonly since: string;
  readonly remoteAddress: string | null;
  /** The platform node holding the connection ('local' on a single node). */
  readonly nodeId: string;
}

export interface PresenceStore {
  /** Online: this node holds the connection now. Offline: only if this node still holds it. */
  set(deviceId: string, online: boolean, remoteAddress: string | undefined, nodeId: string, atMs?: number): Promise<void>;
  get(deviceId: string): Promise<PresenceRecord | undefined>;
  /** Devices online anywhere: id → since when. */
  online(): Promise<Map<string, string>>;
  /** A node (re)starts: the connections it held are gone. Returns how many it marked offline. */
  resetNode(nodeId: string): Promise<number>;
}
