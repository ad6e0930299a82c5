/**
 * An in-memory ZooKeeper for unit tests: one `FakeZk` (the "server": a znode tree with versions,
 * ephemeral owners, sequential counters, watches and sessions) and any number of
 * `FakeCoordinator` clients implementing the `Coordinator` contract of src/coordination/types.ts.
 *
 * Faithful where the election depends on it:
 * - sequential suffix: a 10-digit zero-padded counter per parent;
 * - ephemeral znodes belong to a session id (16 hex digits) and vanish when it expires or closes;
 * - exists/getData/getChildren watches fire once, asynchronously, and only to the current session
 *   of the client that set them (deliveries are held while that client is disconnected);
 * - multi is atomic: all ops apply or none, the error is that of the first failing op;
 * - every reply arrives in a later macrotask (setImmediate), like a network round trip.
 *
 * Test controls: `expireSession()`, `disconnect()` / `reconnect()`, `loseNextCreateReply()`,
 * `beforeNext(op, fn)`, and `FakeZk.settle()` which resolves once no request or watch delivery is
 * pending anywhere (timers are not awaited: a check that failed and waits to retry is not "busy").
 */
import { EventEmitter } from 'node:events';
import { ZkError } from '../../src/errors';
import type {
  ConnState,
  Coordinator,
  CoordinatorEvents,
  CreateMode,
  MultiOp,
  NodeStat,
  SessionInfo,
  WatchEvent,
  Watcher,
} from '../../src/coordination/types';

export type ZkErrorCode = ConstructorParameters<typeof ZkError>[0];
export type WatchKind = 'exists' | 'getData' | 'getChildren';
export type OpName = 'create' | 'exists' | 'getData' | 'getChildren' | 'setData' | 'remove' | 'mkdirp' | 'multi';

export const PERSISTENT_OWNER = '0000000000000000';

interface ZNode {
  data: Buffer;
  version: number;
  ephemeralOwner: string;
  /** Next sequential suffix for children of this znode. */
  nextSeq: number;
}

export interface WatchRegistration {
  client: string;
  sessionId: string;
  kind: WatchKind;
  path: string;
}

export interface WatchDelivery {
  client: string;
  sessionId: string;
  kind: WatchKind;
  event: WatchEvent;
}

export interface MultiRecord {
  client: string;
  sessionId: string;
  ops: MultiOp[];
}

interface ActiveWatch {
  reg: WatchRegistration;
  watcher: Watcher;
  owner: FakeCoordinator;
  generation: number;
}

type Change = { type: 'created' | 'deleted' | 'dataChanged'; path: string };

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function validPath(path: string): boolean {
  if (path === '/') return true;
  return path.startsWith('/') && !path.endsWith('/') && !path.includes('//');
}

function zkError(code: ZkErrorCode, op: string, path: string, what: string): ZkError {
  return new ZkError(code, `${op} ${path}: ${what}`, op, path);
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Applies ops to a private copy of the tree; `commit()` publishes it. Atomic multi for free. */
class Draft {
  readonly nodes: Map<string, ZNode>;
  readonly changes: Change[] = [];

  constructor(source: ReadonlyMap<string, ZNode>) {
    this.nodes = new Map();
    for (const [k, v] of source) this.nodes.set(k, { ...v });
  }

  children(path: string): string[] {
    const out: string[] = [];
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const k of this.nodes.keys()) {
      if (k !== '/' && k.startsWith(prefix) && !k.slice(prefix.length).includes('/')) out.push(k.slice(prefix.length));
    }
    return out.sort();
  }

  stat(path: string): NodeStat | null {
    const n = this.nodes.get(path);
    if (!n) return null;
    return { version: n.version, ephemeralOwner: n.ephemeralOwner, numChildren: this.children(path).length, dataLength: n.data.length };
  }

  create(op: string, path: string, data: Buffer, mode: CreateMode, sessionId: string): string {
    if (!validPath(path) || path === '/') throw zkError('ZK_ERROR', op, path, 'bad path');
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    if (!parent) throw zkError('ZK_NO_NODE', op, path, 'parent does not exist');
    if (parent.ephemeralOwner !== PERSISTENT_OWNER) throw zkError('ZK_ERROR', op, path, 'ephemerals cannot have children');
    let actual = path;
    if (mode === 'ephemeral_sequential' || mode === 'persistent_sequential') {
      actual = `${path}${String(parent.nextSeq).padStart(10, '0')}`;
      parent.nextSeq += 1;
    }
    if (this.nodes.has(actual)) throw zkError('ZK_NODE_EXISTS', op, actual, 'node exists');
    this.nodes.set(actual, {
      data: Buffer.from(data),
      version: 0,
      ephemeralOwner: mode === 'persistent' || mode === 'persistent_sequential' ? PERSISTENT_OWNER : sessionId,
      nextSeq: 0,
    });
    this.changes.push({ type: 'created', path: actual });
    return actual;
  }

  setData(op: string, path: string, data: Buffer, version: number): NodeStat {
    const n = this.nodes.get(path);
    if (!n) throw zkError('ZK_NO_NODE', op, path, 'no node');
    if (version !== -1 && version !== n.version) throw zkError('ZK_BAD_VERSION', op, path, `version ${n.version}, not ${version}`);
    n.data = Buffer.from(data);
    n.version += 1;
    this.changes.push({ type: 'dataChanged', path });
    return this.stat(path)!;
  }

  remove(op: string, path: string, version: number): void {
    const n = this.nodes.get(path);
    if (!n || path === '/') throw zkError('ZK_NO_NODE', op, path, 'no node');
    if (version !== -1 && version !== n.version) throw zkError('ZK_BAD_VERSION', op, path, `version ${n.version}, not ${version}`);
    if (this.children(path).length > 0) throw zkError('ZK_NOT_EMPTY', op, path, 'has children');
    this.nodes.delete(path);
    this.changes.push({ type: 'deleted', path });
  }

  check(op: string, path: string, version: number): void {
    const n = this.nodes.get(path);
    if (!n) throw zkError('ZK_NO_NODE', op, path, 'no node');
    if (version !== -1 && version !== n.version) throw zkError('ZK_BAD_VERSION', op, path, `version ${n.version}, not ${version}`);
  }
}

export class FakeZk {
  private nodes = new Map<string, ZNode>([['/', { data: Buffer.alloc(0), version: 0, ephemeralOwner: PERSISTENT_OWNER, nextSeq: 0 }]]);
  private watches: ActiveWatch[] = [];
  private sessionCounter = 0;
  private clientCounter = 0;
  private readonly live = new Set<string>();
  /** Requests between send and reply, and watch notifications not yet delivered. */
  private busy = 0;
  /** Every watch ever registered, in order. */
  readonly watchLog: WatchRegistration[] = [];
  /** Every watch notification delivered to a client, in order. */
  readonly deliveries: WatchDelivery[] = [];
  /** Every multi that reached the server (applied or not), in order. */
  readonly multiLog: MultiRecord[] = [];

  constructor(readonly now: () => number = () => Date.now()) {}

  client(name?: string): FakeCoordinator {
    this.clientCounter += 1;
    return new FakeCoordinator(this, name ?? `client-${this.clientCounter}`);
  }

  // ---- inspection (synchronous, no watches, no session) ---------------------------------------

  children(path: string): string[] {
    return new Draft(this.nodes).children(path);
  }
  stat(path: string): NodeStat | null {
    return new Draft(this.nodes).stat(path);
  }
  data(path: string): Buffer | null {
    const n = this.nodes.get(path);
    return n ? Buffer.from(n.data) : null;
  }
  paths(): string[] {
    return [...this.nodes.keys()].sort();
  }
  isLive(sessionId: string): boolean {
    return this.live.has(sessionId);
  }
  /** Delete a znode at once, as if another client's remove had just been applied. */
  removeNow(path: string): void {
    this.apply((d) => d.remove('remove', path, -1));
  }

  /** Watches currently armed (registered and not yet fired). */
  armedWatches(): WatchRegistration[] {
    return this.watches.map((w) => ({ ...w.reg }));
  }

  /** Resolves once no request or watch delivery is pending (checked over two macrotask turns). */
  async settle(maxTurns = 10_000): Promise<void> {
    let quiet = 0;
    for (let i = 0; i < maxTurns; i++) {
      await nextTick();
      quiet = this.busy === 0 ? quiet + 1 : 0;
      if (quiet >= 2) return;
    }
    throw new Error(`FakeZk did not settle within ${maxTurns} turns (${this.busy} pending)`);
  }

  // ---- used by FakeCoordinator ---------------------------------------------------------------

  /** @internal */
  openSession(): string {
    this.sessionCounter += 1;
    const id = (0x1000000000 + this.sessionCounter).toString(16).padStart(16, '0');
    this.live.add(id);
    return id;
  }

  /** @internal Session gone: its ephemerals are deleted (others' watches fire), its watches dropped. */
  endSession(sessionId: string): void {
    if (!this.live.delete(sessionId)) return;
    this.watches = this.watches.filter((w) => w.reg.sessionId !== sessionId);
    const draft = new Draft(this.nodes);
    for (const [path, n] of this.nodes) {
      if (n.ephemeralOwner === sessionId) draft.remove('expire', path, -1);
    }
    this.commit(draft);
  }

  /** @internal Run fn against a draft of the tree; publish it only if fn did not throw. */
  apply<T>(fn: (draft: Draft) => T): T {
    const draft = new Draft(this.nodes);
    const result = fn(draft);
    this.commit(draft);
    return result;
  }

  /** @internal */
  read<T>(fn: (draft: Draft) => T): T {
    return fn(new Draft(this.nodes));
  }

  /** @internal */
  addWatch(owner: FakeCoordinator, kind: WatchKind, path: string, watcher: Watcher): void {
    const reg: WatchRegistration = { client: owner.name, sessionId: owner.sessionId(), kind, path };
    this.watchLog.push(reg);
    // Like the ZooKeeper client: one watcher function is registered once per path and kind.
    if (this.watches.some((w) => w.watcher === watcher && w.reg.kind === kind && w.reg.path === path && w.owner === owner)) return;
    this.watches.push({ reg, watcher, owner, generation: owner.generation });
  }

  /** @internal Count p as pending work until it settles. */
  track<T>(p: Promise<T>): Promise<T> {
    this.busy += 1;
    return p.finally(() => {
      this.busy -= 1;
    });
  }

  private commit(draft: Draft): void {
    this.nodes = draft.nodes;
    for (const c of draft.changes) this.trigger(c);
  }

  private trigger(change: Change): void {
    const fire: Array<{ w: ActiveWatch; event: WatchEvent }> = [];
    const keep: ActiveWatch[] = [];
    for (const w of this.watches) {
      const { kind, path } = w.reg;
      let event: WatchEvent | null = null;
      if (path === change.path) {
        if (change.type === 'created' && kind === 'exists') event = { type: 'created', path };
        else if (change.type === 'dataChanged' && kind !== 'getChildren') event = { type: 'dataChanged', path };
        else if (change.type === 'deleted') event = { type: 'deleted', path };
      } else if (kind === 'getChildren' && path === parentOf(change.path) && change.type !== 'dataChanged') {
        event = { type: 'childrenChanged', path };
      }
      if (event) fire.push({ w, event });
      else keep.push(w);
    }
    this.watches = keep;
    for (const { w, event } of fire) void this.deliver(w, event);
  }

  private async deliver(w: ActiveWatch, event: WatchEvent): Promise<void> {
    await this.track(nextTick());
    // Held while the owner is disconnected; a held notification does not keep settle() waiting.
    await w.owner.whenConnected(w.generation);
    if (w.owner.generation !== w.generation || !this.live.has(w.reg.sessionId)) return; // stale session
    this.deliveries.push({ client: w.reg.client, sessionId: w.reg.sessionId, kind: w.reg.kind, event });
    w.watcher(event);
  }
}

interface Interceptor {
  op: OpName;
  fn: (path: string) => void;
}

export class FakeCoordinator extends EventEmitter implements Coordinator {
  private connState: ConnState = 'closed';
  private gen = 0;
  private info: SessionInfo | null = null;
  private heardAt: number | null = null;
  private started = false;
  private loseCreateReplies: boolean[] = [];
  private interceptors: Interceptor[] = [];
  private reconnectWaiters: Array<() => void> = [];
  readonly forcedReconnects: string[] = [];
  /** Negotiated session timeout reported in SessionInfo. */
  timeoutMs = 10_000;

  constructor(
    readonly server: FakeZk,
    readonly name: string,
  ) {
    super();
  }

  get state(): ConnState {
    return this.connState;
  }
  get generation(): number {
    return this.gen;
  }
  session(): SessionInfo | null {
    return this.info ? { ...this.info } : null;
  }
  /** Current session id ('' before the first session). */
  sessionId(): string {
    return this.info?.sessionId ?? '';
  }
  lastHeardAt(): number | null {
    return this.heardAt;
  }

  /** Connects and establishes a session synchronously: 'connecting', 'connected', then 'session'. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.newSession();
  }

  close(): Promise<void> {
    if (!this.started) return Promise.resolve();
    this.started = false;
    const sid = this.info?.sessionId;
    this.gen += 1;
    this.setState('closed');
    if (sid) this.server.endSession(sid);
    this.wakeReconnectWaiters();
    return Promise.resolve();
  }

  forceReconnect(reason: string): void {
    this.forcedReconnects.push(reason);
    if (this.connState !== 'connected') return;
    this.disconnect();
    this.reconnect();
  }

  // ---- test controls -------------------------------------------------------------------------

  /** The server expires our session: ephemerals deleted, 'expired', then a new session (gen + 1). */
  expireSession(opts: { renew?: boolean } = {}): void {
    const sid = this.info?.sessionId;
    if (sid) this.server.endSession(sid);
    this.setState('expired');
    this.wakeReconnectWaiters();
    if (opts.renew ?? true) this.newSession();
  }

  /** Lose the connection (same session): requests fail with ZK_CONNECTION_LOSS until reconnect(). */
  disconnect(): void {
    if (this.connState !== 'connected') return;
    this.setState('disconnected');
  }

  /** Reconnect within the same session; held watch notifications are then delivered. */
  reconnect(): void {
    if (this.connState !== 'disconnected') return;
    this.setState('connected');
    this.wakeReconnectWaiters();
  }

  /**
   * The next create reaches the server (applied unless `applied: false`) but its reply is lost:
   * the caller gets ZK_CONNECTION_LOSS.
   */
  loseNextCreateReply(opts: { applied?: boolean } = {}): void {
    this.loseCreateReplies.push(opts.applied ?? true);
  }

  /** Run fn(path) just before the next `op` of this client is applied on the server. */
  beforeNext(op: OpName, fn: (path: string) => void): void {
    this.interceptors.push({ op, fn });
  }

  /** @internal Resolves when this client is connected, or its generation moved on from `gen`. */
  whenConnected(gen: number): Promise<void> {
    if (this.connState === 'connected' || this.gen !== gen) return Promise.resolve();
    return new Promise((resolve) => this.reconnectWaiters.push(resolve));
  }

  // ---- Coordinator calls ---------------------------------------------------------------------

  create(path: string, data: Buffer, mode: CreateMode): Promise<string> {
    return this.call('create', path, () => {
      const lose = this.loseCreateReplies.shift();
      if (lose === false) throw zkError('ZK_CONNECTION_LOSS', 'create', path, 'connection lost before the request was applied');
      const created = this.server.apply((d) => d.create('create', path, data, mode, this.sessionId()));
      if (lose === true) throw zkError('ZK_CONNECTION_LOSS', 'create', path, 'connection lost before the reply');
      return created;
    });
  }

  exists(path: string, watch?: Watcher): Promise<NodeStat | null> {
    return this.call('exists', path, () => {
      const stat = this.server.read((d) => d.stat(path));
      if (watch) this.server.addWatch(this, 'exists', path, watch);
      return stat;
    });
  }

  getData(path: string, watch?: Watcher): Promise<{ data: Buffer; stat: NodeStat }> {
    return this.call('getData', path, () => {
      const stat = this.server.read((d) => d.stat(path));
      const data = this.server.data(path);
      if (!stat || !data) throw zkError('ZK_NO_NODE', 'getData', path, 'no node');
      if (watch) this.server.addWatch(this, 'getData', path, watch);
      return { data, stat };
    });
  }

  getChildren(path: string, watch?: Watcher): Promise<string[]> {
    return this.call('getChildren', path, () => {
      if (!this.server.stat(path)) throw zkError('ZK_NO_NODE', 'getChildren', path, 'no node');
      const children = this.server.children(path);
      if (watch) this.server.addWatch(this, 'getChildren', path, watch);
      return children;
    });
  }

  setData(path: string, data: Buffer, version = -1): Promise<NodeStat> {
    return this.call('setData', path, () => this.server.apply((d) => d.setData('setData', path, data, version)));
  }

  remove(path: string, version = -1): Promise<void> {
    return this.call('remove', path, () => this.server.apply((d) => d.remove('remove', path, version)));
  }

  mkdirp(path: string): Promise<void> {
    return this.call('mkdirp', path, () => {
      if (!validPath(path)) throw zkError('ZK_ERROR', 'mkdirp', path, 'bad path');
      this.server.apply((d) => {
        let cur = '';
        for (const part of path.split('/').filter((p) => p.length > 0)) {
          cur = `${cur}/${part}`;
          if (!d.nodes.has(cur)) d.create('mkdirp', cur, Buffer.alloc(0), 'persistent', this.sessionId());
        }
      });
    });
  }

  multi(ops: MultiOp[]): Promise<void> {
    const first = ops[0]?.path ?? '/';
    return this.call('multi', first, () => {
      this.server.multiLog.push({ client: this.name, sessionId: this.sessionId(), ops: ops.map((o) => ({ ...o })) });
      this.server.apply((d) => {
        for (const o of ops) {
          if (o.op === 'create') d.create('multi', o.path, o.data, o.mode, this.sessionId());
          else if (o.op === 'setData') d.setData('multi', o.path, o.data, o.version);
          else if (o.op === 'remove') d.remove('multi', o.path, o.version);
          else d.check('multi', o.path, o.version);
        }
      });
    });
  }

  override on<E extends keyof CoordinatorEvents>(event: E, listener: CoordinatorEvents[E]): this {
    return super.on(event, listener);
  }
  override off<E extends keyof CoordinatorEvents>(event: E, listener: CoordinatorEvents[E]): this {
    return super.off(event, listener);
  }

  // ---- internals -----------------------------------------------------------------------------

  private call<T>(op: OpName, path: string, fn: () => T): Promise<T> {
    return this.server.track(this.roundTrip(op, path, fn));
  }

  private async roundTrip<T>(op: OpName, path: string, fn: () => T): Promise<T> {
    this.assertUsable(op, path);
    const gen = this.gen;
    const sentAt = this.server.now();
    await nextTick(); // the request travels
    if (gen !== this.gen) throw zkError('ZK_SESSION_EXPIRED', op, path, 'reply belongs to an old session');
    this.assertUsable(op, path);
    const i = this.interceptors.findIndex((x) => x.op === op);
    if (i >= 0) this.interceptors.splice(i, 1)[0]!.fn(path);
    let result: T;
    try {
      result = fn();
    } catch (err) {
      if (err instanceof ZkError && err.code !== 'ZK_CONNECTION_LOSS') this.markHeard(sentAt);
      throw err;
    }
    this.markHeard(sentAt);
    await nextTick(); // the reply travels
    if (gen !== this.gen) throw zkError('ZK_SESSION_EXPIRED', op, path, 'reply belongs to an old session');
    if (this.connState !== 'connected') throw zkError('ZK_CONNECTION_LOSS', op, path, 'connection lost before the reply');
    return result;
  }

  private assertUsable(op: string, path: string): void {
    if (!this.started || this.connState === 'closed') throw zkError('ZK_CLOSED', op, path, 'coordinator is closed');
    if (this.connState === 'expired') throw zkError('ZK_SESSION_EXPIRED', op, path, 'session expired');
    if (this.connState !== 'connected') throw zkError('ZK_CONNECTION_LOSS', op, path, `not connected (${this.connState})`);
  }

  private markHeard(sentAt: number): void {
    if (this.heardAt === null || sentAt > this.heardAt) {
      this.heardAt = sentAt;
      this.emit('heard', sentAt, this.gen);
    }
  }

  private newSession(): void {
    this.gen += 1;
    this.info = null;
    this.heardAt = null;
    this.setState('connecting');
    this.info = { generation: this.gen, sessionId: this.server.openSession(), timeoutMs: this.timeoutMs };
    this.setState('connected');
    this.emit('session', { ...this.info });
  }

  private setState(state: ConnState): void {
    if (this.connState === state) return;
    this.connState = state;
    this.emit('state', state, this.gen);
  }

  private wakeReconnectWaiters(): void {
    const w = this.reconnectWaiters;
    this.reconnectWaiters = [];
    for (const f of w) f();
  }
}
