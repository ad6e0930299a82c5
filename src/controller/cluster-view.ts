/**
 * The cluster as ZooKeeper holds it, cached in memory and kept fresh by watches: the members
 * (election znodes and their data), the maintenance pause, the switchover intent. Also the
 * cluster-wide history (cluster-history.ts), appended by every controller.
 *
 * The status snapshot and the decision read the cache; nothing here runs a ZooKeeper round trip
 * per API request. Malformed znode data from another member is logged and ignored.
 */
import { EventEmitter } from 'node:events';
import { errorCode, errorMessage } from '../errors';
import type { Coordinator } from '../coordination/types';
import { decodeMember, type MemberInfo } from '../election/member';
import { epochOf } from '../fencing/epoch';
import { PERSISTENT_OWNER, sortContenders } from '../election/sequence';
import type { Logger } from '../logging/logger';
import { RateLimiter } from '../util/rate-limit';
import { RecordExpiry } from './expiry';
import { ClusterHistory } from './cluster-history';
import { decodePause, decodeSwitchover, type PauseRecord } from './records';
import type { DrainReport, HistoryEntry, MemberView, PauseState, SwitchoverIntent } from './status';
import { monoNow } from '../util/clock';

export { HISTORY_KEEP } from './cluster-history';

export { decodeHistory, decodePause, decodeSwitchover, pauseInForce, type PauseRecord } from './records';

export interface ClusterViewEvents {
  change: () => void;
}

export class ClusterView extends EventEmitter {
  readonly electionPath: string;
  readonly pausePath: string;
  readonly switchoverPath: string;
  readonly historyPath: string;
  readonly epochPath: string;
  private memberCache = new Map<string, MemberInfo | null>();
  private order: string[] = [];
  private pause: { record: PauseRecord; version: number } | null = null;
  private intent: { record: SwitchoverIntent; version: number } | null = null;
  /** The cluster's fencing epoch as the watched epoch znode says (null: no znode or not read yet). */
  private epoch: number | null = null;
  /** Malformed data is warned about once per znode, and at most once per 30 s per kind. */
  private warned = new Set<string>();
  private readonly malformedLog = new RateLimiter(30_000, Date.now);
  /** Election children that are no contenders' (persistent: no session owns them). */
  private impostors = new Set<string>();
  /** Pause and switchover expiry on this node's monotonic clock (issue 13 item 4). */
  private readonly expiry: RecordExpiry;
  private readonly history: ClusterHistory;

  constructor(
    private readonly coord: Coordinator,
    readonly basePath: string,
    private readonly log: Logger,
    now: () => number = monoNow,
    wallNow: () => number = Date.now,
  ) {
    super();
    this.expiry = new RecordExpiry(now, wallNow);
    this.electionPath = `${basePath}/election`;
    this.pausePath = `${basePath}/paused`;
    this.switchoverPath = `${basePath}/switchover`;
    this.historyPath = `${basePath}/history`;
    this.epochPath = `${basePath}/epoch`;
    this.history = new ClusterHistory(coord, this.historyPath, (kind, key, message) => this.warnMalformed(kind, key, message));
    // Watches of an old session are gone with it: read everything again on every connect.
    coord.on('state', (state) => {
      if (state === 'connected') this.refreshAll();
    });
  }

  members(): MemberView[] {
    const out: MemberView[] = [];
    const { contenders } = sortContenders(this.order);
    contenders.forEach((c, i) => {
      const m = this.memberCache.get(c.name);
      out.push({
        id: m?.id ?? c.nodeId,
        znode: c.name,
        sequence: c.seq,
        host: m?.host ?? '',
        apiUrl: m?.apiUrl ?? '',
        jenkinsUrl: m?.jenkinsUrl ?? '',
        version: m?.version ?? '',
        priority: m?.priority ?? 0,
        noFailover: m?.noFailover ?? false,
        role: i === 0 ? 'leader' : 'standby',
        ...(m?.settings ? { settings: m.settings } : {}),
        ...(m?.notes ? { notes: m.notes } : {}),
      });
    });
    return out;
  }

  pauseRecord(): PauseRecord | null {
    return this.pause?.record ?? null;
  }

  /** The pause in force: a record that has not run its length on this node's clock (expiry.ts). */
  pauseState(): PauseState {
    const p = this.pause?.record;
    if (!p || this.expiry.pauseExpired(p)) return { paused: false };
    return { paused: true, by: p.by, reason: p.reason, since: p.since, until: p.until, ...(p.drain ? { drain: true } : {}) };
  }

  /** A pause record that has run its length on this node's clock (the leader removes it). */
  pauseExpired(): boolean {
    const p = this.pause?.record;
    return p !== undefined && this.expiry.pauseExpired(p);
  }

  switchover(): SwitchoverIntent | null {
    return this.intent?.record ?? null;
  }

  /** How long this node has seen the switchover intent (monotonic ms; null: none). */
  switchoverAgeMs(): number | null {
    const so = this.intent?.record;
    return so ? this.expiry.switchoverAgeMs(so) : null;
  }

  /** Ms until the scheduled switchover is due on this node's clocks (schedule.ts); null: none scheduled. */
  switchoverDueInMs(): number | null {
    const so = this.intent?.record;
    return so ? this.expiry.scheduledDueInMs(so) : null;
  }

  switchoverVersion(): number | null {
    return this.intent?.version ?? null;
  }

  /**
   * The cluster's current fencing epoch (the epoch znode, kept by a watch): what a standby shows
   * in GET /status `clusterEpoch`. Display only; taking an epoch still reads and CASes the znode.
   */
  clusterEpoch(): number | null {
    return this.epoch;
  }

  refreshAll(): void {
    // Members already cached: their data watches may be gone with an old session (notes change).
    for (const n of this.memberCache.keys()) void this.refreshMember(n);
    void this.refreshMembers();
    void this.refreshPause();
    void this.refreshSwitchover();
    void this.refreshEpoch();
  }

  // ---- writes (intents) -------------------------------------------------------------------------

  async writePause(record: PauseRecord): Promise<void> {
    const data = Buffer.from(JSON.stringify(record));
    try {
      await this.coord.setData(this.pausePath, data, -1);
    } catch (err) {
      if (errorCode(err) !== 'ZK_NO_NODE') throw err;
      await this.coord.mkdirp(this.basePath);
      await this.coord.create(this.pausePath, data, 'persistent').catch(async (e: unknown) => {
        if (errorCode(e) !== 'ZK_NODE_EXISTS') throw e;
        await this.coord.setData(this.pausePath, data, -1);
      });
    }
    await this.refreshPause();
  }

  async clearPause(): Promise<boolean> {
    try {
      await this.coord.remove(this.pausePath, -1);
      await this.refreshPause();
      return true;
    } catch (err) {
      if (errorCode(err) === 'ZK_NO_NODE') return false;
      throw err;
    }
  }

  /** Create the intent; false if one exists already. */
  async createSwitchover(intent: SwitchoverIntent): Promise<boolean> {
    await this.coord.mkdirp(this.basePath);
    try {
      await this.coord.create(this.switchoverPath, Buffer.from(JSON.stringify(intent)), 'persistent');
    } catch (err) {
      if (errorCode(err) === 'ZK_NODE_EXISTS') return false;
      throw err;
    }
    await this.refreshSwitchover();
    return true;
  }

  /** Compare-and-set the intent's state; false if it changed meanwhile. */
  async markSwitchoverRunning(intent: SwitchoverIntent, version: number, drain?: DrainReport): Promise<boolean> {
    return this.setSwitchoverState({ ...intent, state: 'running', ...(drain ? { drain } : {}) }, version);
  }

  /** Compare-and-set the intent to `next`; false if it changed meanwhile. */
  setSwitchoverState(next: SwitchoverIntent, version: number): Promise<boolean> {
    return this.writeSwitchoverAt(() => this.coord.setData(this.switchoverPath, Buffer.from(JSON.stringify(next)), version));
  }

  /** Delete the intent if it is still at `version` (-1: whatever it is). */
  deleteSwitchover(version: number): Promise<boolean> {
    return this.writeSwitchoverAt(() => this.coord.remove(this.switchoverPath, version));
  }

  /** A versioned write of the intent: false if it changed or went meanwhile, else re-read it. */
  private async writeSwitchoverAt(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
    } catch (err) {
      const c = errorCode(err);
      if (c === 'ZK_BAD_VERSION' || c === 'ZK_NO_NODE') return false;
      throw err;
    }
    await this.refreshSwitchover();
    return true;
  }

  appendHistory(entry: HistoryEntry): Promise<void> {
    return this.history.append(entry);
  }

  /** The newest `limit` entries, oldest first. */
  readHistory(limit: number): Promise<HistoryEntry[]> {
    return this.history.read(limit);
  }

  // ---- watches ------------------------------------------------------------------------------

  private async refreshMembers(): Promise<void> {
    try {
      const names = await this.coord.getChildren(this.electionPath, () => void this.refreshMembers());
      const gone = [...this.memberCache.keys()].filter((k) => !names.includes(k));
      for (const k of gone) this.memberCache.delete(k);
      for (const k of [...this.impostors]) if (!names.includes(k)) this.impostors.delete(k);
      await Promise.all(
        names
          .filter((n) => !this.memberCache.has(n) && !this.impostors.has(n))
          .map(async (n) => {
            try {
              // Watched: a member rewrites its record when its notes change (notes-publisher.ts).
              const { data, stat } = await this.coord.getData(`${this.electionPath}/${n}`, () => void this.refreshMember(n));
              if (stat.ephemeralOwner === PERSISTENT_OWNER) {
                this.impostors.add(n);
                this.warnMalformed('member', n, 'ignoring a persistent election znode (no session owns it: not a member)');
                return;
              }
              const info = decodeMember(data);
              if (!info) this.warnMalformed('member', n, 'ignoring malformed member data');
              this.memberCache.set(n, info);
            } catch (err) {
              if (errorCode(err) !== 'ZK_NO_NODE') throw err;
            }
          }),
      );
      this.order = names.filter((n) => this.memberCache.has(n));
      this.emit('change');
    } catch (err) {
      this.retry('members', err, () => void this.refreshMembers());
    }
  }

  /** A member's record changed: read it again (and watch it again), unless the member is gone. */
  private async refreshMember(n: string): Promise<void> {
    if (!this.memberCache.has(n)) return;
    try {
      const info = decodeMember((await this.coord.getData(`${this.electionPath}/${n}`, () => void this.refreshMember(n))).data);
      if (!info) this.warnMalformed('member', `${n}@update`, 'ignoring malformed member data');
      if (this.memberCache.has(n)) this.memberCache.set(n, info ?? this.memberCache.get(n) ?? null);
      this.emit('change');
    } catch (err) {
      if (errorCode(err) !== 'ZK_NO_NODE') this.retry(`member ${n}`, err, () => void this.refreshMember(n));
    }
  }

  private refreshPause(): Promise<void> {
    return this.refreshRecord('pause', this.pausePath, decodePause, (r) => {
      this.pause = r;
      this.expiry.seePause(r?.record ?? null);
    }, () => void this.refreshPause());
  }

  private refreshSwitchover(): Promise<void> {
    return this.refreshRecord('switchover', this.switchoverPath, decodeSwitchover, (r) => {
      this.intent = r;
      this.expiry.seeSwitchover(r?.record ?? null);
    }, () => void this.refreshSwitchover());
  }

  private async refreshEpoch(): Promise<void> {
    const again = (): void => void this.refreshEpoch();
    try {
      const r = await this.readWatched(this.epochPath, again);
      let epoch: number | null = null;
      try {
        epoch = r ? epochOf(r.version, r.data) : null;
      } catch {
        if (r) this.warnMalformed('epoch', `epoch@${r.version}`, 'ignoring a malformed epoch znode for status');
      }
      this.epoch = epoch;
      // No 'change': the decision does not read it; status reads it on demand.
    } catch (err) {
      this.retry('epoch', err, again);
    }
  }

  /** Read a JSON record znode with a watch that re-reads it; malformed data counts as absent. */
  private async refreshRecord<T>(
    what: string,
    path: string,
    decode: (data: Buffer) => T | null,
    set: (r: { record: T; version: number } | null) => void,
    again: () => void,
  ): Promise<void> {
    try {
      const r = await this.readWatched(path, again);
      const rec = r ? decode(r.data) : null;
      if (r && !rec) this.warnMalformed(what, `${what}@${r.version}`, `ignoring a malformed ${what} record`);
      set(r && rec ? { record: rec, version: r.version } : null);
      this.emit('change');
    } catch (err) {
      this.retry(what, err, again);
    }
  }

  /** getData with a watch, or an exists watch when the znode is absent (to see it appear). */
  private async readWatched(path: string, onChange: () => void): Promise<{ data: Buffer; version: number } | null> {
    try {
      const { data, stat } = await this.coord.getData(path, onChange);
      return { data, version: stat.version };
    } catch (err) {
      if (errorCode(err) !== 'ZK_NO_NODE') throw err;
      const stat = await this.coord.exists(path, onChange);
      if (stat) setImmediate(onChange); // created between the two calls: read it again
      return null;
    }
  }

  private retry(what: string, err: unknown, again: () => void): void {
    this.log.debug(`reading ${what} failed: ${errorMessage(err)}`, { event: 'cluster_view.read_failed', code: errorCode(err) });
    if (this.coord.state === 'connected') setTimeout(again, 200);
  }

  /** Warn once per `key` (a znode, or a record's version), and at most once per 30 s per `kind`. */
  private warnMalformed(kind: string, key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    if (this.warned.size > 10_000) this.warned.clear(); // bounded under a flood of distinct names
    const { pass, suppressed } = this.malformedLog.take(kind);
    const fields = { event: 'cluster_view.malformed', kind, znode: key, ...(suppressed > 0 ? { suppressed } : {}) };
    if (pass) this.log.warn(message, fields);
    else this.log.debug(message, fields);
  }

  override on<E extends keyof ClusterViewEvents>(event: E, listener: ClusterViewEvents[E]): this {
    return super.on(event, listener);
  }
}
