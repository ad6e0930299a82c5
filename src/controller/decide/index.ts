/**
 * The decision: a pure function of what the controller observed. It returns one action and a
 * sentence saying why (Patroni's run_cycle style); the controller logs the sentence when it
 * changes and the tests assert on it. One function per situation, as Patroni's process_*:
 * shutting down (shutting-down.ts), Jenkins running (running.ts), Jenkins stopped (stopped.ts),
 * whose launch passes the ordered launch gates (gates.ts).
 *
 * The one promise: Jenkins runs only while this node can PROVE its leadership, i.e. its znode is
 * lowest in the current session AND ZooKeeper answered a request sent less than fenceAfterMs ago.
 * The server cannot expire the session before lastHeard + T, and fenceAfterMs + the fence kill
 * grace + a margin <= T (checked at start-up), so our Jenkins is dead before any standby can win.
 */
import { whileRunning } from './running';
import { whileShuttingDown } from './shutting-down';
import { whileStopped } from './stopped';
import type { Decision, Observed } from './types';

export type { Action, Decision, DrainEnd, DrainObserved, DrainPurpose, FenceState, LaunchGate, Observed } from './types';
export { drainEnd, drainStillWanted } from './drain';
export { canProveLeadership, isLeaderNow, leaseMsOf } from './leadership';
export { nodeRole } from './role';
export { settingsVerdict, type PeerSettings, type SettingDrift, type SettingsVerdict } from './settings';

export function decide(o: Observed): Decision {
  if (o.shuttingDown) return whileShuttingDown(o);
  if (o.jenkins.state !== 'stopped') return whileRunning(o);
  return whileStopped(o);
}
