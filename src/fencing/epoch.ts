/**
 * The fencing epoch and the breadcrumb of the active node.
 *
 * `<base>/epoch` is bumped with a compare-and-set on its version by every new leadership term;
 * the epoch IS the znode's version after the bump, so it only ever grows, whatever the data says.
 * `<base>/active` (the breadcrumb) names the node that became active with that epoch; a clean exit
 * deletes it in the same transaction as its election znode, so a successor knows whether the
 * previous active left cleanly (Hadoop's ActiveStandbyElector does the same).
 */
import { HaError, errorCode, hasCode } from '../errors';
import type { Coordinator, MultiOp } from '../coordination/types';

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
  /** The breadcrumb found before ours: the previous active, unless it exited cleanly. */
  previous: Breadcrumb | null;
  /** Whether a breadcrumb existed but could not be parsed. */
  previousMalformed: boolean;
  /** Version of our breadcrumb after the transaction (lets a clean exit delete it blind). */
  breadcrumbVersion: number;
}

export class EpochStore {
  readonly epochPath: string;
  readonly activePath: string;

  constructor(
    private readonly coord: Coordinator,
    readonly basePath: string,
  ) {
    this.epochPath = `${basePath}/epoch`;
    this.activePath = `${basePath}/active`;
  }

  /** Bump the epoch (CAS) and write our breadcrumb, in one transaction. */
  async take(self: { nodeId: string; host: string; pid: number }): Promise<TakenEpoch> {
    const [epochNode, active] = await Promise.all([this.readEpochNode(), this.readActive()]);
    const epoch = epochNode.version + 1;
    const crumb: Breadcrumb = { epoch, nodeId: self.nodeId, host: self.host, pid: self.pid, since: new Date().toISOString() };
    const crumbData = Buffer.from(JSON.stringify(crumb));
    const ops: MultiOp[] = [
      { op: 'setData', path: this.epochPath, data: Buffer.from(JSON.stringify({ epoch, nodeId: self.nodeId, at: crumb.since })), version: epochNode.version },
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
    return {
      epoch,
      previous: active.crumb,
      previousMalformed: active.exists && active.crumb === null,
      breadcrumbVersion: active.exists ? active.version + 1 : 0,
    };
  }

  /**
   * Ops that delete our breadcrumb in the leave transaction. Conditional on the version we wrote:
   * if anyone changed it since, the transaction fails and the caller removes only its znode.
   */
  releaseOps(taken: { breadcrumbVersion: number }): MultiOp[] {
    return [{ op: 'remove', path: this.activePath, version: taken.breadcrumbVersion }];
  }

  async readEpoch(): Promise<number> {
    return (await this.readEpochNode()).version;
  }

  private async readEpochNode(): Promise<{ version: number }> {
    try {
      const stat = await this.coord.exists(this.epochPath);
      if (stat) return { version: stat.version };
    } catch (err) {
      if (!hasCode(err, 'ZK_NO_NODE')) throw err;
    }
    try {
      await this.coord.mkdirp(this.basePath);
      await this.coord.create(this.epochPath, Buffer.from('{"epoch":0}'), 'persistent');
    } catch (err) {
      if (!hasCode(err, 'ZK_NODE_EXISTS')) throw err;
    }
    const stat = await this.coord.exists(this.epochPath);
    if (!stat) throw new EpochConflictError('epoch znode vanished while creating it');
    return { version: stat.version };
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
