/**
 * The handlers of a planned hand-over, beside the loop (controller.ts): the drain before a planned
 * stop (a switchover, a pause or a shutdown: decide/drain.ts) and its cancel, then a switchover's
 * steps (hand over, leave and rejoin behind the new leader, complete it, or drop an expired one).
 * Like ./acts.ts: `ctx` is read when a handler runs, and each handler acts on one decision.
 */
import { errorCode, errorMessage } from '../errors';
import type { Election } from '../election/election';
import type { Logger } from '../logging/logger';
import type { ActionHandlers } from './acts';
import type { ClusterView } from './cluster-view';
import type { DrainTracker } from './drain';
import type { LoopState } from './loop-state';
import type { SupervisorPort } from './options';
import type { Recorder } from './recorder';
import type { TermKeeper } from './term';

export interface SwitchoverActsContext {
  state: LoopState;
  log: Logger;
  recorder: Recorder;
  term: TermKeeper;
  election: Election;
  cluster: ClusterView;
  jenkins: SupervisorPort;
  drain: DrainTracker | null;
  stopTimeoutMs: number;
  drainTimeoutMs: number | undefined;
}

type SwitchoverKinds = 'start-drain' | 'cancel-drain' | 'hand-over' | 'leave-and-rejoin' | 'complete-switchover' | 'expire-switchover';

export function switchoverActs(ctx: () => SwitchoverActsContext): Pick<ActionHandlers, SwitchoverKinds> {
  return {
    'start-drain': async (a, d) => {
      const c = ctx();
      if (!c.drain) return;
      let switchoverId: string | null = null;
      if (a.purpose === 'switchover') {
        const intent = c.cluster.switchover();
        const version = c.cluster.switchoverVersion();
        if (!intent || version === null) return;
        if (intent.state === 'pending' && !(await c.cluster.setSwitchoverState({ ...intent, state: 'draining' }, version))) return;
        switchoverId = intent.id;
      }
      c.drain.start(a.purpose, switchoverId);
      c.log.info(d.reason, { event: 'drain.started', purpose: a.purpose, timeoutMs: c.drainTimeoutMs ?? 0 });
      c.recorder.record('drain.started', d.reason);
    },
    'cancel-drain': async (_a, d) => {
      const c = ctx();
      const st = c.drain?.state();
      try {
        await c.drain?.cancel();
        c.log.info(d.reason, { event: 'drain.cancelled', purpose: st?.purpose });
      } catch (err) {
        c.log.warn(`${d.reason}; but cancelQuietDown failed: ${errorMessage(err)}`, { event: 'drain.cancel_failed', code: errorCode(err) });
      }
      c.recorder.record('drain.cancelled', d.reason);
    },
    'hand-over': async (a, d) => {
      const c = ctx();
      const version = c.cluster.switchoverVersion();
      const intent = c.cluster.switchover();
      const report = a.drain ? c.recorder.drainReport(a.drain) : undefined;
      if (!intent || version === null || !(await c.cluster.markSwitchoverRunning(intent, version, report))) return;
      if (a.drain) c.recorder.reportDrain(a.drain);
      c.state.handingOver = true;
      c.log.info(d.reason, { event: 'switchover.started', id: intent.id });
      c.recorder.record('switchover.started', d.reason);
      void c.jenkins.stop(c.stopTimeoutMs, d.reason);
    },
    'leave-and-rejoin': async (a, d) => {
      const c = ctx();
      c.state.handingOver = false;
      await c.term.leaveCleanly(a.why === 'switchover' ? 'switchover: handing over' : 'switchover: stepping aside');
      c.recorder.record(a.why === 'switchover' ? 'switchover.left' : 'switchover.stepped_aside', d.reason);
      c.election.join();
    },
    'complete-switchover': async (_a, d) => {
      const c = ctx();
      const intent = c.cluster.switchover();
      if (intent && (await c.cluster.deleteSwitchover(-1))) {
        c.log.info(d.reason, { event: 'switchover.completed', id: intent.id });
        c.recorder.record('switchover.completed', d.reason);
      }
    },
    'expire-switchover': async (_a, d) => {
      const c = ctx();
      const version = c.cluster.switchoverVersion();
      if (version !== null && (await c.cluster.deleteSwitchover(version))) {
        c.log.warn(d.reason, { event: 'switchover.abandoned' });
        c.recorder.record('switchover.abandoned', d.reason);
      }
    },
  };
}
