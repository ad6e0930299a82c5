/**
 * Closing a dead controller's session from outside it (docs/safety.md, "A crashed controller's
 * session, closed by its shim"): reattach to the session with its id and password (a raw
 * ConnectRequest, no library: the closer is a short-lived process and must start fast), run a step
 * while the session is held, then send CloseSession (op -11), which deletes its ephemeral znodes at
 * once. A session the server no longer knows (expired, closed, wrong password) is refused with a
 * ConnectResponse of timeout 0: then nothing is run and nothing is closed.
 *
 * Also the hand-off the controller gives its shim (`S <base64 JSON>` on the shim's stdin): the
 * session's id and password travel only on pipes, never in an environment, argv or log line.
 */
import * as net from 'node:net';
import type { ZkTlsSettings } from './zk-tls';

/** What the closer needs to know; the controller sends it to its shim, the shim to the closer. */
export interface SessionHandoff {
  v: 1;
  connect: string;
  /** Hex session id (16 digits). */
  sessionId: string;
  /** Base64 session password (a credential: never logged). */
  password: string;
  /**
   * The session's negotiated timeout: a reattach asks for exactly this one, as a ConnectRequest
   * renegotiates the session's timeout (asking for more would keep a session the closer then
   * cannot close alive for longer than T).
   */
  sessionTimeoutMs: number;
  tls: ZkTlsSettings | null;
  /** zk.auth digest credentials `user:password`, '' = none (a credential: never logged). */
  auth: string;
  home: string;
  epoch: number;
  nodeId: string;
  /** The controller's pid and its start time (field 22 of /proc/<pid>/stat): its identity. */
  controllerPid: number;
  controllerStart: string;
  /** How long the closer waits for Jenkins' process group to be gone. */
  waitMs: number;
  /** Deadline of the lock write (lock.ioTimeoutMs). */
  ioTimeoutMs: number;
}

export function encodeHandoff(h: SessionHandoff): string {
  return Buffer.from(JSON.stringify(h), 'utf8').toString('base64');
}

/** Null when the line is not a hand-off of this version (the closer then does nothing). */
export function decodeHandoff(text: string): SessionHandoff | null {
  try {
    const v = JSON.parse(Buffer.from(text.trim(), 'base64').toString('utf8')) as Partial<SessionHandoff>;
    if (v.v !== 1 || typeof v.connect !== 'string' || typeof v.sessionId !== 'string' || !/^[0-9a-f]{16}$/.test(v.sessionId)) return null;
    if (typeof v.password !== 'string' || typeof v.home !== 'string' || typeof v.epoch !== 'number' || typeof v.nodeId !== 'string') return null;
    if (typeof v.controllerPid !== 'number' || typeof v.controllerStart !== 'string' || typeof v.waitMs !== 'number') return null;
    if (typeof v.sessionTimeoutMs !== 'number' || !Number.isInteger(v.sessionTimeoutMs) || v.sessionTimeoutMs <= 0) return null;
    return { auth: '', tls: null, ioTimeoutMs: 2000, ...v } as SessionHandoff;
  } catch {
    return null;
  }
}

/** host:port entries of a connect string (the chroot suffix does not matter to a session). */
export function connectServers(connect: string): Array<{ host: string; port: number }> {
  const hosts = connect.split('/')[0] ?? '';
  return hosts
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(s);
      return { host: m?.[1] ?? s, port: m?.[2] ? Number(m[2]) : 2181 };
    });
}

const CLOSE_SESSION = -11;
const AUTH = 100;
const AUTH_XID = -4;

/** ConnectRequest reattaching to `sessionId` (length-prefixed, as on the wire). */
export function connectPacket(sessionId: Buffer, password: Buffer, timeoutMs: number): Buffer {
  const body = Buffer.alloc(4 + 8 + 4 + 8 + 4 + password.length + 1);
  let o = body.writeInt32BE(0, 0); // protocolVersion
  o = body.writeBigInt64BE(0n, o); // lastZxidSeen: 0 is never ahead of the server
  o = body.writeInt32BE(timeoutMs, o);
  o += sessionId.copy(body, o);
  o = body.writeInt32BE(password.length, o);
  o += password.copy(body, o);
  body.writeUInt8(0, o); // readOnly: false
  return frame(body);
}

export function closePacket(xid: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeInt32BE(xid, 0);
  body.writeInt32BE(CLOSE_SESSION, 4);
  return frame(body);
}

/** AuthPacket (digest), sent before the close where the server enforces authentication. */
export function authPacket(auth: string): Buffer {
  const scheme = Buffer.from('digest', 'utf8');
  const cred = Buffer.from(auth, 'utf8');
  const body = Buffer.alloc(8 + 4 + 4 + scheme.length + 4 + cred.length);
  let o = body.writeInt32BE(AUTH_XID, 0);
  o = body.writeInt32BE(AUTH, o);
  o = body.writeInt32BE(0, o); // type
  o = body.writeInt32BE(scheme.length, o);
  o += scheme.copy(body, o);
  o = body.writeInt32BE(cred.length, o);
  cred.copy(body, o);
  return frame(body);
}

function frame(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length, 0);
  return Buffer.concat([len, body]);
}

export type CloseResult =
  /** The session was alive, the step ran and said go, CloseSession was answered. */
  | { kind: 'closed'; server: string }
  /** Every server said the session is gone (expired or closed already): nothing to do. */
  | { kind: 'gone'; server: string }
  /** The step ran while the session was held and said not to close. */
  | { kind: 'kept'; server: string; why: string }
  /** No server could be asked (refused, TLS failed, timed out). */
  | { kind: 'unreachable'; why: string };

export interface CloseOptions {
  servers: Array<{ host: string; port: number }>;
  sessionId: Buffer;
  password: Buffer;
  /** The session timeout asked for in the ConnectRequest (any positive value). */
  timeoutMs: number;
  tls: ZkTlsSettings | null;
  auth: string;
  /** Per-server deadline of the connect and of the close. */
  stepTimeoutMs: number;
  /** Runs while the session is held; resolves with null to close, or why not. */
  whileAttached: () => Promise<string | null>;
}

/** Reattach to the session on the first server that answers, run the step, close. */
export async function attachAndClose(o: CloseOptions): Promise<CloseResult> {
  const why: string[] = [];
  for (const s of o.servers) {
    const r = await onServer(o, s).catch((err: Error) => ({ kind: 'unreachable' as const, why: `${s.host}:${s.port}: ${err.message}` }));
    if (r.kind !== 'unreachable') return r;
    why.push(r.why);
  }
  return { kind: 'unreachable', why: why.join('; ') || 'no server in zk.connect' };
}

/** Reads whole frames off a socket, one at a time, each within a deadline. */
class Frames {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private ended: Error | null = null;

  constructor(sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    const end = (err?: Error): void => {
      this.ended ??= err ?? new Error('the server closed the connection');
      this.waiter?.();
    };
    sock.on('close', () => end());
    sock.on('error', (err) => end(err));
  }

  async next(timeoutMs: number): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= 4) {
        const n = this.buf.readInt32BE(0);
        if (this.buf.length >= 4 + n) {
          const f = this.buf.subarray(4, 4 + n);
          this.buf = this.buf.subarray(4 + n);
          return f;
        }
      }
      if (this.ended) throw this.ended;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
  }
}

async function open(o: CloseOptions, s: { host: string; port: number }): Promise<net.Socket> {
  // TLS is loaded only when used: the closer's start-up is on the takeover's path.
  const secure = o.tls ? { tls: await import('node:tls'), options: (await import('./zk-tls')).tlsOptions(o.tls, s.host) } : null;
  return new Promise((resolve, reject) => {
    const sock = secure ? secure.tls.connect({ ...secure.options, host: s.host, port: s.port }) : net.connect({ host: s.host, port: s.port });
    const t = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no connection within ${o.stepTimeoutMs} ms`));
    }, o.stepTimeoutMs);
    sock.once(o.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(t);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
  });
}

async function onServer(o: CloseOptions, s: { host: string; port: number }): Promise<CloseResult> {
  const server = `${s.host}:${s.port}`;
  const sock = await open(o, s);
  const frames = new Frames(sock);
  try {
    sock.write(connectPacket(o.sessionId, o.password, o.timeoutMs));
    const resp = await frames.next(o.stepTimeoutMs);
    // ConnectResponse: protocolVersion, timeOut, sessionId, passwd: timeout 0 = no such session.
    if (resp.length < 16 || resp.readInt32BE(4) <= 0) return { kind: 'gone', server };
    if (o.auth !== '') {
      sock.write(authPacket(o.auth));
      const r = await frames.next(o.stepTimeoutMs);
      if (r.readInt32BE(0) !== AUTH_XID || r.readInt32BE(12) !== 0) return { kind: 'kept', server, why: 'the server refused the zk.auth credentials' };
    }
    const why = await o.whileAttached();
    if (why !== null) return { kind: 'kept', server, why };
    sock.write(closePacket(1));
    // ReplyHeader: xid, zxid, err. The server closes the socket after answering.
    const r = await frames.next(o.stepTimeoutMs);
    const err = r.length >= 16 ? r.readInt32BE(12) : -1;
    if (err !== 0) return { kind: 'unreachable', why: `${server}: CloseSession answered error ${err}` };
    return { kind: 'closed', server };
  } finally {
    sock.destroy();
  }
}
