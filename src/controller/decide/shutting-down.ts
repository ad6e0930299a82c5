/** The decision while this node shuts down: fence or stop Jenkins (drained if asked), then leave. Pure. */
import { drainThen } from './drain';
import { canProveLeadership, whyNotProvable } from './leadership';
import { none, stopJenkins, type Decision, type Observed } from './types';

export function whileShuttingDown(o: Observed): Decision {
  const j = o.jenkins;
  if (j.state === 'stopped') return { action: { kind: 'finish-shutdown' }, reason: 'shutting down; Jenkins is stopped; leaving' };
  if (!canProveLeadership(o) && !j.fencing) return stopJenkins(`shutting down and ${whyNotProvable(o)}; fencing Jenkins`, 'fence');
  if (j.state === 'stopping') return none('shutting down; waiting for Jenkins to stop');
  return drainThen(o, {
    purpose: 'shutdown',
    enabled: o.drainOnShutdown && o.drainTimeoutMs > 0,
    starting: 'shutting down; draining Jenkins (quiet-down) before stopping it',
    waiting: (builds) => `shutting down; draining Jenkins: ${builds}`,
    then: (end, builds) =>
      stopJenkins(
        end === null
          ? 'shutting down; stopping Jenkins'
          : end === 'finished'
            ? 'shutting down; no build running; stopping Jenkins'
            : `shutting down; drain timed out with ${builds}; stopping Jenkins`,
        'graceful',
        { drain: end },
      ),
  });
}
