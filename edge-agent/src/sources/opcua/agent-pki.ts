/**
 * The agent's own OPC-UA application instance certificate, in node-opcua's PKI layout under
 * `pkiDir` (own/certs, own/private, trusted, rejected, issuers). Created on first start; kept
 * afterwards so the server's trust list need only learn it once. The folder and everything in
 * it is owner-only (0700 / 0600): it holds the private key.
 *
 * Trust of the *server's* certificate: `automaticallyAcceptUnknownCertificate` is on, which is
 * the commissioning/dev path (any server certificate is accepted and stored under
 * `trusted/certs`). A production gateway should pin its server: put the PLC's certificate in
 * `pkiDir/trusted/certs` and turn automatic acceptance off.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';
import { OpcuaError } from './errors.ts';

export const AGENT_PKI_DEFAULTS = {
  /** Validity of the self-signed certificate, days. */
  validityDays: 3650,
  /** RSA key size, bits (Basic256Sha256 and the Aes* policies accept 2048–4096). */
  keySize: 2048 as 2048 | 3072 | 4096,
  /** Accept any server certificate (dev/commissioning). See the module comment for production. */
  automaticallyAcceptUnknownCertificate: true,
};

export interface AgentPki {
  readonly certificateManager: OPCUACertificateManager;
  readonly certificateFile: string;
  readonly privateKeyFile: string;
  readonly applicationUri: string;
}

export interface AgentPkiOptions {
  pkiDir: string;
  /** Must equal the client's applicationUri: servers check the certificate's SAN URI against it. */
  applicationUri: string;
  applicationName: string;
}

/** PKI folders being prepared in this process: several OPC-UA sources may share one pkiDir. */
const preparing = new Map<string, Promise<unknown>>();

export async function prepareAgentPki(options: AgentPkiOptions): Promise<AgentPki> {
  const rootFolder = path.resolve(options.pkiDir);
  const previous = preparing.get(rootFolder) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => prepare(rootFolder, options));
  preparing.set(rootFolder, next);
  try {
    return await next;
  } finally {
    if (preparing.get(rootFolder) === next) preparing.delete(rootFolder);
  }
}

async function prepare(rootFolder: string, options: AgentPkiOptions): Promise<AgentPki> {
  try {
    await fs.mkdir(rootFolder, { recursive: true, mode: 0o700 });
    const certificateManager = new OPCUACertificateManager({
      rootFolder,
      automaticallyAcceptUnknownCertificate: AGENT_PKI_DEFAULTS.automaticallyAcceptUnknownCertificate,
      keySize: AGENT_PKI_DEFAULTS.keySize,
      name: 'shanshui-edge-agent',
    });
    await certificateManager.initialize();
    // The path node-opcua's client derives for its own certificate (client_base_impl).
    const certificateFile = path.join(certificateManager.rootDir, 'own/certs/client_certificate.pem');
    if (!(await exists(certificateFile))) {
      const hostname = os.hostname();
      await certificateManager.createSelfSignedCertificate({
        applicationUri: options.applicationUri,
        dns: [hostname],
        subject: `/CN=${options.applicationName}/O=Shanshui/DC=${hostname}`,
        startDate: new Date(),
        validity: AGENT_PKI_DEFAULTS.validityDays,
        outputFile: certificateFile,
      });
    }
    await restrictToOwner(rootFolder);
    return { certificateManager, certificateFile, privateKeyFile: certificateManager.privateKey, applicationUri: options.applicationUri };
  } catch (err) {
    throw new OpcuaError('EDGE_ERR_OPCUA_PKI', `${rootFolder}: ${(err as Error).message}`, { cause: err });
  }
}

/** chmod -R go-rwx: directories 0700, files 0600. */
export async function restrictToOwner(dir: string): Promise<void> {
  await fs.chmod(dir, 0o700);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await restrictToOwner(full);
    else if (entry.isFile()) await fs.chmod(full, 0o600);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
