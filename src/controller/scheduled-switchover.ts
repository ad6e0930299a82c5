/**
 * The act table's handler of a due scheduled switchover (decide/scheduled.ts): the leader turns
 * the intent into an ordinary pending switchover from itself (compare-and-set, so a cancel that
 * lands first wins), or deletes it when it cannot run. Both are history entries.
 */
import type { Logger } from '../logging/logger';
import type { ClusterView } from './cluster-view';
import type { Action, Decision } from './decide';
import type { Recorder } from './recorder';

export interface ScheduledSwitchoverContext {
  cluster: ClusterView;
  recorder: Recorder;
  log: Logger;
  nodeId: string;
}

/** `ctx` is read when the action runs (the act table is built before the controller's parts). */
export function scheduledSwitchoverAction(ctx: () => ScheduledSwitchoverContext) {
  return async (a: Extract<Action, { kind: 'scheduled-switchover' }>, d: Decision): Promise<void> => {
    const c = ctx();
    const intent = c.cluster.switchover();
    const version = c.cluster.switchoverVersion();
    if (!intent || version === null || intent.state !== 'scheduled') return;
    if (a.run) {
      if (await c.cluster.setSwitchoverState({ ...intent, state: 'pending', from: c.nodeId }, version)) {
        c.log.info(d.reason, { event: 'switchover.executed', id: intent.id, at: intent.at });
        c.recorder.record('switchover.executed', d.reason);
      }
    } else if (await c.cluster.deleteSwitchover(version)) {
      c.log.warn(d.reason, { event: 'switchover.dropped', id: intent.id, at: intent.at });
      c.recorder.record('switchover.dropped', d.reason);
    }
  };
}
