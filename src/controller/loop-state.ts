/**
 * The control loop's own state: the flags its actions set and observe() reads (the term, the
 * history and the role live in their rooms: term.ts, recorder.ts). Plain data.
 */
export interface LoopState {
  shuttingDown: boolean;
  /** finish-shutdown is done: the loop ends. */
  finished: boolean;
  /** Resigned (or yielded for sync) until then, out of the election; null = not resigned. */
  resignedUntil: number | null;
  /** We stopped Jenkins to hand over (switchover): leave the election when it has stopped. */
  handingOver: boolean;
  /** Why our Jenkins is unhealthy (the supervisor said), until it is stopped. */
  unhealthy: string | null;
  /** We ordered our own Jenkins killed to fence it; cleared when it exits. */
  killingForFence: boolean;
  /** Monotonic ms when that fence was ordered (null: none running); the hung-home policy times it. */
  fencingSince: number | null;
  /** The next exit of Jenkins counts as a failure (a restart of an unhealthy Jenkins). */
  failNextExit: boolean;
  /** The sentence of the last decision. */
  lastReason: string;
  /** The last logged decision, numbers masked: a decision is logged when this changes. */
  lastReasonShape: string;
  /** Monotonic time the loop last completed a cycle (0: none yet). */
  lastCycleAt: number;
}

export function initialLoopState(): LoopState {
  return {
    shuttingDown: false,
    finished: false,
    resignedUntil: null,
    handingOver: false,
    unhealthy: null,
    killingForFence: false,
    fencingSince: null,
    failNextExit: false,
    lastReason: '',
    lastReasonShape: '',
    lastCycleAt: 0,
  };
}
