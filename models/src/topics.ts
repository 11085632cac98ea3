/**
 * The wire contract's topic tree: `shanshui/v1/{deviceId}/up/{readings|status|events}` from
 * devices, `shanshui/v1/{deviceId}/down/{config|command}` to them.
 */

export const TOPIC_ROOT = 'shanshui/v1';
export const UP_KINDS = ['readings', 'status', 'events'] as const;
export type UpKind = (typeof UP_KINDS)[number];
export const DOWN_KINDS = ['config', 'command'] as const;
export type DownKind = (typeof DOWN_KINDS)[number];

/** Device ids: letters, digits, `_`, `-`, `.`; 1–64 characters (HJ 212 MN fits). */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isDeviceId(value: string): boolean {
  return DEVICE_ID_PATTERN.test(value);
}

export function upTopic(deviceId: string, kind: UpKind): string {
  return `${TOPIC_ROOT}/${deviceId}/up/${kind}`;
}

export function downTopic(deviceId: string, kind: DownKind): string {
  return `${TOPIC_ROOT}/${deviceId}/down/${kind}`;
}

export interface ParsedTopic {
  readonly deviceId: string;
  readonly direction: 'up' | 'down';
  readonly kind: string;
}

const ROOT_PREFIX = `${TOPIC_ROOT}/`;

/**
 * Parses a concrete (wildcard-free) topic of our tree; undefined when it is not one. On every
 * publish: scanned in place (no split into an array of parts).
 */
export function parseTopic(topic: string): ParsedTopic | undefined {
  if (!topic.startsWith(ROOT_PREFIX)) return undefined;
  const idEnd = topic.indexOf('/', ROOT_PREFIX.length);
  if (idEnd === -1) return undefined;
  const dirEnd = topic.indexOf('/', idEnd + 1);
  if (dirEnd === -1) return undefined;
  const deviceId = topic.slice(ROOT_PREFIX.length, idEnd);
  if (!isDeviceId(deviceId)) return undefined;
  const kind = topic.slice(dirEnd + 1);
  const up = dirEnd - idEnd === 3 && topic.startsWith('up', idEnd + 1);
  if (up && (UP_KINDS as readonly string[]).includes(kind)) return { deviceId, direction: 'up', kind };
  const down = dirEnd - idEnd === 5 && topic.startsWith('down', idEnd + 1);
  if (down && (DOWN_KINDS as readonly string[]).includes(kind)) return { deviceId, direction: 'down', kind };
  return undefined;
}

/**
 * Whether a device may subscribe with `filter`: only inside its own `down/` subtree
 * (`shanshui/v1/{id}/down/#`, `.../down/+`, or a concrete down topic).
 */
export function isOwnDownFilter(deviceId: string, filter: string): boolean {
  const prefix = `${TOPIC_ROOT}/${deviceId}/down/`;
  if (!filter.startsWith(prefix)) return false;
  const rest = filter.slice(prefix.length);
  return rest === '#' || rest === '+' || (DOWN_KINDS as readonly string[]).includes(rest);
}
