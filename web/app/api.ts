/** The platform's API from the page: same origin, the session cookie (HttpOnly) goes along by itself. */
export class ApiError extends Error {
  readonly status: number;
  /** The catalogue code (API_ERR_…), or 'HTTP' when the answer had no error body. */
  readonly code: string;
  /** The request part the API blames, when it names one. */
  readonly field: string | undefined;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** A page of a list: the API pages every list with `cursor` = the previous answer's `next`. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/** Every item of a list, page after page (`path` without a cursor; it may carry filters and a limit). */
export async function allPages<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: Page<T> = await api<Page<T>>('GET', cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== null);
  return items;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    // The API's one error shape: { error: { code, message, field? } } (docs/api-errors.md).
    const err = (data as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? 'HTTP', err?.message ?? `HTTP ${res.status}`, err?.field);
  }
  return data as T;
}

export interface SessionUser {
  readonly name: string;
  readonly displayName: string;
  readonly role: 'viewer' | 'technician' | 'operator' | 'admin';
  readonly departments: '*' | readonly string[];
}

export interface AppConfig {
  readonly basemap: { readonly kind: 'none' | 'tianditu' | 'xyz'; readonly tiles: readonly string[]; readonly labels: readonly string[]; readonly attribution: string };
  readonly offlineAfterMs: number;
}

export interface Alert {
  readonly id: string;
  readonly stationId: string;
  readonly stationName: string;
  readonly ruleName: string;
  readonly department: string;
  readonly domain: string;
  readonly region: string;
  readonly level: 'blue' | 'yellow' | 'orange' | 'red';
  readonly state: 'firing' | 'acknowledged' | 'resolved';
  readonly value: number;
  readonly message: string;
  readonly openedAt: string;
  readonly updatedAt: string;
  readonly acknowledgedBy: string | null;
  readonly resolvedAt: string | null;
}

export interface StationProps {
  readonly id: string;
  readonly name: string;
  readonly domain: string;
  readonly domainName: string;
  readonly department: string;
  readonly region: string;
  readonly lastSeen: string | null;
  readonly values: Record<string, { value: number; unit: string; name: string; quality: string; time: string }>;
}

export interface StationFeature {
  readonly type: 'Feature';
  readonly id: string;
  readonly geometry: { readonly type: 'Point'; readonly coordinates: [number, number] };
  readonly properties: StationProps;
}
