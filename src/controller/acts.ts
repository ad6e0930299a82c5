/**
 * The action table's type, and the handlers of the sync and home actions, kept beside the loop
 * (controller.ts) so the loop file holds the loop: each handler acts on one decision, its
 * context names what it may touch.
 */
import type { Logger } from '../logging/logger';
import type { SyncGate } from '../sync/types';
import type { Action, Decision, Observed } from './decide';
import type { LoopState } from './loop-state';
import type { Recorder } from './recorder';
import type { RestartTracker } from './restarts';
import type { TermKeeper } from './term';

/** One handler per action kind: the compiler rejects a kind without one. */
export type ActionHandlers = { [K in Action['kind']]: (a: Extract<Action, { kind: K }>, d: Decision, o: Observed) => Promise<void> | void };

export interface GateActsContext {
  state: LoopState;
  resignCooldownMs: number;
  now: () => number;
  log: Logger;
  recorder: Recorder;
  restarts: RestartTracker;
  term: TermKeeper;
  sync: SyncGate | null;
}

/**
 * sync.mode git (restore or yield) and a bad JENKINS_HOME (yield or leave). `ctx` is read when a
 * handler runs (the table is built before the controller's parts exist).
 */
export function gateActs(ctx: () => GateActsContext): Pick<ActionHandlers, 'sync-restore' | 'sync-yield' | 'home-yield' | 'home-leave'> {
  return {
    'sync-restore': (a, d) => {
      const c = ctx();
      const epoch = c.term.epoch();
      if (epoch === null || !c.sync) return;
      if (a.stale) {
        c.log.error(d.reason, { event: 'sync.blocked', epoch, allowStale: true });
        c.recorder.record('sync.stale_accepted', d.reason);
      }
      c.sync.restore(epoch, a.stale);
    },
    'sync-yield': async (_a, d) => {
      const c = ctx();
      c.state.resignedUntil = c.now() + c.resignCooldownMs;
      c.log.error(d.reason, { event: 'sync.blocked', epoch: c.term.epoch() ?? undefined, cooldownMs: c.resignCooldownMs });
      c.recorder.record('sync.blocked', d.reason);
      await c.term.leaveCleanly('sync: the recorded configuration cannot be restored here');
    },
    'home-yield': async (_a, d) => {
      const c = ctx();
      c.state.resignedUntil = c.now() + c.resignCooldownMs;
      c.restarts.reset();
      await c.term.yieldForHome(d.reason, c.resignCooldownMs);
    },
    'home-leave': (_a, d) => ctx().term.leaveForHome(d.reason),
  };
}
