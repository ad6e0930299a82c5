/**
 * What a node does about its own JENKINS_HOME when it stops answering (a hung NFS/FUSE mount) or
 * fails at mount level (EIO, ESTALE...), or when its storage lease is lost (no heartbeat landed
 * for lock.heartbeatMs + lock.ioTimeoutMs while its Jenkins runs). Pure: decide() calls it with
 * what the controller observed and turns the advice into an action (docs/safety.md, "A hung
 * JENKINS_HOME").
 *
 * - A node whose home is bad and whose Jenkins runs kills it at once (SIGKILL: a Jenkins blocked
 *   on a hung mount cannot shut down cleanly, and the lease rule leaves no time for a grace).
 * - Once Jenkins has exited, a leader yields: it leaves the election (cool-down like a resign) so a
 *   standby whose mount works takes over. It keeps its breadcrumb in ZooKeeper: writes of the
 *   killed Jenkins may still sit in this host's hung mount (an NFS client flushes them when the
 *   server returns), so the successor runs the fencing methods before it starts Jenkins.
 * - A Jenkins that does not die (uninterruptible I/O) is never declared gone: with fencing.methods
 *   configured the leader yields anyway and the successor must fence this host (its methods prove
 *   it gone); without them the leader keeps the election (no takeover, no overlap) and says so.
 *   The shim exiting proves nothing: processes of the killed group that survive SIGKILL
 *   (`survivors`, re-checked on every observation) count as a Jenkins not yet exited.
 * - A standby with a bad home leaves the election, and nobody rejoins it, until the home answers.
 */
import type { GroupSurvivors, JenkinsState } from '../jenkins/supervisor';

/** Observed.home: this node's JENKINS_HOME as the controller sees it. */
export interface HomeObserved {
  /** From HomeIo.health(): hung = a call missed lock.ioTimeoutMs; failing = a mount-level error. */
  state: 'ok' | 'hung' | 'failing';
  /** Monotonic ms since the state holds. */
  since: number;
  reason: string;
  /** LockKeeper.lost() !== null: our heartbeat has not landed for heartbeatMs + ioTimeoutMs. */
  leaseLost: boolean;
}

export interface HomePolicyInput {
  now: number;
  home: HomeObserved | null | undefined;
  /** This node holds a leadership term (lowest znode, epoch taken). */
  leader: boolean;
  /** This node is in the election. */
  joined: boolean;
  jenkins: { state: JenkinsState; fencing: boolean };
  /**
   * Processes of the last Jenkins process group still alive after the shim exited and SIGKILL
   * was sent to the group at `killedAt` (monotonic ms); null or no pids: none left.
   */
  survivors?: GroupSurvivors | null;
  /** Monotonic ms when the current fence of Jenkins started (null: no fence running). */
  fencingSince: number | null;
  /** How long a fenced Jenkins may take to exit before it counts as stuck (cannot be killed). */
  stuckAfterMs: number;
  /** fencing.methods are configured: a successor can prove this host's Jenkins gone. */
  fencingMethods: boolean;
}

export type HomeAdvice =
  | { kind: 'none' }
  /** Kill Jenkins now: stop-jenkins, mode fence, no SIGTERM grace. */
  | { kind: 'fence'; reason: string }
  /** Jenkins is being killed: wait for its exit. */
  | { kind: 'wait'; reason: string }
  /** Leave the election with a cool-down, keeping the breadcrumb (no release ops, no lock release). */
  | { kind: 'yield'; reason: string }
  /** Jenkins cannot be killed and no fencing method can prove it gone: keep the election, say so. */
  | { kind: 'stuck'; reason: string }
  /** Not leader but in the election: leave it so this node cannot win with a bad home. */
  | { kind: 'leave'; reason: string }
  /** Out of the election: do not rejoin while the home is bad. */
  | { kind: 'stay-out'; reason: string };

/** Whether the home keeps this node from running Jenkins. */
export function homeBad(h: HomeObserved | null | undefined): h is HomeObserved {
  return h !== null && h !== undefined && (h.state !== 'ok' || h.leaseLost);
}

/** The sentence for logs and /status, with how long it has lasted. */
export function describeHome(h: HomeObserved, now: number): string {
  const what = h.state === 'hung' ? 'JENKINS_HOME does not answer' : h.state === 'failing' ? 'JENKINS_HOME fails' : 'the storage lease is lost';
  const forMs = h.state === 'ok' ? '' : ` for ${Math.max(0, Math.round(now - h.since))} ms`;
  return `${what}${forMs}${h.reason ? ` (${h.reason})` : ''}`;
}

export function homeAdvice(i: HomePolicyInput): HomeAdvice {
  const h = i.home;
  if (!homeBad(h)) return { kind: 'none' };
  const why = describeHome(h, i.now);
  const j = i.jenkins;
  const left = i.survivors && i.survivors.pids.length > 0 ? i.survivors : null;
  if (j.state !== 'stopped' || left) {
    if (j.state !== 'stopped' && !j.fencing) return { kind: 'fence', reason: `${why}; killing Jenkins now` };
    const since = j.state !== 'stopped' ? i.fencingSince : (left?.killedAt ?? null);
    const stuckMs = since === null ? 0 : i.now - since;
    if (stuckMs < i.stuckAfterMs) return { kind: 'wait', reason: `${why}; waiting for the killed Jenkins to exit` };
    const which = left ? `pids ${left.pids.join(', ')} survive; uninterruptible I/O?` : 'uninterruptible I/O?';
    if (i.leader && i.fencingMethods) {
      return {
        kind: 'yield',
        reason: `${why}; Jenkins has not exited ${Math.round(stuckMs)} ms after SIGKILL (${which}); yielding: the successor must fence this host with fencing.methods before it starts Jenkins`,
      };
    }
    return {
      kind: 'stuck',
      reason:
        `${why}; Jenkins has not exited ${Math.round(stuckMs)} ms after SIGKILL (${which}) and no fencing.methods could prove it gone: ` +
        `keeping the election so no other Jenkins starts; power-cycle this host (or fence its storage) to let the standby take over`,
    };
  }
  if (i.leader) return { kind: 'yield', reason: `${why}; Jenkins is stopped; leaving the election so a node whose home answers takes over` };
  if (i.joined) return { kind: 'leave', reason: `${why}; leaving the election until it answers again` };
  return { kind: 'stay-out', reason: `${why}; staying out of the election until it answers again` };
}

/** What /status could carry about the home (StatusSnapshot.home, proposed): wall-clock `since`. */
export interface HomeStatus {
  state: 'ok' | 'hung' | 'failing';
  /** ISO time of the last change of state. */
  since: string;
  reason: string;
  leaseLost: boolean;
  /** The fenced Jenkins did not exit (the policy said `stuck`). */
  jenkinsStuck: boolean;
}

/**
 * The /status note for the home (for notes.ts), worded from the snapshot alone: null when the home
 * is fine. `forText` is how long it lasted, already formatted (e.g. `1m02s`), or null if unknown.
 */
export function homeNote(h: HomeStatus | undefined, role: string, forText: string | null): string | null {
  if (!h || (h.state === 'ok' && !h.leaseLost)) return null;
  const what = h.state === 'hung' ? 'JENKINS_HOME does not answer' : h.state === 'failing' ? 'JENKINS_HOME fails' : 'the lock heartbeat does not land in JENKINS_HOME';
  const detail = [forText ? `for ${forText}` : null, h.reason || null].filter((p): p is string => p !== null).join(': ');
  const head = `${what}${detail ? ` (${detail})` : ''}`;
  const check = "check this host's mount of JENKINS_HOME (mount, dmesg, the NFS server)";
  if (h.jenkinsStuck) {
    return (
      `${head}. Jenkins did not die after SIGKILL: it is stuck in I/O on the hung home. This node keeps the lead so that no ` +
      `second Jenkins starts; power-cycle this host or fence its storage (revoke its NFS export) to let the standby take over`
    );
  }
  if (role === 'leader') return `${head}. Jenkins is killed and this node leaves the election so a node whose mount works takes over; ${check}`;
  return `${head}. This node stays out of the election until its home answers; ${check}`;
}
