/**
 * What each fault must and must not cause, and the verdict on one fault window (pure).
 *
 * A window runs from the fault to the moment the cluster settled again (one leader with a ready
 * Jenkins, two standbys, every piece restored) plus a quiet period. In it we count the Jenkins
 * lives that started (journal) and the fencing epochs they carry:
 *
 * - a fault that must move leadership (kill/freeze/partition of the leader's controller, a
 *   switchover) must show exactly one new Jenkins under a new epoch on another node;
 * - a Jenkins crash or hang must show exactly one new Jenkins under the SAME epoch (restart in
 *   place, no failover);
 * - losing one ZooKeeper server (leader or follower) must show no new Jenkins at all;
 * - a quorum loss stops Jenkins (nobody can prove leadership) and must show exactly one new one.
 *
 * More lives or epochs than that are needless restarts/failovers; fewer means the fault did not
 * happen (a broken harness), which fails the run as well.
 */
import type { Life } from '../helpers/journal';
import type { FaultKind } from './schedule';

export interface Expectation {
  /** New Jenkins lives the fault must cause. */
  lives: number;
  /** At most this many (default: exactly `lives`): for faults whose right answer may be either. */
  maxLives?: number;
  /** Leadership: must move to another node, must stay, or may do either. */
  leader: 'change' | 'same' | 'any';
}

export const EXPECTATIONS: Record<FaultKind, Expectation> = {
  'kill-controller': { lives: 1, leader: 'change' },
  'kill-controller-and-jenkins': { lives: 1, leader: 'change' },
  'stop-controller': { lives: 1, leader: 'change' },
  'blackhole-leader': { lives: 1, leader: 'change' },
  switchover: { lives: 1, leader: 'change' },
  'crash-jenkins': { lives: 1, leader: 'same' },
  'hang-jenkins': { lives: 1, leader: 'same' },
  'kill-zk-leader': { lives: 0, leader: 'same' },
  'kill-zk-follower': { lives: 0, leader: 'same' },
  'zk-quorum-loss': { lives: 1, leader: 'any' },
  // The leader's mount hangs: its Jenkins is killed and it yields to a node whose mount works.
  'storage-hang': { lives: 1, leader: 'change' },
  // Every mount hangs (the storage server is down): Jenkins is killed, one comes back after the heal.
  'storage-hang-all': { lives: 1, leader: 'any' },
  // Shorter than the I/O deadline: nothing may happen.
  'storage-stall': { lives: 0, leader: 'same' },
  // A full home may cost the storage lease (the heartbeat cannot land): then Jenkins is fenced and
  // one comes back, on either node; or nothing happens. More is needless.
  'disk-full': { lives: 0, maxLives: 1, leader: 'any' },
  // The leader's wall clock steps an hour and back: nothing may happen.
  'clock-jump': { lives: 0, leader: 'same' },
  // A switchover to a standby whose clock is an hour off: exactly one move, to it.
  'clock-skew': { lives: 1, leader: 'change' },
  // The cluster's znodes deleted: the leader loses its term (or keeps it, if it can prove it);
  // at most one new Jenkins, under a higher epoch (the writes check sees an epoch going back).
  'zk-state-loss': { lives: 0, maxLives: 1, leader: 'any' },
};

export interface LeaderView {
  id: string;
  epoch: string;
}

export interface WindowInput {
  kind: FaultKind;
  /** What this window must show instead of EXPECTATIONS[kind] (the fault saw a case its kind allows). */
  expect?: Expectation;
  /** mono ms recovery is measured from. */
  t0: number;
  before: LeaderView;
  after: LeaderView;
  /** Lives that started in the window, in start order. */
  started: Life[];
}

export interface WindowVerdict {
  /** t0 -> first new Jenkins ready; 0 when none was due and none happened; null = never ready. */
  recoveryMs: number | null;
  needless: number;
  /** Why the needless count is not 0. */
  needlessWhy: string[];
  /** The fault did not have its effect: the harness (or the fault) is broken. */
  selfCheck: string[];
}

export function evaluateWindow(w: WindowInput): WindowVerdict {
  const exp = w.expect ?? EXPECTATIONS[w.kind];
  const epochs = [...new Set(w.started.map((l) => l.epoch ?? '?'))].filter((e) => e !== w.before.epoch);
  const leaderChanges = epochs.length;
  const selfCheck: string[] = [];
  const needlessWhy: string[] = [];

  if (w.started.length < exp.lives) {
    selfCheck.push(`expected ${exp.lives} new Jenkins, saw ${w.started.length}: the fault had no effect`);
  }
  if (exp.leader === 'change') {
    if (w.after.id === w.before.id) selfCheck.push(`leadership did not move: ${w.before.id} still leads (epoch ${w.after.epoch})`);
    if (leaderChanges === 0) selfCheck.push(`no new fencing epoch after epoch ${w.before.epoch}`);
  }

  const most = exp.maxLives ?? exp.lives;
  const extraLives = Math.max(0, w.started.length - most);
  if (extraLives > 0) needlessWhy.push(`${w.started.length} Jenkins started where ${most === exp.lives ? '' : 'at most '}${most} ${most === 1 ? 'was' : 'were'} needed`);
  let extraChanges = 0;
  if (exp.leader === 'same') {
    extraChanges = leaderChanges + (leaderChanges === 0 && w.after.id !== w.before.id ? 1 : 0);
    if (extraChanges > 0) needlessWhy.push(`leadership moved ${w.before.id} (epoch ${w.before.epoch}) -> ${w.after.id} (epoch ${w.after.epoch}) where it should have stayed`);
  } else {
    extraChanges = Math.max(0, leaderChanges - 1);
    if (extraChanges > 0) needlessWhy.push(`${leaderChanges} new epochs (${epochs.join(', ')}) where at most one was needed`);
  }

  let recoveryMs: number | null;
  if (exp.lives === 0 && w.started.length === 0) recoveryMs = 0;
  else {
    const ready = w.started.find((l) => l.ready !== undefined);
    recoveryMs = ready?.ready === undefined ? null : Math.max(0, ready.ready - w.t0);
  }
  return { recoveryMs, needless: Math.max(extraLives, extraChanges), needlessWhy, selfCheck };
}
