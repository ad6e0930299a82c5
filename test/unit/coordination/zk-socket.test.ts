/**
 * The TLS override replaces one method of node-zookeeper-client's ConnectionManager
 * (src/coordination/zk-socket.ts). These tests fail loudly when the library changes under it:
 * another version, a renamed method, or a `connect` that no longer opens its socket the way the
 * override copies.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zk from 'node-zookeeper-client';
import { assertZkLibrary, useTls, ZK_LIBRARY_VERSION, zkLibraryProblems } from '../../../src/coordination/zk-socket';
import { waitFor } from '../../helpers/wait';

const LIB = path.dirname(require.resolve('node-zookeeper-client/package.json'));

describe('the node-zookeeper-client the TLS override was reviewed against', () => {
  it('is the installed version, pinned exactly in package.json', () => {
    const installed = (JSON.parse(fs.readFileSync(path.join(LIB, 'package.json'), 'utf8')) as { version: string }).version;
    const pinned = (JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { dependencies: Record<string, string> })
      .dependencies['node-zookeeper-client'];
    expect(installed).toBe(ZK_LIBRARY_VERSION);
    expect(pinned).toBe(ZK_LIBRARY_VERSION);
    expect(() => assertZkLibrary()).not.toThrow();
  });

  it('still opens its socket in ConnectionManager.prototype.connect exactly as the override copies it', () => {
    const src = fs.readFileSync(path.join(LIB, 'lib', 'ConnectionManager.js'), 'utf8');
    const start = src.indexOf('ConnectionManager.prototype.connect = function () {');
    expect(start).toBeGreaterThan(0);
    const body = src.slice(start, src.indexOf('\n};', start)).replace(/\s+/g, ' ');
    // The steps the override repeats (over tls.connect, with 'connect' replaced by 'secureConnect').
    expect(body).toBe(
      'ConnectionManager.prototype.connect = function () { var self = this; self.setState(STATES.CONNECTING); ' +
        'self.findNextServer(function (server) { self.socket = net.connect(server); ' +
        'self.connectTimeoutHandler = setTimeout( self.onSocketConnectTimeout.bind(self), self.connectTimeout ); ' +
        '// Disable the Nagle algorithm. self.socket.setNoDelay(); ' +
        "self.socket.on('connect', self.onSocketConnected.bind(self)); self.socket.on('data', self.onSocketData.bind(self)); " +
        "self.socket.on('drain', self.onSocketDrain.bind(self)); self.socket.on('close', self.onSocketClosed.bind(self)); " +
        "self.socket.on('error', self.onSocketError.bind(self)); });",
    );
    // onSocketConnectTimeout only destroys the socket (the override's own timer does the same).
    const timeout = src.slice(src.indexOf('ConnectionManager.prototype.onSocketConnectTimeout'), src.indexOf('ConnectionManager.prototype.onSocketConnected'));
    expect(timeout.replace(/\/\/.*\n/g, '').replace(/\s+/g, ' ')).toContain('{ this.socket.destroy(); }');
  });

  it('keeps the client to connection-manager link the override patches', () => {
    const client = zk.createClient('127.0.0.1:1', { retries: 0 });
    const cm = (client as unknown as { connectionManager?: Record<string, unknown> }).connectionManager;
    expect(cm).toBeDefined();
    expect(typeof cm?.connect).toBe('function');
    expect(typeof cm?.connectTimeout).toBe('number');
  });
});

describe('useTls', () => {
  it('replaces connect on that one client only, and a failed attempt is reported and retried', async () => {
    const plain = zk.createClient('127.0.0.1:1', { retries: 0 });
    const client = zk.createClient('127.0.0.1:1', { retries: 0, spinDelay: 10 });
    const failures: { message: string; peer: string; started: boolean }[] = [];
    let attempts = 0;
    useTls(client, {
      options: () => {
        attempts += 1;
        throw new Error('zk.tls.caFile: cannot read "/nope"');
      },
      onFailure: (err, peer, started) => failures.push({ message: err.message, peer, started }),
      onSecure: () => undefined,
    });
    const cmOf = (c: zk.Client): { connect: unknown } => (c as unknown as { connectionManager: { connect: unknown } }).connectionManager;
    expect(cmOf(client).connect).not.toBe(cmOf(plain).connect);
    const proto = Object.getPrototypeOf(cmOf(plain)) as { connect: unknown };
    expect(cmOf(plain).connect).toBe(proto.connect);
    client.connect();
    try {
      await waitFor(() => attempts >= 2, { timeoutMs: 5000, what: 'a second attempt after the failed one' });
    } finally {
      client.close();
    }
    expect(failures[0]).toEqual({ message: 'zk.tls.caFile: cannot read "/nope"', peer: '127.0.0.1:1', started: false });
  });

  it('does not report a refused TCP connection as a TLS failure (only errors during the handshake)', async () => {
    const client = zk.createClient('127.0.0.1:1', { retries: 0, spinDelay: 10 });
    const failures: string[] = [];
    let attempts = 0;
    useTls(client, {
      options: () => {
        attempts += 1;
        return {};
      },
      onFailure: (err) => failures.push(err.message),
      onSecure: () => undefined,
    });
    client.connect();
    try {
      await waitFor(() => attempts >= 3, { timeoutMs: 5000, what: 'three refused attempts' });
    } finally {
      client.close();
    }
    expect(failures).toEqual([]);
  });

  it('finds another version, a missing method or a connect that opens its socket otherwise', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const real = require(path.join(LIB, 'lib', 'ConnectionManager.js')) as { prototype: Record<string, unknown>; STATES: Record<string, number> };
    expect(zkLibraryProblems('1.1.3', real)).toEqual([]);
    expect(zkLibraryProblems('1.1.4', real)).toEqual(['version 1.1.4 (reviewed: 1.1.3)']);
    const changed = { STATES: real.STATES, prototype: { ...real.prototype, onSocketData: undefined, connect: function connect(): void {} } };
    expect(zkLibraryProblems('1.1.3', changed)).toEqual([
      'ConnectionManager.prototype.onSocketData is missing',
      'ConnectionManager.prototype.connect no longer opens its socket with net.connect(server)',
    ]);
  });
});
