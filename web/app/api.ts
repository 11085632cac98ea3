/** The platform's API from the page: same origin, the session cookie (HttpOnly) goes along by itself. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
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
    const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? 'HTTP', err?.message ?? `HTTP ${res.status}`);
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
