/**
 * Leader election with ephemeral sequential znodes: the lowest sequence leads; every other
 * contender watches only its predecessor (no herd). It checks facts, not memory (Curator's
 * LeaderLatch.checkLeadership): on every wake-up it lists the children again; if its znode is
 * gone it creates a new one; when first, it confirms the znode's ephemeralOwner is the current
 * session before claiming. It knows nothing of Jenkins.
 *
 * Leadership reported here means "my znode is lowest in my current session". Whether that is
 * still *provable* (ZooKeeper heard from recently enough) is the controller's business.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ZkError, errorCode, errorMessage, hasCode } from '../errors';
import type { Logger } from '../logging/logger';
import type { Coordinator, MultiOp, SessionInfo, WatchEvent } from '../coordination/types';
import { RateLimiter } from '../util/rate-limit';
import { encodeMember } from './member';
import { GhostSweeper } from './ghosts';
import { createIn, listIn } from './path';
import { duplicatesOf, findPosition, PERSISTENT_OWNER, sortContenders, znodePrefix, type Contender } from './sequence';
import { removeStaleOwn } from './stale-own';
import type { ElectionEvents, ElectionOptions, ElectionStatus } from './types';

export class Election extends EventEmitter {
  private readonly coord: Coordinator;
  private readonly log: Logger;
  private st: ElectionStatus;
  private wanted = false;
  private dirty = false;
  private running = false;
  private guid = '';
  private guidGeneration = -1;
  /** Our znode whose owner was confirmed to be the current session (watched for deletion). */
  private verifiedOwn: string | null = null;
  private warnedInvalid = new Set<string>();
  /** When (monotonic) the predecessor watch last reported a deletion, and of which znode (where a takeover starts). */
  private woke: { at: number; by: string } | null = null;
  /** Persistent znodes named like contenders (a rogue or a tool wrote them): no session owns them, so they are not contenders. */
  private impostors = new Set<string>();
  /** A check that keeps failing (e.g. NO_AUTH) retries every 100 ms: warn once per 5 s per code. */
  private readonly failureLog: RateLimiter;
  /** Our znodes that leave() could not delete: removed until gone or their session is over. */
  private readonly ghosts: GhostSweeper;

  constructor(private readonly opts: ElectionOptions) {
    super();
    this.coord = opts.coordinator;
    this.log = opts.logger;
    this.failureLog = new RateLimiter(5000, opts.now);
    this.ghosts = new GhostSweeper({
      coordinator: this.coord,
      remove: (guid) => this.removeByGuid(guid),
      logger: this.log,
      retryDelayMs: opts.retryDelayMs ?? 100,
    });
    this.st = { role: 'idle', znode: null, sequence: null, predecessor: null, generation: 0, since: opts.now() };
    this.coord.on('state', (state, generation) => {
      if (state === 'expired' || state === 'closed') {
        this.ghosts.sessionOver(generation);
        // Every znode and watch of that session is gone (or going): we hold nothing.
        if (this.st.role !== 'idle' || this.st.znode) {
          this.transition({ role: this.wanted ? 'joining' : 'idle', znode: null, sequence: null, predecessor: null, generation }, `session ${state}`);
        }
      } else if (state === 'connected') {
        this.ghosts.sweep();
        this.kick();
      }
    });
    this.coord.on('session', (info: SessionInfo) => {
      if (this.wanted) this.log.info('new session; rejoining the election', { event: 'election.rejoin', sessionId: info.sessionId });
      this.kick();
    });
  }

  status(): ElectionStatus {
    return { ...this.st };
  }

  /** Monotonic time our predecessor's deletion was last delivered to us; null if never. */
  lastWakeAt(): number | null {
    return this.woke?.at ?? null;
  }

  /** Leader in the coordinator's current session. */
  isLeader(): boolean {
    return this.st.role === 'leader' && this.st.generation === this.coord.generation;
  }

  /** Enter (or re-enter, at the back) the election. */
  join(): void {
    if (this.wanted) return;
    this.wanted = true;
    if (this.st.role === 'idle') this.transition({ ...this.st, role: 'joining' }, 'join requested');
    this.kick();
  }

  /** Leave: delete our znode (with extra ops in the same transaction, e.g. a clean exit's breadcrumb) so the next contender's watch fires at once. */
  async leave(reason: string, extraOps: MultiOp[] = []): Promise<void> {
    this.wanted = false;
    this.guidGeneration = -1; // a later join() takes a new GUID: it queues at the back
    const guid = this.guid;
    const znode = this.st.znode;
    const gen = this.st.generation;
    this.transition({ role: 'idle', znode: null, sequence: null, predecessor: null, generation: gen }, reason);
    if (!znode || gen !== this.coord.generation) return;
    const ops: MultiOp[] = [...extraOps, { op: 'remove', path: `${this.opts.path}/${znode}`, version: -1 }];
    try {
      await this.coord.multi(ops);
    } catch (err) {
      // A failed extra op (e.g. breadcrumb already changed) must not keep our znode alive.
      if (extraOps.length > 0 && !(err instanceof ZkError && (err.code === 'ZK_TIMEOUT' || err.code === 'ZK_CONNECTION_LOSS'))) {
        await this.coord.remove(`${this.opts.path}/${znode}`).catch(() => undefined);
      }
      if (!hasCode(err, 'ZK_NO_NODE')) {
        // Whether the delete was applied is unknown: keep removing it (by GUID) until it is gone.
        this.log.warn('could not delete election znode on leave; will retry until it is gone or the session ends', {
          event: 'election.leave_failed',
          znode,
          error: errorMessage(err),
        });
        this.ghosts.add(guid, gen);
      }
    }
  }

  private kick(): void {
    if (!this.wanted) return;
    this.dirty = true;
    if (!this.running) void this.loop();
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.dirty && this.wanted) {
        this.dirty = false;
        if (this.coord.state !== 'connected') break; // the 'connected' event kicks us again
        try {
          await this.check();
        } catch (err) {
          const code = errorCode(err);
          const { pass, suppressed } = this.failureLog.take(code ?? 'unknown');
          const fields = { event: 'election.check_failed', code, error: errorMessage(err), ...(suppressed > 0 ? { suppressed } : {}) };
          if (pass) this.log.warn('election check failed; will retry', fields);
          else this.log.debug('election check failed; will retry', fields);
          if (this.coord.state === 'connected') {
            await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 100));
            this.dirty = true;
          }
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async check(): Promise<void> {
    const session = this.coord.session();
    if (!session) return;
    const gen = this.coord.generation;
    const fresh = this.guidGeneration !== gen;
    if (fresh) {
      // A new session (or a rejoin): a new identity for our znode.
      this.guid = randomUUID().replace(/-/g, '');
      this.guidGeneration = gen;
    }
    const guid = this.guid;
    // A new GUID has no znode yet: create it first (path.ts makes the path only on NO_NODE), then list.
    if (fresh) await this.create(session);
    let children = await listIn(this.coord, this.opts.path);
    let sorted = this.parse(children);
    let pos = findPosition(sorted, this.guid);

    // Znodes of ours from an earlier session or a dead process: looked at once per znode we create.
    const removed = fresh || pos.kind === 'absent' ? await removeStaleOwn(this.coord, this.opts, this.log, sorted, this.guid) : false;
    if (pos.kind === 'absent') {
      if (this.abandoned(guid)) return;
      await this.create(session);
    }
    if (removed || pos.kind === 'absent') {
      children = await listIn(this.coord, this.opts.path);
      sorted = this.parse(children);
      pos = findPosition(sorted, this.guid);
      if (pos.kind === 'absent') {
        this.dirty = true; // the create was lost and not applied: try again
        return;
      }
    }
    for (const d of duplicatesOf(sorted, this.guid)) {
      await this.coord.remove(`${this.opts.path}/${d.name}`).catch(() => undefined);
    }
    if (this.abandoned(guid)) {
      // leave() overtook this check: the znode it created must not linger as an orphan.
      await this.removeByGuid(guid);
      return;
    }
    if (gen !== this.coord.generation) return;

    // Confirm once per znode that our session owns it, and watch it (an operator may delete it).
    // A candidate does this in the same round trip as its predecessor watch, so claiming the
    // lead later needs no extra request.
    const self = pos.self;
    const pred = pos.kind === 'behind' ? pos.predecessor : null;
    const [ownStat, predStat] = await Promise.all([
      this.verifiedOwn === self.name ? Promise.resolve(undefined) : this.coord.exists(`${this.opts.path}/${self.name}`, this.ownWatcher(self.name)),
      pred ? this.coord.exists(`${this.opts.path}/${pred.name}`, (ev) => this.onPredecessorEvent(ev)) : Promise.resolve(null),
    ]);
    if (ownStat !== undefined) {
      if (!ownStat) {
        this.dirty = true;
        return;
      }
      if (ownStat.ephemeralOwner !== session.sessionId) {
        // Not ours in this session (e.g. an old session's node still listed): never claim on it.
        this.log.warn('our znode carries our GUID but another session owns it', {
          event: 'election.owner_mismatch',
          znode: self.name,
          owner: ownStat.ephemeralOwner,
          sessionId: session.sessionId,
        });
        await this.coord.remove(`${this.opts.path}/${self.name}`);
        throw new ZkError('ZK_ERROR', `znode ${self.name} is owned by session ${ownStat.ephemeralOwner}, not ours`, 'check', self.name);
      }
      this.verifiedOwn = self.name;
    }
    if (this.abandoned(guid)) return void (await this.removeByGuid(guid));
    if (gen !== this.coord.generation) return;

    if (!pred) {
      this.transition(
        { role: 'leader', znode: self.name, sequence: self.seq, predecessor: null, generation: gen },
        `lowest sequence ${String(self.seq).padStart(10, '0')}; owner is our session`,
      );
      return;
    }
    if (!predStat) {
      this.dirty = true; // gone between list and watch: list again, never assume
      return;
    }
    if (predStat.ephemeralOwner === PERSISTENT_OWNER) {
      this.impostors.add(pred.name);
      this.log.warn('ignoring a persistent znode named like a contender (no session owns it)', { event: 'election.invalid_znode', znode: pred.name });
      this.dirty = true; // list again without it
      return;
    }
    this.transition(
      { role: 'candidate', znode: self.name, sequence: self.seq, predecessor: pred.name, generation: gen },
      `sequence ${self.seq} behind ${pred.nodeId} (${pred.seq}); watching it`,
    );
  }

  /** Any event consumes the one-shot watch (a member rewrites its record: notes): check again, which re-watches. */
  private onPredecessorEvent(ev: WatchEvent): void {
    this.kick();
    // Each check re-watches the predecessor: one deletion may reach several watchers, one wake.
    if (ev.type !== 'deleted' || ev.path === this.woke?.by) return;
    this.woke = { at: this.opts.now(), by: ev.path };
    this.emit('woken', this.woke.at);
  }

  private ownWatcher(name: string): (ev: WatchEvent) => void {
    return () => {
      if (this.verifiedOwn === name) this.verifiedOwn = null; // any event (our own notes too): verify and watch again
      this.kick();
    };
  }

  /** leave() ran (or a rejoin changed our GUID) while a check was in flight. */
  private abandoned(guid: string): boolean {
    return !this.wanted || this.guid !== guid || this.guidGeneration !== this.coord.generation;
  }

  private async removeByGuid(guid: string): Promise<void> {
    const sorted = this.parse(await this.coord.getChildren(this.opts.path));
    for (const c of sorted.filter((x) => x.guid === guid)) {
      await this.coord.remove(`${this.opts.path}/${c.name}`).catch((err: unknown) => {
        if (!hasCode(err, 'ZK_NO_NODE')) throw err;
      });
    }
  }

  private parse(children: string[]): Contender[] {
    const { contenders, invalid } = sortContenders(children.filter((c) => !this.impostors.has(c)));
    if (this.impostors.size > 0) for (const i of [...this.impostors]) if (!children.includes(i)) this.impostors.delete(i);
    for (const name of invalid) {
      if (this.warnedInvalid.has(name)) continue;
      this.warnedInvalid.add(name);
      this.log.warn('ignoring a znode that is not a contender', { event: 'election.invalid_znode', znode: name });
    }
    return contenders;
  }

  private async create(session: SessionInfo): Promise<void> {
    const prefix = `${this.opts.path}/${znodePrefix(this.guid, this.opts.nodeId)}`;
    try {
      const path = await createIn(this.coord, this.opts.path, prefix, encodeMember(this.opts.member()));
      this.log.info('joined the election', { event: 'election.joined', znode: path.slice(this.opts.path.length + 1), sessionId: session.sessionId });
    } catch (err) {
      if (err instanceof ZkError && (err.code === 'ZK_CONNECTION_LOSS' || err.code === 'ZK_TIMEOUT')) {
        // The reply was lost; the znode may exist. The caller lists again and finds it by GUID.
        this.log.warn('create reply lost; will look for our znode by GUID', { event: 'election.create_lost', guid: this.guid });
        return;
      }
      throw err;
    }
  }

  private transition(next: ElectionStatus | Omit<ElectionStatus, 'since'>, reason: string): void {
    const prev = this.st;
    if (
      prev.role === next.role &&
      prev.znode === next.znode &&
      prev.predecessor === next.predecessor &&
      prev.generation === next.generation
    ) {
      return;
    }
    this.st = { ...next, since: this.opts.now() };
    const event = next.role === 'leader' ? 'elected' : prev.role === 'leader' ? 'demoted' : `election.${next.role}`;
    this.log.info(reason, { event, from: prev.role, to: next.role, znode: next.znode, predecessor: next.predecessor });
    this.emit('change', this.status(), prev);
  }

  override on<E extends keyof ElectionEvents>(event: E, listener: ElectionEvents[E]): this {
    return super.on(event, listener);
  }
}

