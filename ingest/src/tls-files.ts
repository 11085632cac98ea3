/**
 * The platform's TLS material, read once at start for MQTT over TLS and HTTPS: `tlsCert` and
 * `tlsKey` go together (one without the other is a configuration error, not a silent plain-text
 * platform), every file must be readable PEM, and the pair must match — each failure names the
 * variable.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { Config } from './config.ts';
import { envNameOf } from './config.ts';
import { IngestError } from './errors.ts';

export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** CA bundle for device client certificates (MQTT only). */
  readonly ca?: Buffer;
  readonly ciphers?: string;
}

function readPem(key: 'tlsCert' | 'tlsKey' | 'tlsCa', file: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    throw new IngestError('INGEST_ERR_CONFIG', `${envNameOf(key)}: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!pem.includes('-----BEGIN ')) throw new IngestError('INGEST_ERR_CONFIG', `${envNameOf(key)}: ${file} is not a PEM file`);
  return pem;
}

/** undefined when TLS is not configured. */
export function loadTlsFiles(config: Config['tls']): TlsFiles | undefined {
  if (!config.cert && !config.key) return undefined;
  if (!config.cert) throw new IngestError('INGEST_ERR_CONFIG', `${envNameOf('tlsCert')}: needed with ${envNameOf('tlsKey')}`);
  if (!config.key) throw new IngestError('INGEST_ERR_CONFIG', `${envNameOf('tlsKey')}: needed with ${envNameOf('tlsCert')}`);
  const files: TlsFiles = {
    cert: readPem('tlsCert', config.cert),
    key: readPem('tlsKey', config.key),
    ...(config.ca ? { ca: readPem('tlsCa', config.ca) } : {}),
    ...(config.ciphers ? { ciphers: config.ciphers } : {}),
  };
  try {
    tls.createSecureContext({ cert: files.cert, key: files.key });
  } catch (err) {
    throw new IngestError('INGEST_ERR_CONFIG', `${envNameOf('tlsCert')}/${envNameOf('tlsKey')}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return files;
}
