/**
 * The cluster-wide view of the safety settings at run time (issue 16 item 3): logs the drift and
 * a refusal to lead once each time they change (events `settings.drift`, `settings.drift_cleared`,
 * `settings.refused`; history entries too), and the act table's handler of a node that steps aside
 * because its settings would break the safety rule (decide/settings.ts decides).
 */
import type { Election } from '../election/election';
import type { Logger } from '../logging/logger';
import type { ClusterView } from './cluster-view';
import type { Decision, SettingsVerdict } from './decide';
import type { Recorder } from './recorder';
import type { TermKeeper } from './term';

export interface SettingsWatchOptions {
  cluster: Pick<ClusterView, 'on'>;
  /** This node's verdict now (null: its own settings are not known). */
  verdict: () => SettingsVerdict | null;
  log: Logger;
  record: (event: string, reason: string) => void;
  /** True once this node shuts down: it has left, and what its view sees of the others then is no news. */
  leaving: () => boolean;
}

/** Words for a drift list: `zk.sessionTimeoutMs 10000 here, 4000 on node b; ...`. */
export function driftText(v: SettingsVerdict): string {
  return v.drift.map((d) => `${d.key} ${String(d.here)} here, ${String(d.there)} on node ${d.node}`).join('; ');
}

/** Follows the member records; logs (and records) only when the drift or the refusal changes. */
export function watchSettings(o: SettingsWatchOptions): void {
  let lastDrift = '';
  let lastRefusal = '';
  const see = (): void => {
    const v = o.leaving() ? null : o.verdict();
    if (!v) return;
    const drift = driftText(v);
    if (drift !== lastDrift) {
      if (drift !== '') {
        o.log.warn(`safety settings differ between members: ${drift}`, { event: 'settings.drift', drift: v.drift });
        o.record('settings.drift', drift);
      } else if (lastDrift !== '') {
        o.log.info('safety settings agree on every member again', { event: 'settings.drift_cleared' });
        o.record('settings.drift_cleared', 'safety settings agree on every member');
      }
      lastDrift = drift;
    }
    const refusal = v.violations.join('; ');
    if (refusal !== lastRefusal && refusal !== '') {
      o.log.error(`this node refuses to lead: ${refusal}`, { event: 'settings.refused' });
      o.record('settings.refused', refusal);
    }
    lastRefusal = refusal;
  };
  o.cluster.on('change', see);
}

export interface SettingsStepAsideContext {
  term: TermKeeper;
  election: Election;
  recorder: Recorder;
  log: Logger;
}

/** `ctx` is read when the action runs (the act table is built before the controller's parts). */
export function settingsStepAsideAction(ctx: () => SettingsStepAsideContext) {
  return async (_a: unknown, d: Decision): Promise<void> => {
    const c = ctx();
    await c.term.leaveCleanly('settings: stepping aside');
    c.log.warn(d.reason, { event: 'settings.stepped_aside' });
    c.recorder.record('settings.stepped_aside', d.reason);
    c.election.join();
  };
}
