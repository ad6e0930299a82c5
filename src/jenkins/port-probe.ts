/**
 * Is anything listening where our Jenkins would? A TCP connect to the host and port of
 * jenkins.url: accepted = a listener we did not start (another Jenkins, a stale one, anything);
 * refused = free. Before a launch, a listener blocks it (fencing layer 6, the split-brain alarm).
 */
import * as net from 'node:net';

export type PortProbe = { kind: 'free' } | { kind: 'listening'; address: string } | { kind: 'unknown'; error: string };

export function jenkinsAddress(url: string): { host: string; port: number } {
  const u = new URL(url);
  const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
}

export function probePort(url: string, timeoutMs: number): Promise<PortProbe> {
  const { host, port } = jenkinsAddress(url);
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (p: PortProbe): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(p);
    };
    const timer = setTimeout(() => done({ kind: 'unknown', error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    sock.once('connect', () => done({ kind: 'listening', address: `${host}:${port}` }));
    sock.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? { kind: 'free' } : { kind: 'unknown', error: err.message }));
  });
}
