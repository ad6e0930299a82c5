/**
 * Every use of node-zookeeper-client's internals, in one place: its socket (to force a reconnect
 * or wait for a close) and TLS. The library (1.1.3) opens a plain `net` socket in
 * `ConnectionManager.prototype.connect`; for TLS we replace that one method ON ONE CLIENT'S
 * connection manager (not the prototype) with the same steps over `tls.connect`.
 *
 * Why a runtime override and not a patch applied at install time (patch-package): production
 * installs run `npm ci --omit=dev`, which would not run patch-package, and a patch silently not
 * applied would mean plain TCP to a TLS port. The override is pinned to the exact library version
 * (`assertZkLibrary`, called before every TLS client) and test/unit/coordination/zk-socket.test.ts
 * fails when the version or the shape of what we replace changes.
 *
 * The override differs from the library's `connect` in three ways only: the socket is a TLS one
 * whose options (files re-read on each attempt: rotation needs no restart) come from
 * `options()`; the library's "connected" step runs on `secureConnect` (after the handshake, so
 * its connect timeout covers the handshake); and a handshake failure is reported through
 * `onFailure` before the library's own close/retry path runs as for any socket error.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type * as tls from 'node:tls';
import type * as zk from 'node-zookeeper-client';
import { ConfigError } from '../errors';

/** The only library version the override was reviewed against. */
export const ZK_LIBRARY_VERSION = '1.1.3';

/** The parts of the library's ConnectionManager the override touches. */
export interface InternalConnectionManager {
  socket?: net.Socket;
  connectTimeout: number;
  connectTimeoutHandler?: NodeJS.Timeout;
  connect: () => void;
  setState: (state: number) => void;
  findNextServer: (cb: (server: { host: string; port: number | string }) => void) => void;
  onSocketConnected: () => void;
  onSocketData: (data: Buffer) => void;
  onSocketDrain: () => void;
  onSocketClosed: (hadError: boolean) => void;
  onSocketError: (err: Error) => void;
}
interface InternalClient {
  connectionManager?: InternalConnectionManager;
}
export interface InternalModule {
  STATES?: Record<string, number>;
}

function manager(client: zk.Client | null): InternalConnectionManager | undefined {
  return (client as unknown as InternalClient | null)?.connectionManager;
}

/** The client's current socket (undefined before the first connect). */
export function socketOf(client: zk.Client | null): net.Socket | undefined {
  return manager(client)?.socket;
}

/**
 * Close the session; when it was connected, wait (bounded by 1 s) until the server closes the
 * socket after CLOSE_SESSION, so the session and its ephemeral znodes are gone when we return.
 */
export async function closeClient(client: zk.Client, wasConnected: boolean): Promise<void> {
  const socket = socketOf(client);
  client.close();
  if (!wasConnected || !socket || socket.destroyed) {
    socket?.destroy();
    return;
  }
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      socket.destroy();
      resolve();
    }, 1000);
    socket.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * Call `onClosed(opened)` whenever a connection of this client closes, before the library reacts
 * to it; `opened`: the connection got as far as the library's "connected" step (TCP, and TLS
 * when used), so a close now is the server's (or a dropped live connection), not a failed
 * connect. Lets the coordinator see handshakes a server refuses (./refusals.ts). Wraps the
 * client's own handlers (the library binds them per socket, the TLS override calls them through
 * `this`), so both transports report.
 */
export function onSocketClose(client: zk.Client, onClosed: (opened: boolean) => void): void {
  const cm = manager(client);
  if (!cm) return;
  const connected = cm.onSocketConnected;
  const closed = cm.onSocketClosed;
  let opened = false;
  cm.onSocketConnected = function onSocketConnectedSeen(this: InternalConnectionManager): void {
    opened = true;
    connected.call(this);
  };
  cm.onSocketClosed = function onSocketClosedReported(this: InternalConnectionManager, hadError: boolean): void {
    const was = opened;
    opened = false;
    onClosed(was);
    closed.call(this, hadError);
  };
}

const LIBRARY_DIR = path.dirname(require.resolve('node-zookeeper-client/package.json'));

/** The library's ConnectionManager module (for the shape check). */
export function connectionManagerModule(): { prototype: Record<string, unknown> } & InternalModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(LIBRARY_DIR, 'lib', 'ConnectionManager.js')) as { prototype: Record<string, unknown> } & InternalModule;
}

/**
 * Throws (code ZK_LIBRARY_CHANGED) unless the installed node-zookeeper-client is the version the
 * TLS override was written for and still has the methods and constants it relies on.
 */
export function assertZkLibrary(): void {
  const pkg = JSON.parse(fs.readFileSync(path.join(LIBRARY_DIR, 'package.json'), 'utf8')) as { version?: string };
  const problems = zkLibraryProblems(pkg.version, connectionManagerModule());
  if (problems.length > 0) {
    throw new ConfigError(
      `zk.tls.enabled: node-zookeeper-client changed under the TLS override (src/coordination/zk-socket.ts): ${problems.join('; ')}. ` +
        `Review the override against the new ConnectionManager.connect, or install node-zookeeper-client@${ZK_LIBRARY_VERSION}`,
      'zk.tls.enabled',
    );
  }
}

/** What differs from the library the override was reviewed against (empty = nothing). */
export function zkLibraryProblems(version: string | undefined, cm: { prototype: Record<string, unknown> } & InternalModule): string[] {
  const problems: string[] = [];
  if (version !== ZK_LIBRARY_VERSION) problems.push(`version ${String(version)} (reviewed: ${ZK_LIBRARY_VERSION})`);
  for (const m of ['connect', 'setState', 'findNextServer', 'onSocketConnected', 'onSocketData', 'onSocketDrain', 'onSocketClosed', 'onSocketError', 'onSocketConnectTimeout']) {
    if (typeof cm.prototype[m] !== 'function') problems.push(`ConnectionManager.prototype.${m} is missing`);
  }
  if (typeof cm.STATES?.CONNECTING !== 'number') problems.push('ConnectionManager.STATES.CONNECTING is missing');
  const source = String(cm.prototype.connect);
  if (!source.includes('net.connect(server)')) problems.push('ConnectionManager.prototype.connect no longer opens its socket with net.connect(server)');
  return problems;
}

export interface TlsHooks {
  /** TLS options for one connection attempt to host:port (reads the files; may throw). */
  options: (host: string, port: number) => tls.ConnectionOptions;
  /** A connection attempt failed before its handshake completed (file unreadable, TLS alert, ...). */
  onFailure: (err: Error, peer: string, handshakeStarted: boolean) => void;
  /** The handshake with `peer` succeeded. */
  onSecure: (peer: string) => void;
}

/** Make this client connect over TLS (call before `client.connect()`). */
export function useTls(client: zk.Client, hooks: TlsHooks): void {
  assertZkLibrary();
  const cm = manager(client);
  const CONNECTING = connectionManagerModule().STATES?.CONNECTING;
  if (!cm || CONNECTING === undefined) throw new Error('node-zookeeper-client: no connection manager on the client');
  // node:tls loads here, for a TLS client only: a plain-TCP node never needs it (start-up, docs/benchmarks.md).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { connect } = require('node:tls') as typeof tls;
  cm.connect = function connectTls(this: InternalConnectionManager): void {
    this.setState(CONNECTING);
    this.findNextServer((server) => {
      const port = Number(server.port);
      const peer = `${server.host}:${port}`;
      let socket: net.Socket;
      try {
        socket = connect({ ...hooks.options(server.host, port), host: server.host, port });
      } catch (err) {
        // Unreadable file or bad options: a socket that fails at once, so the library retries
        // (after spinDelay) as after any failed attempt.
        const e = err instanceof Error ? err : new Error(String(err));
        hooks.onFailure(e, peer, false);
        socket = new net.Socket();
        process.nextTick(() => socket.destroy(e));
      }
      this.socket = socket;
      // Only errors between the TCP connect and the end of the handshake are TLS failures; a
      // refused or reset TCP connection is an ordinary connection failure, not reported here.
      let handshaking = false;
      let secure = false;
      this.connectTimeoutHandler = setTimeout(() => socket.destroy(), this.connectTimeout);
      socket.setNoDelay();
      socket.on('connect', () => {
        handshaking = true;
      });
      socket.on('secureConnect', () => {
        secure = true;
        hooks.onSecure(peer);
        this.onSocketConnected();
      });
      socket.on('data', (d: Buffer) => this.onSocketData(d));
      socket.on('drain', () => this.onSocketDrain());
      socket.on('close', (hadError: boolean) => this.onSocketClosed(hadError));
      socket.on('error', (err: Error) => {
        if (handshaking && !secure) hooks.onFailure(err, peer, true);
        this.onSocketError(err);
      });
    });
  };
}
