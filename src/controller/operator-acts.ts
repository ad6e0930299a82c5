/**
 * The handlers of issue 16's actions beside the loop: the head of the line yielding for
 * election.priority / election.noFailover (decide/priority.ts), and the forced failover's pass of
 * the fencing gate (decide/gates.ts, fence-confirm.ts). Like ./acts.ts: `ctx` is read when
 * a handler runs, and each handler acts on one decision.
 */
import type { Election } from '../election/election';
import type { Logger } from '../logging/logger';
import type { ActionHandlers } from './acts';
import type { Recorder } from './recorder';
import type { TermKeeper } from './term';

export interface OperatorActsContext {
  log: Logger;
  recorder: Recorder;
  term: TermKeeper;
  election: Election;
}

export function operatorActs(ctx: () => OperatorActsContext): Pick<ActionHandlers, 'yield-lead' | 'accept-fence-confirmation' | 'refuse-fence-confirmation'> {
  return {
    // Forced failover: the fence gate records the pass (or the refusal) and consumes the
    // confirmation; the metric counts each confirmation acted on once.
    'accept-fence-confirmation': () => {
      const c = ctx();
      if (c.term.settleFenceConfirmation(true)) c.recorder.emit({ type: 'forced_failover', result: 'accepted' });
    },
    'refuse-fence-confirmation': () => {
      const c = ctx();
      if (c.term.settleFenceConfirmation(false)) c.recorder.emit({ type: 'forced_failover', result: 'refused' });
    },
    // No epoch was taken: leaving is a plain delete of our znode; the next in line wakes at once.
    'yield-lead': async (a, d) => {
      const c = ctx();
      await c.term.leaveCleanly(a.why === 'priority' ? `priority: yielding to ${a.to}` : 'noFailover: this node never leads');
      c.log.info(d.reason, { event: 'priority.yielded', why: a.why, to: a.to });
      c.recorder.record('priority.yielded', d.reason);
      c.recorder.emit({ type: 'priority_yield', why: a.why });
      c.election.join();
    },
  };
}
