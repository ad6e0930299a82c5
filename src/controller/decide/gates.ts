/**
 * The launch gates: what a leader holding a term checks, in this order, before it starts
 * Jenkins. Each returns the decision that holds the launch back (or acts for it), or null when it
 * lets the launch through. Pure.
 */
import { seqOf } from './leadership';
import { syncGate } from './sync-gate';
import { held, none, type Decision, type Observed } from './types';

export type LaunchGateCheck = (o: Observed) => Decision | null;

/** Layer 3: the previous active must be fenced before this term starts Jenkins. */
export function fenceGate(o: Observed): Decision | null {
  const f = o.fence;
  if (!f || f.state === 'done') return null;
  const c = f.confirmed;
  if (c) {
    if (c.holderIsMember) {
      return {
        action: { kind: 'refuse-fence-confirmation' },
        reason: `leader with ${seqOf(o)}; refusing the confirmation by ${c.by} that the previous active is fenced: it still holds a live ZooKeeper session (${f.reason})`,
      };
    }
    return {
      action: { kind: 'accept-fence-confirmation' },
      reason: `leader with ${seqOf(o)}; the previous active was confirmed fenced by ${c.by}${c.reason ? ` (${c.reason})` : ''}: passing the fencing gate (${f.reason})`,
    };
  }
  if (f.state === 'running') return held('fencing', `leader with ${seqOf(o)}; fencing the previous active (${f.reason}) before starting Jenkins`);
  if (f.state === 'failed' && o.now < f.retryAt) {
    return held('fencing', `leader with ${seqOf(o)}; not starting Jenkins: fencing failed (${f.reason}); retrying in ${Math.ceil(f.retryAt - o.now)} ms`);
  }
  return {
    action: { kind: 'fence-previous' },
    reason: `leader with ${seqOf(o)}; ${f.state === 'failed' ? 'retrying the fencing methods' : 'running the fencing methods'}: ${f.reason}`,
  };
}

/** Layer 4: another epoch's heartbeat in the JENKINS_HOME lock is live. */
export function storageLeaseGate(o: Observed): Decision | null {
  if (!o.storageLease || o.now >= o.storageLease.until) return null;
  return held('storage-lease', `leader with ${seqOf(o)}; not starting Jenkins: ${o.storageLease.reason}`);
}

/** fencing.watchdog.mode required: the host watchdog could not be armed; wait for the retry. */
export function watchdogGate(o: Observed): Decision | null {
  if (!o.watchdog || o.now >= o.watchdog.retryAt) return null;
  return held(
    'watchdog',
    `leader with ${seqOf(o)}; not starting Jenkins: the host watchdog is required but cannot be armed (${o.watchdog.reason}); retrying in ${Math.ceil(o.watchdog.retryAt - o.now)} ms`,
  );
}

/** Processes of the last Jenkins survive SIGKILL (uninterruptible I/O): no second Jenkins beside them. */
export function survivorsGate(o: Observed): Decision | null {
  const left = o.jenkins.survivors;
  if (!left || left.pids.length === 0) return null;
  return held(
    'home',
    `leader with ${seqOf(o)}; not starting Jenkins: processes of the last Jenkins (pids ${left.pids.join(', ')}) survive SIGKILL ${Math.round(o.now - left.killedAt)} ms after it (uninterruptible I/O?); waiting for them to exit`,
  );
}

/** Too many failures in the window: resign; else wait out the restart backoff. */
export function restartsGate(o: Observed): Decision | null {
  if (o.restarts.recentFailures > o.maxRestarts) {
    return {
      action: { kind: 'resign' },
      reason: `Jenkins failed ${o.restarts.recentFailures} times (more than ${o.maxRestarts}) within the restart window; resigning so a standby takes over`,
    };
  }
  if (o.now < o.restarts.nextAttemptAt) {
    return none(`leader with ${seqOf(o)}; restarting Jenkins in ${Math.ceil(o.restarts.nextAttemptAt - o.now)} ms`);
  }
  return null;
}

/** In this order; the first that answers decides. */
export const LAUNCH_GATES: readonly LaunchGateCheck[] = [survivorsGate, fenceGate, storageLeaseGate, watchdogGate, restartsGate, syncGate];

/** The first gate's decision, or null when every gate lets the launch through. */
export function firstGate(o: Observed): Decision | null {
  for (const gate of LAUNCH_GATES) {
    const d = gate(o);
    if (d) return d;
  }
  return null;
}
