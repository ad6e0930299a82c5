/**
 * The fault schedule: which fault comes when, drawn from a seeded PRNG before the run starts, so a
 * seed names a run. Kinds are drawn from a "bag": every block of FAULT_KINDS.length faults holds
 * each kind once, in a random order, so even a short run covers every kind (25 faults = every
 * kind at least twice). Each fault also carries its random parameters (durations, choices) so the
 * run itself draws nothing.
 */
import { Prng } from '../helpers/prng';

export const FAULT_KINDS = [
  'kill-controller',
  'kill-controller-and-jenkins',
  'stop-controller',
  'hang-jenkins',
  'crash-jenkins',
  'kill-zk-leader',
  'kill-zk-follower',
  'zk-quorum-loss',
  'blackhole-leader',
  'switchover',
  'storage-hang',
  'storage-hang-all',
  'storage-stall',
  'disk-full',
  'clock-jump',
  'clock-skew',
  'zk-state-loss',
] as const;

/** Kinds that need the shared home behind per-node FUSE mounts (shared mode only). */
export const STORAGE_KINDS: readonly FaultKind[] = ['storage-hang', 'storage-hang-all', 'storage-stall', 'disk-full'];
/** Kinds that need the controllers under libfaketime. */
export const CLOCK_KINDS: readonly FaultKind[] = ['clock-jump', 'clock-skew'];

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  /** 1-based position in the run. */
  n: number;
  kind: FaultKind;
  /**
   * How long the fault is held, as a multiple of the session timeout T: SIGSTOP of the controller
   * (1.25..2.5 T), ZooKeeper quorum loss (1.5..3 T), blackhole (at least 1.5..3 T), every mount
   * hung (1..2 T), the disk full (1..2 T), a clock stepped (1..2 T); 0 otherwise.
   */
  holdT: number;
  /** A uniform draw in [0, 1) for the fault's one choice (which standby, which follower, ...). */
  choice: number;
  /** A second draw: switchover with a named candidate (< 0.5) or to the next in line. */
  choice2: number;
}

export function isFaultKind(s: string): s is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(s);
}

function holdFor(kind: FaultKind, prng: Prng): number {
  const range = (lo: number, hi: number): number => Math.round((lo + prng.next() * (hi - lo)) * 100) / 100;
  switch (kind) {
    case 'stop-controller':
      return range(1.25, 2.5);
    case 'zk-quorum-loss':
    case 'blackhole-leader':
      return range(1.5, 3);
    case 'storage-hang-all':
    case 'disk-full':
    case 'clock-jump':
      return range(1, 2);
    default:
      return 0;
  }
}

/** The first `count` faults for `seed`, restricted to `kinds` (default: all). Pure. */
export function buildSchedule(seed: number, count: number, kinds: readonly FaultKind[] = FAULT_KINDS): Fault[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`fault count must be an integer >= 0, got ${count}`);
  if (kinds.length === 0) throw new Error('no fault kinds to draw from');
  const prng = new Prng(seed);
  const out: Fault[] = [];
  let bag: FaultKind[] = [];
  while (out.length < count) {
    if (bag.length === 0) bag = prng.shuffle(kinds);
    const kind = bag.shift() as FaultKind;
    out.push({ n: out.length + 1, kind, holdT: holdFor(kind, prng), choice: prng.next(), choice2: prng.next() });
  }
  return out;
}
