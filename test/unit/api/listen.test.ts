/**
 * The API socket held from before the join (src/api/listen.ts): a busy port or a foreign address is
 * a ConfigError naming the key and the address; a request that arrives before the API is attached
 * waits and is served by it, over HTTP and HTTPS; close() before serve() ends it and frees the port.
 * Real sockets on loopback.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { holdApiSocket, listenError, type HeldApiSocket } from '../../../src/api/listen';
import { ConfigError } from '../../../src/errors';
import { waitFor } from '../../helpers/wait';

/** A self-signed certificate for 127.0.0.1, its key, and a key that does not belong to it. */
let pki: { cert: Buffer; key: Buffer; otherKey: Buffer };
beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-listen-'));
  try {
    const [cert, key, other] = ['cert.pem', 'key.pem', 'other.pem'].map((f) => path.join(dir, f)) as [string, string, string];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', other], { stdio: 'ignore' });
    pki = { cert: fs.readFileSync(cert), key: fs.readFileSync(key), otherKey: fs.readFileSync(other) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const held: HeldApiSocket[] = [];
const others: net.Server[] = [];
afterEach(async () => {
  for (const h of held.splice(0)) await h.close();
  for (const s of others.splice(0)) await new Promise((r) => s.close(r));
});

function occupy(): Promise<number> {
  const s = net.createServer();
  others.push(s);
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port)));
}

function keep(h: HeldApiSocket): HeldApiSocket {
  held.push(h);
  return h;
}

/** GET over HTTP, or over HTTPS trusting `ca`. */
function get(port: number, path: string, ca?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    (ca ? https : http)
      .get({ host: '127.0.0.1', port, path, ...(ca ? { ca } : {}) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test('a port another process holds is a ConfigError naming api.port and the address, with the fix', async () => {
  const port = await occupy();
  const err = await holdApiSocket({ host: '127.0.0.1', port, tls: null }).then(keep, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).key).toBe('api.port');
  expect((err as ConfigError).message).toBe(
    `api.port: 127.0.0.1:${port} is already in use by another process (EADDRINUSE); stop that process, or set api.port (or api.host) to a free address. This node did not join the election`,
  );
});

test('an address that is not this host is a ConfigError naming api.host', () => {
  const err = listenError(Object.assign(new Error('listen EADDRNOTAVAIL'), { code: 'EADDRNOTAVAIL' }), '10.255.255.1', 8090);
  expect(err.key).toBe('api.host');
  expect(err.message).toMatch(/^api\.host: "10\.255\.255\.1" is not an address of this host \(EADDRNOTAVAIL\); set api\.host to /);
  expect(listenError(Object.assign(new Error('x'), { code: 'EACCES' }), '::1', 80).message).toMatch(/^api\.port: \[::1\]:80: permission denied \(EACCES\)/);
});

test('unusable TLS material is a ConfigError naming the key at fault, before anything listens', async () => {
  const bad = Buffer.from('not a PEM');
  const certErr = await holdApiSocket({ host: '127.0.0.1', port: 0, tls: { cert: bad, key: pki.key } }).then(keep, (e: unknown) => e);
  expect(certErr).toBeInstanceOf(ConfigError);
  expect((certErr as ConfigError).key).toBe('api.tls.cert');
  const keyErr = await holdApiSocket({ host: '127.0.0.1', port: 0, tls: { cert: pki.cert, key: bad } }).then(keep, (e: unknown) => e);
  expect((keyErr as ConfigError).key).toBe('api.tls.key');
  const other = await holdApiSocket({ host: '127.0.0.1', port: 0, tls: { cert: pki.cert, key: pki.otherKey } }).then(keep, (e: unknown) => e);
  expect((other as ConfigError).message).toBe('api.tls.key: does not belong to the certificate of api.tls.cert; give the key the certificate was issued for');
});

test('a request that arrives before the API is attached waits and is served by it', async () => {
  const h = keep(await holdApiSocket({ host: '127.0.0.1', port: 0, tls: null }));
  expect(h.port).toBeGreaterThan(0);
  const answer = get(h.port, '/status');
  await waitFor(() => h.waiting() === 1, { timeoutMs: 5000, what: 'the connection to wait' });
  h.serve((req, res) => res.end(`served ${req.url ?? ''}`));
  expect(await answer).toEqual({ status: 200, body: 'served /status' });
  expect(await get(h.port, '/x')).toEqual({ status: 200, body: 'served /x' });
  expect(h.waiting()).toBe(0);
});

test('over HTTPS too: a request made before the API is attached is served once it is', async () => {
  const h = keep(await holdApiSocket({ host: '127.0.0.1', port: 0, tls: { cert: pki.cert, key: pki.key } }));
  const answer = get(h.port, '/status', pki.cert);
  await waitFor(() => h.waiting() === 1, { timeoutMs: 5000, what: 'the connection to wait' });
  const server = h.serve((req, res) => res.end(`secure ${req.url ?? ''}`));
  expect(server).toBeInstanceOf(https.Server);
  expect(await answer).toEqual({ status: 200, body: 'secure /status' });
  expect(await get(h.port, '/y', pki.cert)).toEqual({ status: 200, body: 'secure /y' });
});

test('close() before the API is attached ends a waiting connection and frees the port', async () => {
  const h = await holdApiSocket({ host: '127.0.0.1', port: 0, tls: null });
  const answer = get(h.port, '/status').then(() => 'answered', (e: NodeJS.ErrnoException) => e.code ?? e.message);
  await waitFor(() => h.waiting() === 1, { timeoutMs: 5000, what: 'the connection to wait' });
  await h.close();
  expect(await answer).toBe('ECONNRESET');
  const again = keep(await holdApiSocket({ host: '127.0.0.1', port: h.port, tls: null }));
  expect(again.port).toBe(h.port);
});
