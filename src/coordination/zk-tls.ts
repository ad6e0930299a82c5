/**
 * TLS to ZooKeeper as plain data and file reads: the options of one connection attempt (files
 * re-read every time, so rotated certificates are picked up on the next connection), a handshake
 * failure explained (which file, which peer, why), the start-up check of the files (ConfigError
 * naming the key) and the x509 identity ZooKeeper gives a client certificate (RFC 2253 subject).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { ConfigError, errorMessage } from '../errors';
import type { Logger } from '../logging/logger';
import type { TlsFailure } from './types';
import type { TlsHooks } from './zk-socket';

/** The zk.tls keys the client uses (zk.tls.enabled is implied by passing them). */
export interface ZkTlsSettings {
  /** PEM bundle of the CAs that sign the servers; '' = Node's built-in CAs. */
  caFile: string;
  /** PEM client certificate and key (mutual TLS); both '' = no client certificate. */
  certFile: string;
  keyFile: string;
  /** Name to verify the servers' certificates against; '' = the host of each connect entry. */
  serverName: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

export type { TlsFailure };

const KEYS = { caFile: 'zk.tls.caFile', certFile: 'zk.tls.certFile', keyFile: 'zk.tls.keyFile' } as const;

function readKey(s: ZkTlsSettings, k: keyof typeof KEYS): Buffer {
  try {
    return fs.readFileSync(s[k]);
  } catch (err) {
    throw Object.assign(new Error(`${KEYS[k]}: cannot read ${JSON.stringify(s[k])}: ${errorMessage(err)}`), { file: s[k] });
  }
}

/** Options of one connection attempt to `host`: the files are read now. */
export function tlsOptions(s: ZkTlsSettings, host: string): tls.ConnectionOptions {
  const o: tls.ConnectionOptions = { minVersion: s.minVersion, rejectUnauthorized: true };
  if (s.caFile !== '') o.ca = readKey(s, 'caFile');
  if (s.certFile !== '') {
    o.cert = readKey(s, 'certFile');
    o.key = readKey(s, 'keyFile');
  }
  // A servername makes Node verify the certificate against it (and send SNI); without one it
  // verifies against the host, IP addresses included (SNI is not sent for an IP).
  if (s.serverName !== '') o.servername = s.serverName;
  else if (net.isIP(host) === 0) o.servername = host;
  return o;
}

/** Why a TLS connection attempt to `peer` failed, in words an operator can act on. */
export function describeTlsFailure(err: Error, peer: string, s: ZkTlsSettings, handshakeStarted: boolean): TlsFailure {
  const code = (err as { code?: unknown }).code;
  const c = typeof code === 'string' ? code : null;
  const ca = s.caFile === '' ? "Node's built-in CAs (zk.tls.caFile is empty)" : `zk.tls.caFile ${s.caFile}`;
  const fail = (reason: TlsFailure['reason'], file: string | null, text: string): TlsFailure => ({
    peer,
    reason,
    file,
    code: c,
    message: `TLS to ZooKeeper ${peer} failed: ${text} (${c ?? err.message})`,
  });
  if (!handshakeStarted) {
    const file = (err as { file?: unknown }).file;
    return fail('file-unreadable', typeof file === 'string' ? file : null, err.message);
  }
  switch (c) {
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_SIGNATURE_FAILURE':
      return fail('unknown-ca', s.caFile || null, `the server's certificate is not signed by a CA in ${ca}`);
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return fail('expired', null, `the server's certificate is ${c === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'}: renew it on the server`);
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return fail(
        'name-mismatch',
        null,
        `the server's certificate does not name ${s.serverName || peer.slice(0, peer.lastIndexOf(':'))}: ${err.message}; fix the certificate's subjectAltName or set zk.tls.serverName`,
      );
    case 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION':
    case 'ERR_SSL_UNSUPPORTED_PROTOCOL':
    case 'ERR_SSL_NO_PROTOCOLS_AVAILABLE':
      return fail('protocol', null, `no TLS version in common with the server (zk.tls.minVersion ${s.minVersion})`);
  }
  // The server refused the handshake: with ssl.clientAuth=need that is our certificate.
  const own = clientCertProblem(s);
  if (own !== null) return fail(own.expired ? 'expired' : 'client-cert-refused', s.certFile, own.text);
  if (c !== null && (c.startsWith('ERR_SSL_') || c === 'ECONNRESET' || c === 'EPIPE')) {
    const text =
      s.certFile === ''
        ? 'the server closed the handshake; it probably requires a client certificate (set zk.tls.certFile and zk.tls.keyFile)'
        : `the server refused the handshake: it does not accept the client certificate zk.tls.certFile ${s.certFile} (not signed by a CA in its trust store, or revoked)`;
    return fail('client-cert-refused', s.certFile || null, text);
  }
  return fail('other', null, err.message);
}

/** An expired (or not yet valid) client certificate, read from zk.tls.certFile now. */
function clientCertProblem(s: ZkTlsSettings): { expired: boolean; text: string } | null {
  if (s.certFile === '') return null;
  try {
    const cert = new X509Certificate(fs.readFileSync(s.certFile));
    const now = Date.now();
    if (Date.parse(cert.validTo) < now) return { expired: true, text: `the client certificate zk.tls.certFile ${s.certFile} expired at ${cert.validTo}` };
    if (Date.parse(cert.validFrom) > now) return { expired: true, text: `the client certificate zk.tls.certFile ${s.certFile} is not valid before ${cert.validFrom}` };
  } catch {
    return null;
  }
  return null;
}

/** The TLS hooks of a coordinator's clients: failures logged on change, the last one kept for /status. */
export class TlsReport {
  private failure: TlsFailure | null = null;

  constructor(
    private readonly settings: ZkTlsSettings,
    private readonly log: Logger,
  ) {}

  /** The last failed TLS connection attempt; null once a handshake succeeds. */
  current(): TlsFailure | null {
    return this.failure;
  }

  /** Hooks for one client; `live()` is false once the client is replaced (its reports are dropped). */
  hooks(live: () => boolean): TlsHooks {
    return {
      options: (host) => tlsOptions(this.settings, host),
      onFailure: (err, peer, started) => {
        if (!live()) return;
        const f = describeTlsFailure(err, peer, this.settings, started);
        if (this.failure?.message !== f.message) {
          this.log.error(f.message, { event: 'zk.tls_failed', peer: f.peer, reason: f.reason, file: f.file, code: f.code });
        }
        this.failure = f;
      },
      onSecure: (peer) => {
        if (!live() || this.failure === null) return;
        this.log.info(`TLS to ZooKeeper ${peer} established again`, { event: 'zk.tls_ok', peer });
        this.failure = null;
      },
    };
  }
}

/**
 * Start-up check: every configured file is readable and parses (ConfigError naming the key, exit
 * 2). Returns the client certificate's RFC 2253 subject ('' without one).
 */
export function checkTlsFiles(s: ZkTlsSettings): string {
  const read = (k: keyof typeof KEYS): Buffer => {
    try {
      return fs.readFileSync(s[k]);
    } catch (err) {
      throw new ConfigError(`${KEYS[k]}: cannot read ${JSON.stringify(s[k])}: ${errorMessage(err)}`, KEYS[k]);
    }
  };
  if (s.caFile !== '') {
    const ca = read('caFile');
    if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigError(`zk.tls.caFile: ${JSON.stringify(s.caFile)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, KEYS.caFile);
    }
  }
  if (s.certFile === '') return '';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(read('certFile'));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`zk.tls.certFile: ${JSON.stringify(s.certFile)} is not a PEM certificate: ${errorMessage(err)}`, KEYS.certFile);
  }
  read('keyFile');
  return rfc2253Subject(cert.subject, 'zk.tls.certFile');
}

/** Attribute names Java's X500Principal writes by keyword in RFC 2253 form. */
const RFC2253_KEYWORDS = new Set(['CN', 'C', 'L', 'ST', 'O', 'OU', 'STREET', 'DC', 'UID']);

/**
 * The identity ZooKeeper's X509AuthenticationProvider gives a certificate: its subject in RFC 2253
 * form (last RDN first), e.g. `CN=node,OU=ops,O=Example`. `subject` is Node's
 * X509Certificate.subject: one `KEY=value` per line, first RDN first, values already escaped the
 * RFC 2253 way (`O=Example\, Inc.`).
 */
export function rfc2253Subject(subject: string, key: string): string {
  const parts = subject.split('\n').filter((l) => l !== '');
  return parts
    .reverse()
    .map((p) => {
      const k = p.slice(0, p.indexOf('='));
      if (!RFC2253_KEYWORDS.has(k)) {
        throw new ConfigError(
          `${key}: the certificate subject has the attribute ${k}, which ZooKeeper spells as an OID; set zk.tls.aclIdentities to the subject ZooKeeper reports (RFC 2253)`,
          'zk.tls.aclIdentities',
        );
      }
      return p;
    })
    .join(',');
}

/** The zk.tls keys (structurally: coordination does not import config). */
export interface ZkTlsKeys extends ZkTlsSettings {
  enabled: boolean;
  aclIdentities: readonly string[];
}

/**
 * From the zk.tls keys at start-up: the client's TLS settings (undefined = plain TCP) after
 * checking every file (ConfigError naming the key), and the x509 identities the cluster's znodes
 * get (none without a client certificate).
 */
export function zkTlsSetup(keys: ZkTlsKeys): { tls: ZkTlsSettings | undefined; x509: readonly string[] } {
  if (!keys.enabled) return { tls: undefined, x509: [] };
  const tls: ZkTlsSettings = { caFile: keys.caFile, certFile: keys.certFile, keyFile: keys.keyFile, serverName: keys.serverName, minVersion: keys.minVersion };
  const subject = checkTlsFiles(tls);
  if (subject === '') return { tls, x509: [] };
  return { tls, x509: keys.aclIdentities.length > 0 ? keys.aclIdentities : [subject] };
}
