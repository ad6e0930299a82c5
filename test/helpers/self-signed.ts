/**
 * A throwaway self-signed certificate for 127.0.0.1 (an HTTPS API in tests), made with openssl:
 * an EC P-256 key (quick to make), valid for two days, its SAN the loopback address.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/** Writes cert.pem and key.pem into `dir` and returns their paths. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert, key };
}
