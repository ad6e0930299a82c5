/**
 * The fencing epoch and the breadcrumb of the active node.
 *
 * `<base>/epoch` is bumped with a compare-and-set on its version by every new leadership term.
 * The epoch is `version + offset`, where `offset` is a field of the znode's data (absent, as in
 * the znodes of versions before it, = 0). Every take bumps the version and writes the offset
 * again, never lower, so within one znode the epoch only grows. A take can be given a **floor**
 * (the epoch named by the JENKINS_HOME lock, read before taking): when the znode was lost
 * (ensemble rebuilt, restored from an older snapshot, zk.root or cluster name changed, znode
 * deleted) its version starts again near 0, and the take raises the offset in the same CAS so
 * that the new epoch is floor + 1. So the epoch never goes backwards as the lock file sees it, and
 * a cluster whose ZooKeeper state was lost recovers by itself (docs/safety.md, "Epochs after a
 * loss of ZooKeeper state").
 *
 * `<base>/active` (the breadcrumb) names the node that became active with that epoch; a clean exit
 * deletes it in the same transaction as its election znode, so a successor knows whether the
 * previous active left cleanly (Hadoop's ActiveStandbyElector does the same).
 */
import { HaError, errorCode, hasCode } from '../errors';
import type { Coordinator, MultiOp } from '../coordination/types';
import type { Logger } from '../logging/logger';

/** The highest epoch handed out (far inside Number.MAX_SAFE_INTEGER, so +1 stays exact). */
export const MAX_EPOCH = 2 ** 48;

/**
 * The offset in the epoch znode's data: `{"offset": n}` with n a whole number in [0, MAX_EPOCH].
 * Anything else (no offset field: a znode of an older version; not JSON; garbage) counts as 0,
 * which can only make the epoch look lower: the floor from the lock then lifts it again.
 */
export function decodeEpochOffset(data: Buffer): number {
  if (data.length > 4096) return 0;
  try {
    const v = JSON.parse(data.toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null) return 0;
    const o = (v as Record<string, unknown>).offset;
    return typeof o === 'number' && Number.isSafeInteger(o) && o >= 0 && o <= MAX_EPOCH ? o : 0;
  } catch {
    return 0;
  }
}

/** The epoch an epoch znode stands for: its version plus the offset in its data. */
export function epochOf(version: number, data: Buffer): number {
  return version + decodeEpochOffset(data);
}

/**
 * Pure: the epoch the next take gets from a znode at `version` with `offset`, and the offset to
 * write with it: one above the current epoch, and above `floor` (the lock's epoch) when that is
 * higher. A floor that is not a whole number in [0, MAX_EPOCH) is ignored (`floorIgnored`).
 */
export function nextEpoch(cur: { version: number; offset: number }, floor: number): { epoch: number; offset: number; raisedFrom: number | null; floorIgnored: boolean } {
  const plain = cur.version + 1 + cur.offset;
  const usable = Number.isSafeInteger(floor) && floor >= 0 && floor < MAX_EPOCH;
  if (!usable || plain > floor) return { epoch: plain, offset: cur.offset, raisedFrom: null, floorIgnored: !usable };
  // version + 1 + offset = floor + 1
  return { epoch: floor + 1, offset: floor - cur.version, raisedFrom: plain, floorIgnored: false };
}

export interface Breadcrumb {
  epoch: number;
  nodeId: string;
  host: string;
  pid: number;
  since: string;
}

export function decodeBreadcrumb(data: Buffer): Breadcrumb | null {
  try {
    const v = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    if (typeof v.epoch !== 'number' || typeof v.nodeId !== 'string') return null;
    return {
      epoch: v.epoch,
      nodeId: v.nodeId,
      host: typeof v.host === 'string' ? v.host : '',
      pid: typeof v.pid === 'number' ? v.pid : 0,
      since: typeof v.since === 'string' ? v.since : '',
    };
  } catch {
    return null;
  }
}

export class EpochConflictError extends HaError {
  constructor(message: string) {
    super('EPOCH_CONFLICT', message);
  }
}

export interface TakenEpoch {
  epoch: number;
  /** The epoch this take would have had without the floor, when the floor lifted it. */
  raisedFrom: number | null;
  /** The breadcrumb found before ours: the previous active, unless it exited cleanly. */
  previous: Breadcrumb | null;
  /** Whether a breadcrumb existed but could not be parsed. */
  previousMalformed: boolean;
  /** Version of our breadcrumb after the transaction (lets a clean exit delete it blind). */
  breadcrumbVersion: number;
}

/** A floor and where it came from (`lock`: the JENKINS_HOME lock; `sync-branch`: the git sync branch). */
export interface EpochFloor {
  epoch: number;
  source: 'lock' | 'sync-branch';
}

export interface EpochStoreOptions {
  /**
   * The lowest epoch a take may hand out, minus one: the epoch named by the JENKINS_HOME lock
   * (main wires fencing/home-lock.ts lockFloor). Read before every take; an error fails the take
   * (no epoch is taken without knowing it). Absent = 0. In sync.mode git main also gives the
   * newest epoch on the sync branch (sync/floor.ts) and names the source that set the floor.
   */
  floor?: () => Promise<number | EpochFloor>;
  /** Logs `epoch.floor_raised` (the ZooKeeper counter was below the lock's epoch). */
  logger?: Logger;
}

/**
 * What a take reads before its transaction: the floor, the epoch znode (null: none yet) and the
 * breadcrumb. Only inputs of the compare-and-set: stale ones make the transaction fail.
 */
export interface EpochReads {
  floor: number | EpochFloor;
  epochNode: { version: number; offset: number; epoch: number } | null;
  active: { exists: boolean; version: number; crumb: Breadcrumb | null };
}

export class EpochStore {
  readonly epochPath: string;
  readonly activePath: string;

  constructor(
    private readonly coord: Coordinator,
    readonly basePath: string,
    private readonly opts: EpochStoreOptions = {},
  ) {
    this.epochPath = `${basePath}/epoch`;
    this.activePath = `${basePath}/active`;
  }

  /**
   * Bump the epoch (CAS on the znode's version) and write our breadcrumb, in one transaction. The
   * new epoch is above the current one and above the floor (the lock's epoch, read beside them).
   */
  async take(self: { nodeId: string; host: string; pid: number }, reads?: EpochReads): Promise<TakenEpoch> {
    // `reads`: made a moment earlier (at the wake, epoch-prefetch.ts); otherwise read now.
    const { floor: floorRead, epochNode: found, active } = reads ?? (await this.read());
    const { epoch: floor, source } = typeof floorRead === 'number' ? { epoch: floorRead, source: 'lock' } : floorRead;
    const epochNode = found ?? (await this.createEpochNode());
    const next = nextEpoch(epochNode, floor);
    const epoch = next.epoch;
    const crumb: Breadcrumb = { epoch, nodeId: self.nodeId, host: self.host, pid: self.pid, since: new Date().toISOString() };
    const crumbData = Buffer.from(JSON.stringify(crumb));
    const epochData = Buffer.from(JSON.stringify({ epoch, offset: next.offset, nodeId: self.nodeId, at: crumb.since }));
    const ops: MultiOp[] = [
      { op: 'setData', path: this.epochPath, data: epochData, version: epochNode.version },
      active.exists
        ? { op: 'setData', path: this.activePath, data: crumbData, version: active.version }
        : { op: 'create', path: this.activePath, data: crumbData, mode: 'persistent' },
    ];
    try {
      await this.coord.multi(ops);
    } catch (err) {
      if (hasCode(err, 'ZK_BAD_VERSION', 'ZK_NODE_EXISTS', 'ZK_NO_NODE')) {
        throw new EpochConflictError(`epoch ${epoch} was taken concurrently (${errorCode(err)}); someone else bumped it`);
      }
      throw err;
    }
    if (next.raisedFrom !== null) {
      this.opts.logger?.warn(
        `the ZooKeeper epoch counter (${next.raisedFrom}) was not above the epoch ${floor} named by ${source === 'lock' ? 'the JENKINS_HOME lock' : 'the newest commit on the sync branch'}: ZooKeeper's state was lost or restored from an older snapshot, or zk.root / cluster.name changed; took epoch ${epoch} above it`,
        { event: 'epoch.floor_raised', epoch, floor, counter: next.raisedFrom, source },
      );
    } else if (next.floorIgnored) {
      this.opts.logger?.warn(`ignoring an unusable epoch floor ${floor} (the lock's epoch); took epoch ${epoch}`, { event: 'epoch.floor_ignored', epoch, floor });
    }
    return {
      epoch,
      raisedFrom: next.raisedFrom,
      previous: active.crumb,
      previousMalformed: active.exists && active.crumb === null,
      breadcrumbVersion: active.exists ? active.version + 1 : 0,
    };
  }

  /**
   * The reads of a take: the floor beside the epoch and breadcrumb znodes, not before them: it
   * only has to be known before the CAS is sent (docs/safety.md, "The graceful handover path").
   * Nothing is written before it is known: a missing epoch znode is created by the take.
   */
  async read(): Promise<EpochReads> {
    const [floor, epochNode, active] = await Promise.all([this.opts.floor ? this.opts.floor() : 0, this.readEpochData(), this.readActive()]);
    return { floor, epochNode, active };
  }

  /**
   * Ops that delete our breadcrumb in the leave transaction. Conditional on the version we wrote:
   * if anyone changed it since, the transaction fails and the caller removes only its znode.
   */
  releaseOps(taken: { breadcrumbVersion: number }): MultiOp[] {
    return [{ op: 'remove', path: this.activePath, version: taken.breadcrumbVersion }];
  }

  async readEpoch(): Promise<number> {
    return (await this.readEpochNode()).epoch;
  }

  /**
   * The current epoch and the znode version it stands at (null: no epoch znode yet). A write that
   * must happen only under this epoch (the git-mode sync record) checks that version in its multi.
   */
  async current(): Promise<{ epoch: number; version: number } | null> {
    try {
      const { data, stat } = await this.coord.getData(this.epochPath);
      return { epoch: epochOf(stat.version, data), version: stat.version };
    } catch (err) {
      if (hasCode(err, 'ZK_NO_NODE')) return null;
      throw err;
    }
  }

  private async readEpochNode(): Promise<{ version: number; offset: number; epoch: number }> {
    return (await this.readEpochData()) ?? (await this.createEpochNode());
  }

  private async createEpochNode(): Promise<{ version: number; offset: number; epoch: number }> {
    try {
      await this.coord.mkdirp(this.basePath);
      await this.coord.create(this.epochPath, Buffer.from('{"epoch":0,"offset":0}'), 'persistent');
    } catch (err) {
      if (!hasCode(err, 'ZK_NODE_EXISTS')) throw err;
    }
    const again = await this.readEpochData();
    if (!again) throw new EpochConflictError('epoch znode vanished while creating it');
    return again;
  }

  private async readEpochData(): Promise<{ version: number; offset: number; epoch: number } | null> {
    try {
      const { data, stat } = await this.coord.getData(this.epochPath);
      const offset = decodeEpochOffset(data);
      return { version: stat.version, offset, epoch: stat.version + offset };
    } catch (err) {
      if (hasCode(err, 'ZK_NO_NODE')) return null;
      throw err;
    }
  }

  private async readActive(): Promise<{ exists: boolean; version: number; crumb: Breadcrumb | null }> {
    try {
      const { data, stat } = await this.coord.getData(this.activePath);
      return { exists: true, version: stat.version, crumb: decodeBreadcrumb(data) };
    } catch (err) {
      if (hasCode(err, 'ZK_NO_NODE')) return { exists: false, version: -1, crumb: null };
      throw err;
    }
  }
}
