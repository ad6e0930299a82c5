/**
 * The API's listening socket, taken before the node joins the election (docs/safety.md, "Start-up
 * order"): `api.host:api.port` held by another process is a configuration error (exit 2, naming
 * the key and the address) found before anything of this node is in ZooKeeper, and the socket is
 * kept until the API is built after the join (express loads then), so nothing can take the port in
 * between. A connection that arrives meanwhile is accepted paused (nothing read) and handed to the
 * API's server once it exists.
 *
 * Before the join only a plain listening socket is made (3.6 ms of CPU in a start-up, most of it
 * Node loading its listen path, `cluster` included, on a process's first listen) and, for an HTTPS
 * API, the certificate and key are parsed and matched (~2 ms more): the HTTPS server itself (its
 * secure context, ~55 ms of CPU in a fresh process here) is built after the join, as before
 * (docs/benchmarks.md, "the API port held before the join"); node:http and node:https themselves
 * load then too, in serve().
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type * as http from 'node:http';
import type * as https from 'node:https';
import * as net from 'node:net';
import { ConfigError, errorMessage } from '../errors';

/** api.tls.cert / api.tls.key as read by main.ts (PEM). */
export interface ApiTls {
  cert: Buffer;
  key: Buffer;
}

export interface ApiSocketOptions {
  host: string;
  port: number;
  /** null = plain HTTP. */
  tls: ApiTls | null;
}

/** A bound, listening socket that answers nothing until serve(). */
export interface HeldApiSocket {
  /** The port bound: api.port, or the one the kernel chose for 0. */
  readonly port: number;
  /** Builds the API's HTTP(S) server around `handler` and hands it every connection, those that waited first. */
  serve(handler: http.RequestListener): http.Server | https.Server;
  /** Connections accepted and waiting for serve(). */
  waiting(): number;
  /** Stops listening and ends the connections (waiting or served). */
  close(): Promise<void>;
}

/** `127.0.0.1:8090`, `[::1]:8090`. */
export function addressText(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The configuration error for a failed listen: the key to change, the address, and what to do. */
export function listenError(err: unknown, host: string, port: number): ConfigError {
  const at = addressText(host, port);
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const notJoined = 'This node did not join the election';
  switch (code) {
    case 'EADDRINUSE':
      return new ConfigError(`api.port: ${at} is already in use by another process (EADDRINUSE); stop that process, or set api.port (or api.host) to a free address. ${notJoined}`, 'api.port');
    case 'EACCES':
      return new ConfigError(`api.port: ${at}: permission denied (EACCES); ports below 1024 need CAP_NET_BIND_SERVICE: use a port of 1024 or more. ${notJoined}`, 'api.port');
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError(
        `api.host: ${JSON.stringify(host)} is not an address of this host (${code}); set api.host to one of its addresses, 127.0.0.1, or 0.0.0.0 for all. ${notJoined}`,
        'api.host',
      );
    default:
      return new ConfigError(`api.host/api.port: cannot listen on ${at}: ${errorMessage(err)}. ${notJoined}`, 'api.port');
  }
}

/** The certificate and key parse and belong together (else a ConfigError naming the key at fault). */
export function checkApiTls(tls: ApiTls): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(tls.cert);
  } catch (err) {
    throw new ConfigError(`api.tls.cert: not a PEM certificate: ${errorMessage(err)}`, 'api.tls.cert');
  }
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(tls.key));
  } catch (err) {
    throw new ConfigError(`api.tls.key: not a usable PEM private key (an encrypted key is not supported): ${errorMessage(err)}`, 'api.tls.key');
  }
  if (!matches) throw new ConfigError('api.tls.key: does not belong to the certificate of api.tls.cert; give the key the certificate was issued for', 'api.tls.key');
}

// node:http and node:https load when the API is served, after the join: nothing before it needs them
// (node:https brings node:tls), and serve() stays synchronous (docs/benchmarks.md, start-up leftovers).
/* eslint-disable @typescript-eslint/no-require-imports */
const httpModule = (): typeof http => require('node:http') as typeof http;
const httpsModule = (): typeof https => require('node:https') as typeof https;
/* eslint-enable @typescript-eslint/no-require-imports */

/** Binds and listens on the API's address now; a failure is a ConfigError (listenError, checkApiTls). */
export async function holdApiSocket(o: ApiSocketOptions): Promise<HeldApiSocket> {
  if (o.tls) checkApiTls(o.tls);
  // Paused: a connection's bytes stay in the kernel until the API's server reads them.
  const listener = net.createServer({ pauseOnConnect: true });
  const waiting = new Set<net.Socket>();
  let server: http.Server | https.Server | null = null;
  const hand = (to: http.Server | https.Server, socket: net.Socket): void => {
    to.emit('connection', socket);
    socket.resume();
  };
  // Until serve() hands the handle over; after that the API's server accepts.
  listener.on('connection', (socket: net.Socket) => {
    waiting.add(socket);
    socket.once('close', () => waiting.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(o.port, o.host, () => {
      listener.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    throw listenError(err, o.host, o.port);
  });
  const bound = listener.address();
  return {
    port: bound !== null && typeof bound === 'object' ? bound.port : o.port,
    waiting: () => waiting.size,
    serve(handler) {
      const s = o.tls ? httpsModule().createServer({ cert: o.tls.cert, key: o.tls.key }, handler) : httpModule().createServer(handler);
      // The server takes the listening handle over (listen(handle): Node's documented way) and so
      // tracks its connections and timeouts as if it had bound it; the waiting ones follow.
      server = s;
      s.once('listening', () => {
        for (const socket of waiting) hand(s, socket);
        waiting.clear();
      });
      s.listen(listener);
      return s;
    },
    close() {
      for (const socket of waiting) socket.destroy();
      waiting.clear();
      const s = server;
      return new Promise((resolve) => {
        if (s) {
          s.close(() => resolve());
          s.closeAllConnections();
        } else if (listener.listening) listener.close(() => resolve());
        else resolve();
      });
    },
  };
}
