/**
 * The act table's handler of `finish-shutdown`: disarm, stop keeping the term, leave cleanly
 * (lock released, breadcrumb and election znode deleted in one transaction), then the tail: the
 * history of the way out, the sync and the ZooKeeper session. When this node handed a term over,
 * the tail waits HANDOVER_TAIL_MS first: the successor is taking its epoch and launching right
 * then, and on a small host the tail (two ZooKeeper transactions: the history entry and the
 * session close, which the server commits in the same pipeline as the successor's epoch; the
 * close's notifications to the successor; the process exit) competes with it for the CPU.
 * Nothing in the tail is a fencing step (docs/safety.md, "The graceful handover path").
 */
import { errorMessage } from '../errors';
import type { Coordinator } from '../coordination/types';
import type { Logger } from '../logging/logger';
import type { SyncGate } from '../sync/types';
import { delay } from '../util/timers';
import type { LoopState } from './loop-state';
import type { EligibilityPort, SupervisorPort } from './options';
import type { Recorder } from './recorder';
import type { TermKeeper } from './term';

/** How long a controller that handed its term over waits after the leave before its teardown. */
export const HANDOVER_TAIL_MS = 100;

export interface ShutdownContext {
  jenkins: Pick<SupervisorPort, 'disarm'>;
  term: TermKeeper;
  eligibility: EligibilityPort | null;
  recorder: Recorder;
  sync: SyncGate | null;
  coord: Coordinator;
  state: LoopState;
  log: Logger;
}

/** `ctx` is read when the action runs (the act table is built before the controller's parts). */
export function finishShutdownAction(ctx: () => ShutdownContext) {
  return async (): Promise<void> => {
    const c = ctx();
    c.jenkins.disarm();
    c.term.disarmWatchdog('shutdown');
    c.eligibility?.stop();
    c.term.stopKeeping();
    const handedOver = c.term.epoch() !== null;
    await c.term.leaveCleanly('shutdown').catch((err: unknown) => c.log.warn(`could not leave cleanly: ${errorMessage(err)}`, { event: 'shutdown.leave_failed' }));
    if (handedOver) await delay(HANDOVER_TAIL_MS);
    // The history of the way out (Jenkins stopped, ...) follows the leave, not ahead of it.
    await c.recorder.flushHistory();
    await c.sync?.close();
    await c.coord.close();
    c.state.finished = true;
    c.log.info('controller stopped', { event: 'stopped' });
  };
}
