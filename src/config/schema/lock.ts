/** Config keys of the storage lease and flock on JENKINS_HOME. */
import type { Config, FlockTimeoutAction } from '../types';
import { intFormat } from './formats';
import type { SpecTree } from './spec';

const FLOCK_ACTIONS: FlockTimeoutAction[] = ['refuse', 'proceed'];

/** The `lock` section. */
export function lockKeys(): SpecTree<Config['lock']> {
  return {
    heartbeatMs: {
      doc: 'Storage lease: while Jenkins runs, the leader refreshes the heartbeat in JENKINS_HOME/.jenkins-ha.lock this often (ms), and checks there that no newer epoch took over. 0 = lock.leaseMs / 4. Integer 0..600000; must be < lock.leaseMs.',
      format: intFormat(0, 600000),
      default: 0,
    },
    leaseMs: {
      doc: 'Storage lease: a new leader that finds a lock of another epoch, not released, whose heartbeat is younger than this (ms) waits until it is older before starting Jenkins. 0 = zk.sessionTimeoutMs / 2 (shorter than a crashed leader\'s heartbeat can be old when its session expires, so a crash costs no wait). Measured on each reader\'s monotonic clock (the heartbeat unchanged for this long), so node clocks need not agree. Integer 0..3600000.',
      format: intFormat(0, 3600000),
      default: 0,
    },
    ioTimeoutMs: {
      doc: 'Deadline in ms of every file-system call on JENKINS_HOME (lock file, heartbeat, start-up checks), made off the event loop in a helper process that is killed when it misses it; a heartbeat (read + write) shares one deadline. A leader whose home does not answer within it fences Jenkins and yields. 0 = min(2000, lock.leaseMs - lock.heartbeatMs - fencing.marginMs). Integer 0..600000; rule: lock.heartbeatMs + ioTimeoutMs + fencing.marginMs <= lock.leaseMs (docs/safety.md).',
      format: intFormat(0, 600000),
      default: 0,
    },
    flockWaitMs: {
      doc: 'How long (ms) the shim waits for the exclusive flock on JENKINS_HOME/.jenkins-ha.flock before starting Jenkins; integer 0..3600000 (0 = try once).',
      format: intFormat(0, 3600000),
      default: 10000,
    },
    flockTimeoutAction: {
      doc: 'What the shim does when the flock is not acquired in time: refuse (do not start Jenkins; the leader reports it and retries) or proceed (start Jenkins anyway, logged as an error).',
      format: FLOCK_ACTIONS,
      default: 'refuse',
    },
  };
}
