/**
 * Fencing layer 4, the storage lease: while its Jenkins runs, a leader refreshes `heartbeatAt` in
 * the JENKINS_HOME lock file every lock.heartbeatMs. A new leader that finds a lock of another
 * epoch, not released, with a heartbeat younger than lock.leaseMs waits until it is older before
 * starting Jenkins: this covers a ZooKeeper that sees the old leader gone while the shared storage
 * still sees it write. The same read tells a running leader when a newer epoch took the home
 * (the split-brain alarm, layer 6).
 *
 * Staleness is judged on the READER's monotonic clock, never by comparing the writer's wall clock
 * with ours: a heartbeat is stale once this node has seen it unchanged for lock.leaseMs
 * (HeartbeatClock). `heartbeatAt` only has to change with every beat; a writer whose clock is an
 * hour ahead (or a reader stepped back) holds nobody up, and one behind lets nobody in early. The
 * cost: a reader that looks for the first time counts the lease from that look (a standby that
 * keeps looking, see LaunchGuard.watch, has counted already).
 */
import { errorCode, errorMessage } from '../errors';
import { monoNow } from '../util/clock';
import { sharedHomeIo, type HomeIo } from './home-io';
import { readLock, writeLockAtomic, type LockRecord, type ReadLock } from './home-lock';

export type LeaseVerdict =
  /** Nothing stops a launch of `ownEpoch`. */
  | { kind: 'free'; why: 'no-lock' | 'malformed' | 'refused' | 'ours' | 'released' | 'stale'; ageMs: number | null }
  /** Another epoch's heartbeat is live: wait `waitMs` (at most leaseMs), then read again. */
  | { kind: 'wait'; waitMs: number; ageMs: number; holder: LockRecord }
  /** The lock names a newer epoch than ours: a newer leader exists. */
  | { kind: 'newer'; holder: LockRecord };

/** What identifies one heartbeat: any beat, release or new holder changes it. */
function beatKey(r: LockRecord): string {
  return JSON.stringify([r.epoch, r.nodeId, r.host, r.pid, r.state, r.heartbeatAt ?? null, r.time]);
}

/**
 * How long THIS node has seen the lock's heartbeat unchanged, on its own monotonic clock. Kept
 * across looks (and terms): a heartbeat first seen now counts 0 ms old, whatever its wall time.
 */
export class HeartbeatClock {
  private seen: { key: string; at: number } | null = null;

  /** Ms `r`'s heartbeat has been unchanged as seen from here, at monotonic `nowMs`. */
  unchangedFor(r: LockRecord, nowMs: number): number {
    const key = beatKey(r);
    if (this.seen?.key !== key || nowMs < this.seen.at) this.seen = { key, at: nowMs };
    return nowMs - this.seen.at;
  }

  /** No lock (or an unreadable one) now: the next heartbeat seen starts counting afresh. */
  forget(): void {
    this.seen = null;
  }
}

/**
 * Pure: what the lock means for a launch of `ownEpoch`, given how long this node has seen its
 * heartbeat unchanged (`unchangedMs`, from HeartbeatClock on the reader's monotonic clock).
 */
export function leaseVerdict(lock: ReadLock, ownEpoch: number, unchangedMs: number, leaseMs: number): LeaseVerdict {
  if (lock.kind === 'none') return { kind: 'free', why: 'no-lock', ageMs: null };
  if (lock.kind === 'malformed') return { kind: 'free', why: 'malformed', ageMs: null };
  // A FIFO or symlink is nothing a controller writes: no holder to wait for (the write replaces it).
  if (lock.kind === 'refused') return { kind: 'free', why: 'refused', ageMs: null };
  const r = lock.record;
  if (r.epoch > ownEpoch) return { kind: 'newer', holder: r };
  const ageMs = Math.max(0, unchangedMs);
  if (r.epoch === ownEpoch) return { kind: 'free', why: 'ours', ageMs };
  if (r.state === 'released') return { kind: 'free', why: 'released', ageMs };
  if (ageMs >= leaseMs) return { kind: 'free', why: 'stale', ageMs };
  // Look again when it would be stale (at most one lease from now), or earlier if it changes.
  return { kind: 'wait', waitMs: Math.max(1, leaseMs - ageMs), ageMs, holder: r };
}

export function describeHolder(r: LockRecord): string {
  return `epoch ${r.epoch} (node ${r.nodeId}${r.host ? `@${r.host}` : ''})`;
}

export type BeatResult =
  | { kind: 'refreshed'; writeMs: number }
  /** The lock was missing, unreadable or another older epoch's: ours was written again. */
  | { kind: 'rewritten'; writeMs: number; found: string }
  | { kind: 'newer'; holder: LockRecord }
  /** LOCK_TIMEOUT (the home did not answer within the budget), LOCK_IO... */
  | { kind: 'error'; code: string; message: string };

/**
 * One heartbeat of the holder of `self.epoch`: read the lock; a newer epoch, or ours in another
 * node's name, is reported (not overwritten); otherwise write our record with `heartbeatAt =
 * nowWall()` atomically (temp file + rename, no fsync: a heartbeat lost to a power cut is
 * harmless). The read and the write share one deadline, `io.timeoutMs` (lock.ioTimeoutMs) from the
 * start of the beat.
 */
export async function beatHomeLock(
  home: string,
  self: Omit<LockRecord, 'heartbeatAt' | 'state'>,
  nowWall: () => number,
  io: HomeIo = sharedHomeIo(),
): Promise<BeatResult> {
  const b = { io, deadline: monoNow() + io.timeoutMs };
  let cur: ReadLock;
  try {
    cur = await readLock(home, b);
  } catch (err) {
    return { kind: 'error', code: errorCode(err) ?? 'LOCK_IO', message: errorMessage(err) };
  }
  if (cur.kind === 'ok' && cur.record.epoch > self.epoch) return { kind: 'newer', holder: cur.record };
  // Our epoch in another node's name: epochs were handed out twice (a stale leader from before a
  // loss of ZooKeeper state, docs/safety.md). Never overwrite it; alarm like a newer one.
  if (cur.kind === 'ok' && cur.record.epoch === self.epoch && cur.record.nodeId !== self.nodeId) return { kind: 'newer', holder: cur.record };
  const mine = cur.kind === 'ok' && cur.record.epoch === self.epoch && cur.record.nodeId === self.nodeId;
  const t0 = monoNow();
  try {
    const base = mine && cur.kind === 'ok' ? cur.record : self;
    await writeLockAtomic(home, { ...base, state: 'held', heartbeatAt: nowWall() }, false, b);
  } catch (err) {
    return { kind: 'error', code: errorCode(err) ?? 'LOCK_IO', message: errorMessage(err) };
  }
  const writeMs = monoNow() - t0;
  if (mine) return { kind: 'refreshed', writeMs };
  const found = cur.kind === 'ok' ? describeHolder(cur.record) : cur.kind === 'none' ? 'no lock file' : cur.kind === 'refused' ? cur.what : 'a malformed lock file';
  return { kind: 'rewritten', writeMs, found };
}
