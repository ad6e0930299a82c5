/**
 * The JENKINS_HOME lock file `.jenkins-ha.lock`: a JSON record of who runs Jenkins on this home
 * with which fencing epoch. Written atomically (temp file, fsync, rename, fsync of the directory),
 * mode 0600. A leader refuses to launch when the lock names a higher epoch than its own: a newer
 * leader exists somewhere, whatever this node believes.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { LockError, errorMessage } from '../errors';

export const LOCK_FILE = '.jenkins-ha.lock';

export interface LockRecord {
  epoch: number;
  nodeId: string;
  host: string;
  /** The controller's pid. */
  pid: number;
  cluster: string;
  state: 'held' | 'released';
  time: string;
  /** Storage lease: wall-clock ms of the holder's last heartbeat (absent in locks of older versions). */
  heartbeatAt?: number;
}

export function lockPath(home: string): string {
  return path.join(home, LOCK_FILE);
}

export type ReadLock = { kind: 'none' } | { kind: 'ok'; record: LockRecord } | { kind: 'malformed'; text: string };

export function parseLock(text: string): LockRecord | null {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (typeof v.epoch !== 'number' || typeof v.nodeId !== 'string') return null;
    return {
      epoch: v.epoch,
      nodeId: v.nodeId,
      host: typeof v.host === 'string' ? v.host : '',
      pid: typeof v.pid === 'number' ? v.pid : 0,
      cluster: typeof v.cluster === 'string' ? v.cluster : '',
      state: v.state === 'released' ? 'released' : 'held',
      time: typeof v.time === 'string' ? v.time : '',
      ...(typeof v.heartbeatAt === 'number' && Number.isFinite(v.heartbeatAt) ? { heartbeatAt: v.heartbeatAt } : {}),
    };
  } catch {
    return null;
  }
}

export async function readLock(home: string): Promise<ReadLock> {
  let text: string;
  try {
    text = await fs.readFile(lockPath(home), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw new LockError('LOCK_IO', `cannot read ${lockPath(home)}: ${errorMessage(err)}`, { cause: err });
  }
  const record = parseLock(text);
  return record ? { kind: 'ok', record } : { kind: 'malformed', text };
}

/**
 * The epoch floor for the next take (fencing/epoch.ts): the epoch the lock names, held or
 * released; 0 when there is no lock or it cannot be parsed (nothing there to stay above). A read
 * error is thrown (LOCK_IO): no epoch is taken without knowing the floor.
 */
export async function lockFloor(home: string): Promise<number> {
  const cur = await readLock(home);
  return cur.kind === 'ok' ? cur.record.epoch : 0;
}

/**
 * Replace the lock file atomically: write a temp file, fsync it when `durable`, rename it over the
 * lock. The rename makes it visible to every reader at once (NFS: at close); the fsync keeps a
 * power cut from leaving an empty file. The directory is not fsynced: after a power cut no Jenkins
 * runs anyway, and an older epoch in the file never lets a stale leader launch (epochs only grow
 * in ZooKeeper, and a new term's epoch is taken above the lock's, see lockFloor).
 */
export async function writeLockAtomic(home: string, record: LockRecord, durable = true): Promise<void> {
  const final = lockPath(home);
  const tmp = `${final}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
    try {
      await fh.writeFile(JSON.stringify(record) + '\n');
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, final);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new LockError('LOCK_IO', `cannot write ${final}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Take the lock for `record.epoch`. Throws LOCK_HIGHER_EPOCH if the lock names a newer epoch.
 * Returns what was there before (for the log).
 */
export async function acquireHomeLock(home: string, record: LockRecord): Promise<ReadLock> {
  const before = await readLock(home);
  if (before.kind === 'ok' && before.record.epoch > record.epoch) {
    throw new LockError(
      'LOCK_HIGHER_EPOCH',
      `${lockPath(home)} names epoch ${before.record.epoch} (node ${before.record.nodeId}), newer than ours (${record.epoch}); refusing to launch Jenkins`,
    );
  }
  await writeLockAtomic(home, { ...record, state: 'held' });
  return before;
}

/** Mark the lock released if it is still ours (same epoch and node). */
export async function releaseHomeLock(home: string, epoch: number, nodeId: string): Promise<boolean> {
  const cur = await readLock(home);
  if (cur.kind !== 'ok' || cur.record.epoch !== epoch || cur.record.nodeId !== nodeId) return false;
  // Not fsynced: it sits on the handover path, and losing it to a power cut only leaves an
  // older epoch marked 'held', which nobody trusts over ZooKeeper's epoch.
  await writeLockAtomic(home, { ...cur.record, state: 'released', time: new Date().toISOString() }, false);
  return true;
}
