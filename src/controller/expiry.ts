/**
 * When the maintenance pause and the switchover intent expire, judged by each node on its own
 * monotonic clock from the moment it first saw the record, never by comparing one node's wall
 * clock with another's. A node whose clock runs an hour ahead no longer expires another node's
 * pause or switchover early, and one behind keeps none an hour too long.
 *
 * - A pause lasts `until - since`: both written by the node that set it, from its own clock, so
 *   the difference is right whatever that clock's offset (records of older versions too).
 * - A switchover lasts the reader's switchover timeout from the moment the reader first saw it
 *   (a scheduled one: from the moment it first saw it started, not while it waits for its time).
 * - A scheduled switchover is due when the reader's monotonic clock reaches the requested time as
 *   converted at first sight (schedule.ts); only the leader acts on it.
 *
 * Every node follows the records through ZooKeeper watches, so it sees them within milliseconds
 * of the write. A node that starts (or restarts) while a record exists counts from then: the
 * record can last up to that late start longer on that node, never shorter (docs/operating.md).
 */
import type { PauseRecord } from './records';
import { dueAtMono } from './schedule';
import type { SwitchoverIntent } from './status';

/** What identifies one pause: a new pause (or one rewritten with another TTL) starts afresh. */
function pauseKey(p: PauseRecord): string {
  return JSON.stringify(['pause', p.by, p.reason, p.since, p.until, p.drain === true]);
}

/**
 * The pause's length as its writer set it (ms), null = until resumed. Unreadable times make it 0
 * (expired at once), as they made it "not in force" before.
 */
export function pauseTtlMs(p: PauseRecord): number | null {
  if (p.until === null) return null;
  const ms = Date.parse(p.until) - Date.parse(p.since);
  return Number.isFinite(ms) ? Math.max(0, ms) : 0;
}

export class RecordExpiry {
  /** Key -> monotonic ms when this node first saw it. Only the current records are kept. */
  private pauseSeen: { key: string; at: number } | null = null;
  private switchoverSeen: { id: string; at: number } | null = null;
  /** A scheduled intent's requested time as a deadline on this node's monotonic clock. */
  private scheduledDue: { key: string; at: number } | null = null;

  constructor(
    private readonly now: () => number,
    private readonly wallNow: () => number = Date.now,
  ) {}

  /** The pause record now cached (null: none). Call on every refresh so the age counts from then. */
  seePause(p: PauseRecord | null): void {
    if (!p) {
      this.pauseSeen = null;
      return;
    }
    const key = pauseKey(p);
    if (this.pauseSeen?.key !== key) this.pauseSeen = { key, at: this.now() };
  }

  /** The switchover intent now cached (null: none). Its age counts from the first sight of its id. */
  seeSwitchover(so: SwitchoverIntent | null): void {
    if (!so) {
      this.switchoverSeen = null;
      this.scheduledDue = null;
      return;
    }
    // A scheduled intent that starts counts afresh: its age is the time since it started.
    const id = so.state === 'scheduled' ? `${so.id}/scheduled` : so.id;
    if (this.switchoverSeen?.id !== id) this.switchoverSeen = { id, at: this.now() };
    if (so.state === 'scheduled' && so.at !== undefined) {
      const key = `${so.id}@${so.at}`;
      if (this.scheduledDue?.key !== key) this.scheduledDue = { key, at: dueAtMono(so.at, this.wallNow(), this.now()) };
    }
  }

  /** Ms until a scheduled `so` is due on this node's clock (<= 0: due); null when `so` is not scheduled. */
  scheduledDueInMs(so: SwitchoverIntent): number | null {
    if (so.state !== 'scheduled' || so.at === undefined) return null;
    this.seeSwitchover(so);
    return (this.scheduledDue?.at ?? this.now()) - this.now();
  }

  /** Whether `p` has run its length on this node's clock. */
  pauseExpired(p: PauseRecord): boolean {
    const ttl = pauseTtlMs(p);
    if (ttl === null) return false;
    this.seePause(p);
    return this.now() - (this.pauseSeen?.at ?? this.now()) >= ttl;
  }

  /** How long this node has seen `so` (ms, monotonic). */
  switchoverAgeMs(so: SwitchoverIntent): number {
    this.seeSwitchover(so);
    return Math.max(0, this.now() - (this.switchoverSeen?.at ?? this.now()));
  }
}
