/**
 * Test support: the platform's HTTP API from outside, by base URL and admin token — for
 * platforms the test runs as a child process (the in-process TestPlatform has its own `api`).
 */
import type { StationInput } from '@shanshui/models';
import type { ResponseJson } from './response-json.ts';

export interface HttpApi {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: ResponseJson }>;
  /** Registers an air station (defaults as in TestPlatform.register); returns its MQTT credentials. */
  register(station: Partial<StationInput> & { id: string }): Promise<{ username: string; password: string }>;
  /** The `/metrics` text. */
  metrics(): Promise<string>;
}

/** One JSON call to the API at `baseUrl` with bearer `token`; a string body is sent as it is. */
export async function callJson(baseUrl: string, token: string, method: string, path: string, body?: unknown, timeoutMs?: number): Promise<{ status: number; body: ResponseJson }> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    ...(timeoutMs !== undefined ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) : undefined };
}

/** Registers an air station in Guangzhou's eco-env department (unless `station` says otherwise) through `call`; returns its MQTT credentials. */
export async function registerStation(call: HttpApi['call'], station: Partial<StationInput> & { id: string }): Promise<{ username: string; password: string }> {
  const res = await call('POST', '/api/v1/stations', {
    name: `测试站 ${station.id}`,
    domain: 'air',
    lat: 23.13,
    lon: 113.26,
    region: '440100',
    department: 'eco-env',
    ...station,
  });
  if (res.status !== 201) throw new Error(`register ${station.id}: ${res.status} ${JSON.stringify(res.body)}`);
  return { username: res.body.credentials.username, password: res.body.credentials.password };
}

export function httpApi(baseUrl: string, token: string): HttpApi {
  const call: HttpApi['call'] = async (method, path, body) => callJson(baseUrl, token, method, path, body, 10_000);
  return {
    call,
    register: async (station) => registerStation(call, station),
    async metrics() {
      const res = await call('GET', '/metrics');
      if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
      return String(res.body);
    },
  };
}
