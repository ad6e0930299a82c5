/**
 * The actions of sync.mode git (decide/sync-gate.ts): restore the recorded configuration before a
 * launch (accepting a stale one when sync.allowStale says so), or yield the lead when it cannot be
 * restored here. Handlers of the controller's act table.
 */
import type { Logger } from '../logging/logger';
import type { SyncGate } from '../sync/types';
import type { Action, Decision } from './decide';
import type { LoopState } from './loop-state';
import type { Recorder } from './recorder';
import type { TermKeeper } from './term';

export interface SyncActionsContext {
  sync: SyncGate | null;
  term: TermKeeper;
  recorder: Recorder;
  log: Logger;
  state: LoopState;
  now: () => number;
  resignCooldownMs: number;
}

type Handler<K extends Action['kind']> = (a: Extract<Action, { kind: K }>, d: Decision) => Promise<void> | void;

/** `ctx` is read when an action runs (the act table is built before the controller's parts). */
export function syncActions(ctx: () => SyncActionsContext): { 'sync-restore': Handler<'sync-restore'>; 'sync-yield': Handler<'sync-yield'> } {
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
  };
}
