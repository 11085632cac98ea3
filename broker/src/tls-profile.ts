/**
 * The one TLS profile of the platform, shared by MQTT over TLS (8883) and the HTTPS API (8443):
 * TLS 1.2 and 1.3 only, forward-secret AEAD suites only, curves X25519 / P-256 / P-384. It is
 * Mozilla's "intermediate" profile without the finite-field DHE suites (slow handshakes on
 * field gateways and a DH parameter file to manage, for no client we know of that needs them).
 */
import tls from 'node:tls';

export const TLS_PROFILE = {
  /** Oldest protocol accepted: TLS 1.0/1.1 are refused at the handshake. */
  minVersion: 'TLSv1.2',
  /**
   * OpenSSL cipher string. `TLS_*` names are the TLS 1.3 suites (leave at least one in any
   * override, or TLS 1.3 is off); the rest are TLS 1.2: ECDHE key exchange (forward secrecy),
   * AES-GCM or ChaCha20-Poly1305 (AEAD; ChaCha20 is faster on ARM gateways without AES
   * instructions). No RSA key exchange, no CBC, no SHA-1 MACs, no 3DES/RC4.
   */
  ciphers: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  /** Key-exchange groups, in order of preference. */
  ecdhCurve: 'X25519:P-256:P-384',
  /** Every suite above is strong: let the client pick the one its hardware runs fastest. */
  honorCipherOrder: false,
} as const;

export interface TlsServerIdentity {
  /** PEM certificate (chain) and key. */
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** Overrides `TLS_PROFILE.ciphers`. */
  readonly ciphers?: string;
}

/** The `tls.createServer` / `https.createServer` options of the profile for one identity. */
export function tlsServerOptions(identity: TlsServerIdentity): tls.TlsOptions {
  return {
    cert: identity.cert,
    key: identity.key,
    minVersion: TLS_PROFILE.minVersion,
    ciphers: identity.ciphers ?? TLS_PROFILE.ciphers,
    ecdhCurve: TLS_PROFILE.ecdhCurve,
    honorCipherOrder: TLS_PROFILE.honorCipherOrder,
  };
}

/** Whether OpenSSL accepts `ciphers` as a cipher list (for config validation). */
export function isCipherList(ciphers: string): boolean {
  try {
    tls.createSecureContext({ ciphers });
    return true;
  } catch {
    return false;
  }
}
