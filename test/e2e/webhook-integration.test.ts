/**
 * A webhook integration from scratch, against a real platform and real HTTP
 * receivers: Chinese names of people end to end, a test event, a snapshot of the open warnings
 * for a new subscription, and the README's signature checks for Node and Java run on a real delivery.
 */
import { test, expect } from 'vitest';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '../support/test-platform.ts';
import { useWebhookTestPlatform } from '../support/webhook-test-platform.ts';
import type { WebhookReceiver } from '../support/webhook-receiver.ts';

const SECRET = 'receiver-secret-0123456789abcdef';
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const env = useWebhookTestPlatform(SECRET);
const receiver = (): Promise<WebhookReceiver> => env.receiver();

async function subscribe(r: WebhookReceiver, department: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await env.tp.api('POST', '/api/v1/subscriptions', { name: `应急中心 ${department}`, url: r.url, secret: SECRET, filters: { departments: [department] }, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.subscription.id;
}

/** An open PM2.5 alert of a new station of `department`; its id. */
async function openAlert(stationId: string, department: string): Promise<string> {
  const rule = await env.tp.api('POST', '/api/v1/rules', { id: `pm25-${department}`, name: 'PM2.5 浓度', kind: 'threshold', metric: 'pm25', op: 'above', levels: { yellow: 75 }, scope: { department } });
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
  const cred = await env.tp.register({ id: stationId, department });
  const client = await env.tp.connect(cred.username, cred.password);
  await client.publishAsync(`shanshui/v1/${stationId}/up/readings`, JSON.stringify({ seq: 1, ts: Date.now() - 1000, values: { pm25: 90 } }), { qos: 1 });
  return eventually(async () => (await env.tp.api('GET', `/api/v1/alerts?station=${stationId}&state=firing`)).body.items[0]?.id as string | undefined, 'the alert');
}

/** POST with headers as raw bytes, as curl sends them (fetch refuses non-Latin-1 header values). */
function rawPost(pathname: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: env.tp.platform.httpPort, path: pathname, method: 'POST', headers: { authorization: `Bearer ${env.tp.platform.apiToken}`, 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    // A Buffer body: with a string body Node writes the header block in the body's encoding (UTF-8), not as bytes.
    req.end(Buffer.from(body, 'utf8'));
  });
}

const utf8AsHeaderBytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

test('X-Shanshui-Actor in Chinese (raw UTF-8, as curl sends it, or RFC 8187 X-Shanshui-Actor*) reaches the webhook intact', async () => {
  const r = await receiver();
  await subscribe(r, 'd-actor', { filters: { departments: ['d-actor'], events: ['acknowledged'] } });
  const first = await openAlert('air-actor-01', 'd-actor');
  const raw = await rawPost(`/api/v1/alerts/${first}/ack`, { 'x-shanshui-actor': utf8AsHeaderBytes('应急值班室') }, '{}');
  expect(raw.status, raw.body).toBe(200);
  expect(JSON.parse(raw.body).alert.acknowledgedBy).toBe('应急值班室');

  const cred = await env.tp.register({ id: 'air-actor-02', department: 'd-actor' });
  const client = await env.tp.connect(cred.username, cred.password);
  await client.publishAsync('shanshui/v1/air-actor-02/up/readings', JSON.stringify({ seq: 1, ts: Date.now() - 1000, values: { pm25: 95 } }), { qos: 1 });
  const second = await eventually(async () => (await env.tp.api('GET', '/api/v1/alerts?station=air-actor-02&state=firing')).body.items[0]?.id as string | undefined, 'the second alert');
  const res = await fetch(`http://127.0.0.1:${env.tp.platform.httpPort}/api/v1/alerts/${second}/ack`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.tp.platform.apiToken}`, 'content-type': 'application/json', 'x-shanshui-actor*': `UTF-8''${encodeURIComponent('应急值班室')}` },
    body: JSON.stringify({ by: '张三' }),
  });
  expect(res.status).toBe(200);

  await eventually(() => r.accepted().length === 2, 'both acknowledgements delivered');
  const bys = r.accepted().map((d) => [d.json.alert.station.id, d.json.by, d.json.alert.acknowledgedBy]);
  expect(bys).toEqual(
    expect.arrayContaining([
      ['air-actor-01', '应急值班室', '应急值班室'],
      ['air-actor-02', '应急值班室（张三）', '应急值班室（张三）'],
    ]),
  );
  expect(r.accepted().every((d) => d.signatureValid)).toBe(true);
  expect(r.accepted().map((d) => d.json.message).join('\n')).toMatch(/已由 应急值班室 确认/);
});

test('POST /subscriptions/{id}/test sends a signed test event through the outbox', async () => {
  const r = await receiver();
  const id = await subscribe(r, 'd-test');
  const res = await env.tp.api('POST', `/api/v1/subscriptions/${id}/test`);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  await eventually(() => r.accepted().length === 1, 'the test event');
  const d = r.accepted()[0]!;
  expect(d.signatureValid).toBe(true);
  expect(d.event).toBe('test');
  expect(d.json).toMatchObject({ specVersion: '1.0', type: 'test', eventId: res.body.eventId });
  expect(d.json.message).toMatch(/测试/);
  const deliveries = await env.tp.api('GET', `/api/v1/webhook-deliveries?subscription=${id}`);
  expect(deliveries.body.items[0]).toMatchObject({ eventType: 'test', state: 'delivered' });
});

test('a new subscription with snapshot: true gets the warnings open now; without it, none', async () => {
  const alertId = await openAlert('air-snap-01', 'd-snap');
  const withSnapshot = await receiver();
  const without = await receiver();
  await subscribe(withSnapshot, 'd-snap', { snapshot: true });
  await subscribe(without, 'd-snap');
  await eventually(() => withSnapshot.accepted().length === 1, 'the snapshot');
  const d = withSnapshot.accepted()[0]!;
  expect(d.signatureValid).toBe(true);
  expect(d.json).toMatchObject({ type: 'alert.firing', alert: { id: alertId, state: 'firing' } });
  // The subscription without a snapshot gets the next event only (here: a test event).
  const subs = (await env.tp.api('GET', '/api/v1/subscriptions?limit=1000')).body.items as Array<{ id: string; url: string }>;
  await env.tp.api('POST', `/api/v1/subscriptions/${subs.find((s) => s.url === without.url)!.id}/test`);
  await eventually(() => without.accepted().length === 1, 'the test event at the other receiver');
  expect(without.accepted()[0]!.json.type).toBe('test');
});

/** The fenced code block right after `<!-- snippet: name -->` in the README. */
async function readmeSnippet(name: string): Promise<string> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- snippet: ${name} -->\\s*\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!m) throw new Error(`README has no snippet ${name}`);
  return m[1]!;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

test("the README's signature checks (Node and Java) accept a real delivery and refuse a tampered one", { timeout: 120_000 }, async () => {
  const r = await receiver();
  const id = await subscribe(r, 'd-verify');
  await env.tp.api('POST', `/api/v1/subscriptions/${id}/test`);
  await eventually(() => r.accepted().length === 1, 'a delivery');
  const d = r.accepted()[0]!;
  const dir = await mkdtemp(path.join(tmpdir(), 'shanshui-verify-'));
  try {
    await writeFile(path.join(dir, 'body.bin'), d.body);
    await writeFile(path.join(dir, 'tampered.bin'), d.body.replace('测试', '测验'));
    const header = String(d.headers['x-shanshui-signature']);

    await writeFile(path.join(dir, 'verify.mjs'), `${await readmeSnippet('verify-node')}
import { readFileSync } from 'node:fs';
const [header, file, secret] = process.argv.slice(2);
console.log(verifyShanshui(header, readFileSync(file), secret) ? 'valid' : 'invalid');
`);
    expect((await run(process.execPath, ['verify.mjs', header, 'body.bin', SECRET], dir)).stdout.trim()).toBe('valid');
    expect((await run(process.execPath, ['verify.mjs', header, 'tampered.bin', SECRET], dir)).stdout.trim()).toBe('invalid');

    await writeFile(path.join(dir, 'ShanshuiSignature.java'), await readmeSnippet('verify-java'));
    await writeFile(
      path.join(dir, 'Check.java'),
      `import java.nio.file.*;
public class Check { public static void main(String[] a) throws Exception { System.out.println(ShanshuiSignature.verify(a[0], Files.readAllBytes(Path.of(a[1])), a[2]) ? "valid" : "invalid"); } }
`,
    );
    const javac = await run('javac', ['ShanshuiSignature.java', 'Check.java'], dir);
    expect(javac.code, javac.stderr).toBe(0);
    expect((await run('java', ['-cp', '.', 'Check', header, 'body.bin', SECRET], dir)).stdout.trim()).toBe('valid');
    expect((await run('java', ['-cp', '.', 'Check', header, 'tampered.bin', SECRET], dir)).stdout.trim()).toBe('invalid');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
