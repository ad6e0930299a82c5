/**
 * The JENKINS_HOME lock file `.jenkins-ha.lock`: a JSON record of who runs Jenkins on this home
 * with which fencing epoch. Written atomically (temp file, fsync, rename, fsync of the directory),
 * mode 0600. A leader refuses to launch when the lock names a higher epoch than its own: a newer
 * leader exists somewhere, whatever this node believes.
 *
 * Every call goes through HomeIo (home-io.ts): off the event loop and the libuv pool, with a
 * deadline (lock.ioTimeoutMs) that one whole operation shares (a read and a write: one budget).
 * A hung home gives LOCK_TIMEOUT, never a promise that waits for ever. Something other than a
 * regular file at the lock path (a FIFO a build planted, a symlink, a directory) is never opened:
 * readLock reports it (`refused`) and a write renames a regular file over it.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { LockError } from '../errors';
import { monoNow } from '../util/clock';
import { sharedHomeIo, type HomeIo } from './home-io';
import type { HomeIoResult } from './home-io-types';
import { LOCK_FILE } from './home-perms';

// Named in home-perms.ts, which the start-up check loads before the join without this file.
export { LOCK_FILE } from './home-perms';

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

export type ReadLock =
  | { kind: 'none' }
  | { kind: 'ok'; record: LockRecord }
  | { kind: 'malformed'; text: string }
  /** Not a regular file (a FIFO, a symlink, a directory...): never opened; `what` says which. */
  | { kind: 'refused'; what: string };

/** Where one lock operation runs: the I/O, and its whole budget (default io.timeoutMs from now). */
export interface LockIo {
  io?: HomeIo;
  /** Monotonic deadline (monoNow() ms) shared by every call of the operation. */
  deadline?: number;
}

function budget(o: LockIo | undefined): { io: HomeIo; deadline: number } {
  const io = o?.io ?? sharedHomeIo();
  return { io, deadline: o?.deadline ?? monoNow() + io.timeoutMs };
}

function remaining(deadline: number): number {
  return Math.max(1, deadline - monoNow());
}

/** A failed HomeIo call as a LockError: LOCK_TIMEOUT (hung home), LOCK_REFUSED or LOCK_IO. */
function lockError(what: string, r: Exclude<HomeIoResult<unknown>, { kind: 'ok' }>): LockError {
  if (r.kind === 'timeout') return new LockError('LOCK_TIMEOUT', `cannot ${what}: ${r.message}`);
  if (r.kind === 'refused') return new LockError('LOCK_REFUSED', `cannot ${what}: ${r.message}; remove it (the controller writes a regular file there)`);
  return new LockError('LOCK_IO', `cannot ${what}: ${r.code}: ${r.message}`);
}

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

export async function readLock(home: string, o?: LockIo): Promise<ReadLock> {
  const { io, deadline } = budget(o);
  const r = await io.read(lockPath(home), remaining(deadline));
  if (r.kind === 'refused') return { kind: 'refused', what: r.message };
  if (r.kind !== 'ok') throw lockError(`read ${lockPath(home)}`, r);
  if (r.value === null) return { kind: 'none' };
  const record = parseLock(r.value);
  return record ? { kind: 'ok', record } : { kind: 'malformed', text: r.value };
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
 * in ZooKeeper, and a new term's epoch is taken above the lock's, see lockFloor). The rename
 * replaces a FIFO or symlink found at the lock path (never opened).
 */
export async function writeLockAtomic(home: string, record: LockRecord, durable = true, o?: LockIo): Promise<void> {
  const { io, deadline } = budget(o);
  const final = lockPath(home);
  const tmp = `${final}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const r = await io.writeAtomic(final, tmp, JSON.stringify(record) + '\n', { mode: 0o600, durable, timeoutMs: remaining(deadline) });
  if (r.kind !== 'ok') {
    // The helper removes its temp file on a failure it sees; after a timeout it may be left behind.
    if (r.kind === 'timeout') void io.unlink(tmp).catch(() => undefined);
    throw lockError(`write ${final}`, r);
  }
}

/**
 * Take the lock for `record.epoch`. Throws LOCK_HIGHER_EPOCH if the lock names a newer epoch.
 * Returns what was there before (for the log). One budget (LockIo) for the read and the write.
 * `read`: the lock as the caller read it just before (the launch's gate), not read again.
 */
export async function acquireHomeLock(home: string, record: LockRecord, o?: LockIo, read?: ReadLock): Promise<ReadLock> {
  const b = budget(o);
  const before = read ?? (await readLock(home, b));
  if (before.kind === 'ok' && before.record.epoch > record.epoch) {
    throw new LockError(
      'LOCK_HIGHER_EPOCH',
      `${lockPath(home)} names epoch ${before.record.epoch} (node ${before.record.nodeId}), newer than ours (${record.epoch}); refusing to launch Jenkins`,
    );
  }
  await writeLockAtomic(home, { ...record, state: 'held' }, true, b);
  return before;
}

/** Mark the lock released if it is still ours (same epoch and node). */
export async function releaseHomeLock(home: string, epoch: number, nodeId: string, o?: LockIo): Promise<boolean> {
  const b = budget(o);
  const cur = await readLock(home, b);
  if (cur.kind !== 'ok' || cur.record.epoch !== epoch || cur.record.nodeId !== nodeId) return false;
  // Not fsynced: it sits on the handover path, and losing it to a power cut only leaves an
  // older epoch marked 'held', which nobody trusts over ZooKeeper's epoch.
  await writeLockAtomic(home, { ...cur.record, state: 'released', time: new Date().toISOString() }, false, b);
  return true;
}
