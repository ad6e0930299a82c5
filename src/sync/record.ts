/**
 * `<base>/sync`: the commit of JENKINS_HOME's configuration that the cluster agrees on,
 * `{commit, epoch, nodeId, at}`. A new leader restores exactly this commit before it starts
 * Jenkins.
 *
 * Only the holder of the current fencing epoch may write it: the write is a ZooKeeper multi that
 * checks the epoch znode's version (the version at which the epoch is ours, see fencing/epoch.ts:
 * epoch = version + offset) together with the compare-and-set of the sync znode. A former
 * leader's late write fails as a whole.
 */
import { SyncError, hasCode } from '../errors';
import type { Coordinator, MultiOp } from '../coordination/types';

export interface SyncRecord {
  commit: string;
  epoch: number;
  nodeId: string;
  /** ISO time of the record. */
  at: string;
}

export function decodeSyncRecord(data: Buffer): SyncRecord | null {
  try {
    const v = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    if (typeof v.commit !== 'string' || !/^[0-9a-f]{40,64}$/.test(v.commit) || typeof v.epoch !== 'number') return null;
    return { commit: v.commit, epoch: v.epoch, nodeId: typeof v.nodeId === 'string' ? v.nodeId : '', at: typeof v.at === 'string' ? v.at : '' };
  } catch {
    return null;
  }
}

/** The fencing epoch and the epoch znode's version it stands at (fencing/epoch.ts EpochStore). */
export interface EpochSource {
  readonly epochPath: string;
  /** Null when there is no epoch znode yet. */
  current(): Promise<{ epoch: number; version: number } | null>;
}

export interface ReadRecord {
  record: SyncRecord | null;
  /** Version of the sync znode; -1 when it does not exist. */
  version: number;
  /** The znode exists but its data is not a record. */
  malformed: boolean;
}

export class SyncRecordStore {
  readonly path: string;

  constructor(
    private readonly coord: Coordinator,
    basePath: string,
    private readonly epochs: EpochSource,
  ) {
    this.path = `${basePath}/sync`;
  }

  async read(): Promise<ReadRecord> {
    try {
      const { data, stat } = await this.coord.getData(this.path);
      const record = decodeSyncRecord(data);
      return { record, version: stat.version, malformed: record === null };
    } catch (err) {
      if (hasCode(err, 'ZK_NO_NODE')) return { record: null, version: -1, malformed: false };
      throw err;
    }
  }

  /** The current epoch; -1 when there is none yet. */
  async currentEpoch(): Promise<number> {
    return (await this.epochs.current())?.epoch ?? -1;
  }

  /**
   * Record `rec` if `rec.epoch` is still the cluster's epoch. Throws SyncError SYNC_REJECTED when
   * a newer epoch exists (or the record already names a newer one): the caller lost leadership.
   */
  async write(rec: SyncRecord): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const cur = await this.read();
      if (cur.record && cur.record.epoch > rec.epoch) {
        throw new SyncError('SYNC_REJECTED', `the sync record names epoch ${cur.record.epoch}, newer than ours (${rec.epoch})`);
      }
      const at = await this.epochs.current();
      if (at?.epoch !== rec.epoch) {
        throw new SyncError('SYNC_REJECTED', `epoch ${rec.epoch} is over (the cluster is at epoch ${at?.epoch ?? -1}); not recording commit ${rec.commit.slice(0, 12)}`);
      }
      const data = Buffer.from(JSON.stringify(rec));
      const ops: MultiOp[] = [
        // The epoch znode still at the version where the epoch is ours: nobody took a newer one.
        { op: 'check', path: this.epochs.epochPath, version: at.version },
        cur.version >= 0 ? { op: 'setData', path: this.path, data, version: cur.version } : { op: 'create', path: this.path, data, mode: 'persistent' },
      ];
      try {
        await this.coord.multi(ops);
        return;
      } catch (err) {
        if (!hasCode(err, 'ZK_BAD_VERSION', 'ZK_NODE_EXISTS', 'ZK_NO_NODE')) throw err;
        const epoch = await this.currentEpoch();
        if (epoch !== rec.epoch) {
          throw new SyncError('SYNC_REJECTED', `epoch ${rec.epoch} is over (the cluster is at epoch ${epoch}); not recording commit ${rec.commit.slice(0, 12)}`);
        }
        // Our epoch stands and only the sync znode moved under us: read it again, once.
      }
    }
    throw new SyncError('SYNC_REJECTED', `the sync record kept changing while epoch ${rec.epoch} wrote it`);
  }
}
