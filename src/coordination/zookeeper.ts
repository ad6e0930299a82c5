/**
 * Wraps node-zookeeper-client. It turns the callback API into promises with a
 * timeout on every call, maps errors to typed ZkErrors, numbers sessions (generations) so that
 * callbacks of an old session are dropped, makes a fresh client after expiry (the library never
 * recovers an expired session), and measures liveness itself: the library has no read timeout, so
 * a silent partition would leave it "connected" while the server expires the session.
 *
 * Liveness (./liveness.ts): `lastHeardAt()` is the *send* time of the newest QUORUM request that
 * got an answer: the ensemble's leader processed it after we sent it, so the session was alive
 * there then and cannot expire before lastHeardAt + T. Only writes count (create, setData,
 * remove, multi): a follower answers reads from its own copy, and one cut off from its peers keeps
 * doing so for up to syncLimit x tickTime while the quorum may already have expired our session.
 * TLS and every other use of the library's internals: ./zk-socket.ts; SASL: ./zk-sasl.ts; a session
 * no server takes back (an ensemble that lost its data): ./refusals.ts; mkdirp and secureAcl: ./zk-acl-calls.ts.
 */
import { EventEmitter } from 'node:events';
import * as zk from 'node-zookeeper-client';
import { ZkError } from '../errors';
import type { Logger } from '../logging/logger';
import { monoNow } from '../util/clock';
import { aclFor, hasIdentity, sharedAclFor, type ZkAccess } from './acl';
import { QUORUM, isServerAnswer, mapZkError, toEvent, toMode, toStat, toZkAcl, type Callback, type ZkErr } from './zk-wire';
import { mkdirpWith, secureAclWith, type ZkCall } from './zk-acl-calls';
import type { ZkOptions } from './zk-options';
import { LivenessProbe } from './liveness';
import { ABANDON_MESSAGE, RefusalTracker } from './refusals';
import { closeClient, onSocketClose, socketOf, useTls } from './zk-socket';
import { TlsReport, type TlsFailure } from './zk-tls';
import { useSasl } from './zk-sasl';
import { SaslReport, authFailedMessage } from './zk-sasl-report';
import type { AclCheck, AclKeeper, ConnState, Coordinator, CoordinatorEvents,
  CreateMode, MultiOp, NodeStat, SaslFailure, SessionInfo, Watcher } from './types';

const AUTH_RETRY_MIN_MS = 1000;
const AUTH_RETRY_MAX_MS = 30000;

export class ZkCoordinator extends EventEmitter implements Coordinator, AclKeeper {
  private client: zk.Client | null = null;
  private gen = 0;
  private connState: ConnState = 'closed';
  private info: SessionInfo | null = null;
  private heardAt: number | null = null;
  private readonly liveness = new LivenessProbe(this);
  private readonly refusals = new RefusalTracker();
  private stopped = true;
  private authRetryMs = AUTH_RETRY_MIN_MS;
  private readonly tls: TlsReport | null;
  private readonly sasl: SaslReport;
  private readonly log: Logger;
  private readonly access: ZkAccess;
  private readonly acl: zk.ACL[];
  private readonly sharedAcl: zk.ACL[];
  /** `call<T>` for ./zk-acl-calls.ts (made once, not per call). */
  private readonly bounded: ZkCall = (op, path, fn, quorum) => this.call(op, path, fn, quorum);

  constructor(private readonly opts: ZkOptions) {
    super();
    this.log = opts.logger;
    this.access = opts.access ?? { auth: '', worldRead: true };
    this.acl = toZkAcl(aclFor(this.access));
    this.sharedAcl = toZkAcl(sharedAclFor(this.access));
    this.tls = opts.tls ? new TlsReport(opts.tls, this.log) : null;
    this.sasl = new SaslReport(opts.sasl, this.log);
  }

  get authenticated(): boolean {
    return hasIdentity(this.access);
  }

  /** The last failed TLS connection attempt; null once a handshake succeeds (or without TLS). */
  tlsStatus(): TlsFailure | null {
    return this.tls?.current() ?? null;
  }

  /** The last failed SASL authentication (or a server requiring it); null once one succeeds. */
  saslStatus(): SaslFailure | null {
    return this.sasl.current();
  }

  get state(): ConnState {
    return this.connState;
  }
  get generation(): number {
    return this.gen;
  }
  session(): SessionInfo | null {
    return this.info;
  }
  lastHeardAt(): number | null {
    return this.heardAt;
  }
  /** The current session's id and password: a credential, only for the crash hand-off (./crash-handoff.ts). */
  sessionCredentials(): { id: Buffer; password: Buffer; timeoutMs: number } | null {
    return this.info && this.client ? { id: this.client.getSessionId(), password: this.client.getSessionPassword(), timeoutMs: this.info.timeoutMs } : null;
  }

  /** Effective timings for the negotiated (or requested) session timeout. */
  timings(): { sessionTimeoutMs: number; pingIntervalMs: number; requestTimeoutMs: number } {
    const t = this.info?.timeoutMs ?? this.opts.sessionTimeoutMs;
    return { sessionTimeoutMs: t, ...this.opts.timings(t) };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.newClient();
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.liveness.stop();
    const client = this.client;
    this.client = null;
    this.gen += 1; // drop every callback still pending
    const wasConnected = this.connState === 'connected';
    this.setState('closed', this.gen);
    if (client) await closeClient(client, wasConnected);
  }

  forceReconnect(reason: string): void {
    this.liveness.markUnconnected();
    this.log.warn('forcing a reconnect to ZooKeeper', { event: 'zk.force_reconnect', reason });
    socketOf(this.client)?.destroy();
  }

  // ---- calls ---------------------------------------------------------------------------------

  create(path: string, data: Buffer, mode: CreateMode): Promise<string> {
    return this.call<string>('create', path, (c, cb) => c.create(path, data, this.acl, toMode(mode), cb), QUORUM);
  }

  async exists(path: string, watch?: Watcher): Promise<NodeStat | null> {
    const w = this.wrapWatch(watch);
    const stat = await this.call<zk.Stat | null>('exists', path, (c, cb) =>
      w ? c.exists(path, w, cb as Callback<zk.Stat>) : c.exists(path, cb as Callback<zk.Stat>),
    );
    return stat ? toStat(stat) : null;
  }

  async getData(path: string, watch?: Watcher): Promise<{ data: Buffer; stat: NodeStat }> {
    const w = this.wrapWatch(watch);
    const r = await this.call<{ data: Buffer; stat: zk.Stat }>('getData', path, (c, cb) => {
      const done = (err: ZkErr, data: Buffer, stat: zk.Stat): void => cb(err, { data: data ?? Buffer.alloc(0), stat });
      if (w) c.getData(path, w, done);
      else c.getData(path, done);
    });
    return { data: r.data, stat: toStat(r.stat) };
  }

  getChildren(path: string, watch?: Watcher): Promise<string[]> {
    const w = this.wrapWatch(watch);
    return this.call<string[]>('getChildren', path, (c, cb) => {
      const done = (err: ZkErr, children: string[]): void => cb(err, children);
      if (w) c.getChildren(path, w, done);
      else c.getChildren(path, done);
    });
  }

  async setData(path: string, data: Buffer, version = -1): Promise<NodeStat> {
    const s = await this.call<zk.Stat>('setData', path, (c, cb) => c.setData(path, data, version, cb), QUORUM);
    return toStat(s);
  }

  remove(path: string, version = -1): Promise<void> {
    return this.call<void>('remove', path, (c, cb) => c.remove(path, version, (err) => cb(err, undefined)), QUORUM);
  }

  /** Creates the missing znodes of `path` one by one, shared ancestors with the shared ACL (./zk-acl-calls.ts). */
  mkdirp(path: string): Promise<void> {
    return mkdirpWith(this.bounded, path, this.opts.sharedPath ?? '', this.acl, this.sharedAcl);
  }

  /** Set our ACL on a znode created without it, where its ACL lets us (./zk-acl-calls.ts). */
  secureAcl(path: string): Promise<AclCheck> {
    return secureAclWith(this.bounded, path, this.access, this.acl);
  }

  async multi(ops: MultiOp[]): Promise<void> {
    const first = ops[0]?.path ?? '/';
    await this.call<unknown>('multi', first, (c, cb) => {
      let tx = c.transaction();
      for (const o of ops) {
        if (o.op === 'create') tx = tx.create(o.path, o.data, this.acl, toMode(o.mode));
        else if (o.op === 'setData') tx = tx.setData(o.path, o.data, o.version);
        else if (o.op === 'remove') tx = tx.remove(o.path, o.version);
        else tx = tx.check(o.path, o.version);
      }
      tx.commit((err: ZkErr, results: unknown) => cb(err, results));
    }, QUORUM);
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * One request with a timeout. `quorum`: the request is a write, processed by the ensemble's
   * leader, so its answer proves the session alive there (see lastHeardAt); reads do not.
   */
  private call<T>(op: string, path: string, fn: (client: zk.Client, cb: Callback<T>) => void, quorum = false): Promise<T> {
    const client = this.client;
    const gen = this.gen;
    if (!client || this.stopped) {
      return Promise.reject(new ZkError('ZK_CLOSED', `${op} ${path}: coordinator is closed`, op, path));
    }
    const timeoutMs = this.timings().requestTimeoutMs;
    const sentAt = monoNow();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new ZkError('ZK_TIMEOUT', `${op} ${path}: no reply within ${timeoutMs} ms`, op, path));
      }, timeoutMs);
      try {
        fn(client, (err, result) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (gen !== this.gen) {
            reject(new ZkError('ZK_SESSION_EXPIRED', `${op} ${path}: reply belongs to an old session`, op, path));
            return;
          }
          if (quorum && (!err || isServerAnswer(err))) this.markHeard(sentAt, gen);
          if (err) reject(mapZkError(err, op, path));
          else resolve(result);
        });
      } catch (err) {
        // The library throws synchronously on bad arguments.
        settled = true;
        clearTimeout(timer);
        reject(mapZkError(err, op, path));
      }
    });
  }

  private wrapWatch(watch: Watcher | undefined): ((e: zk.Event) => void) | undefined {
    if (!watch) return undefined;
    const gen = this.gen;
    return (e: zk.Event) => {
      if (gen !== this.gen) return; // stale: belongs to an old session
      watch(toEvent(e));
    };
  }

  private markHeard(sentAt: number, gen: number): void {
    if (gen !== this.gen) return;
    if (this.heardAt === null || sentAt > this.heardAt) {
      this.heardAt = sentAt;
      this.emit('heard', sentAt, gen);
    }
  }

  private setState(state: ConnState, gen: number): void {
    if (this.connState === state) return;
    const from = this.connState;
    this.connState = state;
    if (state !== 'connected') this.liveness.markUnconnected();
    this.log.info(`zookeeper ${state}`, { event: `zk.${state}`, from, generation: gen, sessionId: this.info?.sessionId });
    this.emit('state', state, gen);
  }

  private newClient(): void {
    const gen = ++this.gen;
    this.info = null;
    this.refusals.connected();
    this.heardAt = null;
    const client = zk.createClient(this.opts.connect, {
      sessionTimeout: this.opts.sessionTimeoutMs,
      spinDelay: this.opts.spinDelayMs,
      retries: 0, // >0 re-sends creates after CONNECTION_LOSS: duplicate sequential znodes
    });
    this.client = client;
    if (this.tls) useTls(client, this.tls.hooks(() => gen === this.gen));
    useSasl(client, this.sasl.hooks(() => gen === this.gen)); // also without zk.sasl: a server requiring SASL
    // Credentials go with the client: it sends them right after every (re)connect handshake.
    if (this.access.auth !== '') client.addAuthInfo('digest', Buffer.from(this.access.auth, 'utf8'));
    client.on('state', (s: zk.State) => {
      if (gen !== this.gen) return;
      this.onClientState(s, gen, client);
    });
    onSocketClose(client, (opened) => {
      if (gen === this.gen && opened) this.onServerClose(gen, client);
    });
    this.setState('connecting', gen);
    client.connect();
    this.liveness.schedule();
  }

  /** A server closed a connection: a live one lost, or a handshake refused (./refusals.ts). */
  private onServerClose(gen: number, client: zk.Client): void {
    const now = monoNow();
    if (this.connState === 'connected') this.refusals.lost(now);
    else if (this.info && this.refusals.refused(now, this.info.timeoutMs)) {
      this.log.warn(ABANDON_MESSAGE, { event: 'zk.session_abandoned', sessionId: this.info.sessionId, ...this.refusals.summary(now) });
      this.renew(gen, client);
    }
  }

  /** The session is over (expired, or given up): close its client and start a fresh one. */
  private renew(gen: number, client: zk.Client): void {
    this.setState('expired', gen);
    void closeClient(client, false);
    if (!this.stopped) setImmediate(() => !this.stopped && gen === this.gen && this.newClient());
  }

  private onClientState(s: zk.State, gen: number, client: zk.Client): void {
    if (s === zk.State.SYNC_CONNECTED) {
      this.authRetryMs = AUTH_RETRY_MIN_MS;
      this.refusals.connected();
      const sessionId = client.getSessionId().toString('hex');
      if (!this.info || this.info.sessionId !== sessionId) {
        this.info = { generation: gen, sessionId, timeoutMs: client.getSessionTimeout() };
        this.setState('connected', gen);
        const timeouts = { negotiatedTimeoutMs: this.info.timeoutMs, requestedTimeoutMs: this.opts.sessionTimeoutMs };
        this.log.info('zookeeper session established', { event: 'zk.session', sessionId, generation: gen, ...timeouts });
        this.emit('session', this.info);
      } else {
        this.setState('connected', gen);
      }
      // Prove the connection at once rather than trusting the state flag.
      this.liveness.schedule(0);
    } else if (s === zk.State.DISCONNECTED || s === zk.State.CONNECTED_READ_ONLY) {
      this.setState('disconnected', gen);
    } else if (s === zk.State.EXPIRED) {
      this.renew(gen, client);
    } else if (s === zk.State.AUTH_FAILED) {
      // The server refused the credentials and dropped the session. Nothing here can fix that;
      // retry slower and slower (an operator may be fixing the server) and say what to check.
      const retryMs = this.authRetryMs;
      this.authRetryMs = Math.min(AUTH_RETRY_MAX_MS, retryMs * 2);
      const message = authFailedMessage(this.sasl.current(), this.access.auth !== '');
      this.log.error(`${message}; retrying in ${retryMs} ms`, { event: 'zk.auth_failed', retryMs });
      this.setState('expired', gen);
      client.close();
      this.emit('authFailed', message);
      if (!this.stopped) setTimeout(() => !this.stopped && this.newClient(), retryMs);
    }
  }

  override on<E extends keyof CoordinatorEvents>(event: E, listener: CoordinatorEvents[E]): this {
    return super.on(event, listener);
  }
  override off<E extends keyof CoordinatorEvents>(event: E, listener: CoordinatorEvents[E]): this {
    return super.off(event, listener);
  }
}
