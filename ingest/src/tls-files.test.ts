import { test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from './config.ts';
import { loadTlsFiles } from './tls-files.ts';

test('TLS files: none = no TLS; cert and key go together; unreadable, non-PEM and mismatched files stop the start naming the variable', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shanshui-tls-files-'));
  t.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const selfSigned = (name: string): void => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.pem`)], { stdio: 'ignore' });
  };
  selfSigned('a');
  selfSigned('b');
  writeFileSync(path.join(dir, 'junk.pem'), 'not a certificate');
  const f = (name: string): string => path.join(dir, name);
  const load = (c: Record<string, unknown>) => loadTlsFiles(parseConfig(c).tls);

  assert.equal(load({}), undefined);
  const files = load({ tlsCert: f('a.pem'), tlsKey: f('a.key'), tlsCiphers: 'TLS_AES_128_GCM_SHA256' });
  assert.ok(files?.cert.includes('BEGIN CERTIFICATE'));
  assert.equal(files?.ciphers, 'TLS_AES_128_GCM_SHA256');
  assert.throws(() => load({ tlsCert: f('a.pem') }), /SHANSHUI_TLS_KEY: needed with SHANSHUI_TLS_CERT/);
  assert.throws(() => load({ tlsKey: f('a.key') }), /SHANSHUI_TLS_CERT: needed with SHANSHUI_TLS_KEY/);
  assert.throws(() => load({ tlsCert: f('missing.pem'), tlsKey: f('a.key') }), /SHANSHUI_TLS_CERT: cannot read .*missing\.pem/);
  assert.throws(() => load({ tlsCert: f('a.pem'), tlsKey: f('a.key'), tlsCa: f('junk.pem') }), /SHANSHUI_TLS_CA: .*junk\.pem is not a PEM file/);
  assert.throws(() => load({ tlsCert: f('a.pem'), tlsKey: f('b.key') }), /SHANSHUI_TLS_CERT\/SHANSHUI_TLS_KEY: .*(key values mismatch|mismatch)/i);
});
