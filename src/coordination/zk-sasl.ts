/**
 * SASL DIGEST-MD5 for node-zookeeper-client 1.1.3, which has no SASL: a runtime override of two
 * methods ON ONE CLIENT'S connection manager (the prototype is untouched), in the style of the TLS
 * override (./zk-socket.ts) and pinned the same way (`saslOverrideProblems`, checked before every
 * client and by test/unit/coordination/zk-sasl.test.ts).
 *
 * Why an override: ZooKeeper (sessionRequireClientSASLAuth, or enforce.auth.schemes=sasl) closes a
 * session whose first request is not SASL, and the library sends its queued auth and SetWatches
 * packets (and every call made meanwhile) right after the ConnectResponse; it also has no reply
 * type for op 102 (sasl). ZooKeeper's own Java client (ClientCnxn) holds every other packet while
 * SASL runs. So does this override:
 *
 * - `onSocketConnected` (the library's: write ConnectRequest, queue auth and SetWatches) runs as
 *   before; the override then waits for the ConnectResponse itself.
 * - `onSocketData` frames the bytes itself until SASL is done: the ConnectResponse is HELD, not
 *   given to the library (which would mark the connection usable and flush its queue); the SASL
 *   exchange runs on the socket (requests with op 102 and the library's next xids: an empty token,
 *   the digest-response; replies SetSASLResponse); the server's rspauth is checked; then the held
 *   ConnectResponse (and whatever followed it) goes to the library, which proceeds as usual.
 * - A refusal (the server's error code) or an rspauth that does not prove the server knows the
 *   password: the socket is destroyed and the connection manager set to AUTHENTICATION_FAILED, so
 *   the client emits AUTH_FAILED (the coordinator retries with backoff). No answer within the
 *   connect timeout: the socket is destroyed and the library reconnects as after any failure.
 *
 * With or without credentials, the override also guards the library against the reply code
 * SESSIONCLOSEDREQUIRESASLAUTH (-124), which it does not know: `Exception.create` throws "Unknown
 * code: -124" inside the socket's data handler, an uncaught exception that would end the process.
 * That reply means the server requires SASL: reported as such, and AUTHENTICATION_FAILED.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as zk from 'node-zookeeper-client';
import { ConfigError, errorMessage } from '../errors';
import type { DigestState } from './sasl-digest';
import { ZK_LIBRARY_VERSION, connectionManagerModule, zkLibraryProblems, type InternalConnectionManager } from './zk-socket';

const OP_SASL = 102;
/** ZooKeeper's KeeperException codes the library does not know. */
export const SESSION_CLOSED_REQUIRE_SASL_AUTH = -124;
const CODE_NAMES: Record<number, string> = { [-115]: 'AUTH_FAILED', [SESSION_CLOSED_REQUIRE_SASL_AUTH]: 'SESSIONCLOSEDREQUIRESASLAUTH' };

export function codeName(code: number): string {
  return `${CODE_NAMES[code] ?? 'error'} (${code})`;
}

interface SaslConnectionManager extends InternalConnectionManager {
  xid: number;
}

/** Why a connection's SASL step failed, for the report (./zk-sasl-report.ts). */
export interface SaslAttemptFailure {
  peer: string;
  /** refused: the server's error reply; sasl-required: a client without SASL on a server that
   * requires it; server-unproven: bad rspauth; protocol: an answer we cannot use; timeout. */
  reason: 'refused' | 'sasl-required' | 'server-unproven' | 'protocol' | 'timeout';
  /** The server's error code, if it sent one. */
  code: number | null;
  detail: string;
}

export interface SaslHooks {
  /** DIGEST-MD5 credentials; null = no SASL (only the -124 guard). Read on every connection. */
  credentials: () => { user: string; password: string } | null;
  onFailure: (f: SaslAttemptFailure) => void;
  /** SASL succeeded on a connection to `peer`. */
  onSuccess: (peer: string) => void;
}

/** What differs from the library the SASL override was reviewed against (empty = nothing). */
export function saslOverrideProblems(version: string | undefined, cm: { prototype: Record<string, unknown>; STATES?: Record<string, number> }): string[] {
  const problems = zkLibraryProblems(version, cm);
  if (typeof cm.STATES?.AUTHENTICATION_FAILED !== 'number') problems.push('ConnectionManager.STATES.AUTHENTICATION_FAILED is missing');
  const data = String(cm.prototype.onSocketData);
  for (const step of ['if (self.state === STATES.CONNECTING) {', 'connectResponse.deserialize(buffer, offset)', 'self.setState(STATES.CONNECTED);', 'self.onPacketQueueReadable();']) {
    if (!data.includes(step)) problems.push(`ConnectionManager.prototype.onSocketData no longer has \`${step}\``);
  }
  const connected = String(cm.prototype.onSocketConnected);
  if (!connected.includes('this.socket.write(connectRequest.toBuffer())')) problems.push('ConnectionManager.prototype.onSocketConnected no longer writes the ConnectRequest itself');
  const readable = String(cm.prototype.onPacketQueueReadable);
  if (!readable.includes('header.xid = this.xid;')) problems.push('ConnectionManager.prototype.onPacketQueueReadable no longer numbers packets from this.xid');
  return problems;
}

const LIBRARY_DIR = path.dirname(require.resolve('node-zookeeper-client/package.json'));

/** What differs in the installed library (empty = the reviewed one). */
function installedProblems(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(LIBRARY_DIR, 'package.json'), 'utf8')) as { version?: string };
  return saslOverrideProblems(pkg.version, connectionManagerModule());
}

/** Throws a ConfigError naming zk.sasl.user unless the library is the one the override was reviewed against. */
export function assertSaslOverride(problems: readonly string[] = installedProblems()): void {
  if (problems.length > 0) {
    throw new ConfigError(
      `zk.sasl.user: node-zookeeper-client changed under the SASL override (src/coordination/zk-sasl.ts): ${problems.join('; ')}. ` +
        `Review the override, or install node-zookeeper-client@${ZK_LIBRARY_VERSION}`,
      'zk.sasl.user',
    );
  }
}

/** A sasl request packet: length, RequestHeader {xid, type 102}, GetSASLRequest {token}. */
export function saslRequest(xid: number, token: Buffer): Buffer {
  const b = Buffer.alloc(16 + token.length);
  b.writeInt32BE(b.length - 4, 0);
  b.writeInt32BE(xid, 4);
  b.writeInt32BE(OP_SASL, 8);
  b.writeInt32BE(token.length, 12);
  token.copy(b, 16);
  return b;
}

/** A reply frame's body (length stripped): ReplyHeader {xid, zxid, err}, then SetSASLResponse {token}. */
export function parseSaslReply(body: Buffer): { xid: number; err: number; token: Buffer | null } {
  if (body.length < 16) return { xid: body.length >= 4 ? body.readInt32BE(0) : 0, err: body.length >= 16 ? body.readInt32BE(12) : 0, token: null };
  const xid = body.readInt32BE(0);
  const err = body.readInt32BE(12);
  if (body.length < 20) return { xid, err, token: null };
  const len = body.readInt32BE(16);
  return { xid, err, token: len < 0 ? null : body.subarray(20, 20 + len) };
}

/** DIGEST-MD5 (./sasl-digest.ts), loaded at the first challenge: a server that needs no SASL never sends one. */
function digestMd5(): typeof import('./sasl-digest') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./sasl-digest') as typeof import('./sasl-digest');
}

/**
 * Install the override on this client (before `client.connect()`). With `hooks.credentials()`
 * null it only guards against the -124 reply (see the header), and a library that changed is left
 * alone (the guard is not worth refusing to run); with credentials a changed library is a
 * ConfigError.
 */
export function useSasl(client: zk.Client, hooks: SaslHooks): void {
  const problems = installedProblems();
  if (problems.length > 0 && hooks.credentials() === null) return;
  assertSaslOverride(problems);
  const cm = (client as unknown as { connectionManager?: SaslConnectionManager }).connectionManager;
  const AUTH_FAILED = connectionManagerModule().STATES?.AUTHENTICATION_FAILED;
  if (!cm || AUTH_FAILED === undefined) throw new Error('node-zookeeper-client: no connection manager on the client');
  const libConnected = cm.onSocketConnected;
  const libData = cm.onSocketData;

  // One connection's SASL state.
  let phase: 'off' | 'connect' | 'sasl' = 'off';
  let buf = Buffer.alloc(0);
  let held: Buffer | null = null;
  let creds: { user: string; password: string } | null = null;
  let digest: DigestState | null = null;
  let xid = 0;
  let timer: NodeJS.Timeout | undefined;
  let peer = '?'; // host:port of this connection (read at connect: a closed socket forgets it)
  // A function, not a comparison: fail() (called below) changes `phase` behind the type checker's back.
  const off = (): boolean => phase === 'off';

  const send = (m: SaslConnectionManager, token: Buffer): void => {
    xid = m.xid;
    m.xid += 1;
    m.socket?.write(saslRequest(xid, token));
  };
  const fail = (m: SaslConnectionManager, f: Omit<SaslAttemptFailure, 'peer'>, fatal: boolean): void => {
    phase = 'off';
    held = null;
    buf = Buffer.alloc(0);
    clearTimeout(timer);
    hooks.onFailure({ ...f, peer });
    // Destroy first: the state change makes owners close the client, which flushes the queue.
    m.socket?.destroy();
    if (fatal) m.setState(AUTH_FAILED);
  };

  cm.onSocketConnected = function saslConnected(this: SaslConnectionManager): void {
    creds = hooks.credentials();
    peer = `${this.socket?.remoteAddress ?? '?'}:${this.socket?.remotePort ?? '?'}`;
    phase = creds ? 'connect' : 'off';
    buf = Buffer.alloc(0);
    held = null;
    digest = null;
    clearTimeout(timer);
    libConnected.call(this);
    if (phase === 'off') return;
    const socket = this.socket;
    timer = setTimeout(() => {
      if (phase !== 'off' && this.socket === socket) {
        fail(this, { reason: 'timeout', code: null, detail: `no SASL answer within ${this.connectTimeout} ms` }, false);
      }
    }, this.connectTimeout);
    timer.unref();
  };

  const onReply = (m: SaslConnectionManager, body: Buffer): void => {
    const r = parseSaslReply(body);
    if (r.xid !== xid) {
      fail(m, { reason: 'protocol', code: null, detail: `a reply to xid ${r.xid} while waiting for the SASL reply ${xid}` }, false);
      return;
    }
    if (r.err !== 0) {
      fail(m, { reason: 'refused', code: r.err, detail: `the server refused the credentials: ${codeName(r.err)}` }, true);
      return;
    }
    const token = r.token?.toString('utf8') ?? '';
    if (digest === null) {
      if (token === '') {
        fail(m, { reason: 'protocol', code: null, detail: 'the server sent no DIGEST-MD5 challenge: is SASL configured on it (authProvider.sasl, a JAAS Server section)?' }, true);
        return;
      }
      try {
        const res = digestMd5().digestResponse(token, creds!);
        digest = res.state;
        send(m, res.token);
      } catch (err) {
        fail(m, { reason: 'protocol', code: null, detail: `cannot answer the server's DIGEST-MD5 challenge: ${errorMessage(err)}` }, true);
      }
      return;
    }
    if (!digestMd5().verifyRspauth(token, digest)) {
      fail(m, { reason: 'server-unproven', code: null, detail: 'the server\'s rspauth does not prove that it knows the password (a server with another user database, or not the server we meant)' }, true);
      return;
    }
    phase = 'off';
    clearTimeout(timer);
    hooks.onSuccess(peer);
  };

  cm.onSocketData = function saslData(this: SaslConnectionManager, data: Buffer): void {
    if (phase === 'off') {
      guarded(this, data);
      return;
    }
    buf = Buffer.concat([buf, data]);
    while (!off() && buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const size = buf.readInt32BE(0);
      const frame = buf.subarray(0, 4 + size);
      buf = buf.subarray(4 + size);
      if (phase === 'connect') {
        // ConnectResponse {protocolVersion, timeOut, ...}: timeOut <= 0 = session expired, the library's case.
        if (size < 8 || frame.readInt32BE(8) <= 0) {
          phase = 'off';
          clearTimeout(timer);
          held = frame;
          break;
        }
        held = frame;
        phase = 'sasl';
        send(this, Buffer.alloc(0)); // DIGEST-MD5 has no initial response: the server challenges
      } else {
        onReply(this, frame.subarray(4));
      }
    }
    if (off() && held !== null) {
      const rest = Buffer.concat([held, buf]);
      held = null;
      buf = Buffer.alloc(0);
      guarded(this, rest);
    }
  };

  /** The library's data handler, minus the uncaught "Unknown code: -124" (see the header). */
  function guarded(m: SaslConnectionManager, data: Buffer): void {
    try {
      libData.call(m, data);
    } catch (err) {
      if (!(err instanceof Error) || err.message !== `Unknown code: ${SESSION_CLOSED_REQUIRE_SASL_AUTH}`) throw err;
      const detail = creds
        ? `the server closed the session: it requires SASL authentication (${codeName(SESSION_CLOSED_REQUIRE_SASL_AUTH)})`
        : `the server requires SASL authentication and closed the session (${codeName(SESSION_CLOSED_REQUIRE_SASL_AUTH)})`;
      fail(m, { reason: 'sasl-required', code: SESSION_CLOSED_REQUIRE_SASL_AUTH, detail }, true);
    }
  }
}
