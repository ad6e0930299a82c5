/**
 * The observed state the decide() tests start from: the provable leader of session 3 holding
 * epoch 12, Jenkins running and healthy, no drain, no gate, no pause. Each test file overrides
 * what its rule is about.
 */
import type { Observed } from '../../../src/controller/decide';

export const NOW = 1_000_000;
export const FENCE = 8_000;
export const GEN = 3;
export const EPOCH = 12;

export type Overrides = Partial<Omit<Observed, 'zk' | 'election' | 'jenkins' | 'restarts'>> & {
  zk?: Partial<Observed['zk']>;
  election?: Partial<Observed['election']>;
  jenkins?: Partial<Observed['jenkins']>;
  restarts?: Partial<Observed['restarts']>;
};

export function leaderObserved(o: Overrides = {}): Observed {
  const { zk, election, jenkins, restarts, ...rest } = o;
  return {
    now: NOW,
    shuttingDown: false,
    fenceAfterMs: FENCE,
    term: { epoch: EPOCH, generation: GEN },
    maxRestarts: 3,
    resignedUntil: null,
    blocked: null,
    self: 'node-a',
    paused: false,
    pauseExpired: false,
    switchover: null,
    handingOver: false,
    drain: null,
    drainTimeoutMs: 0,
    drainOnShutdown: false,
    pauseDrain: false,
    eligibility: null,
    priority: null,
    sync: null,
    fence: null,
    storageLease: null,
    splitBrain: null,
    watchdog: null,
    home: null,
    homePolicy: null,
    ...rest,
    zk: { state: 'connected', generation: GEN, msSinceHeard: 500, ...zk },
    election: { role: 'leader', generation: GEN, joined: true, ...election },
    jenkins: { state: 'running', epoch: EPOCH, unhealthy: null, fencing: false, ...jenkins },
    restarts: { recentFailures: 0, nextAttemptAt: 0, ...restarts },
  };
}
