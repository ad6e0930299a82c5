/**
 * The hung-home part of the decision (issue 13 item 1; docs/safety.md "A hung JENKINS_HOME"):
 * turns homeAdvice() (../home-policy.ts) into an action. Pure.
 *
 * Jenkins not stopped: kill it at once (no SIGTERM grace), wait for its exit, hold the lead when it
 * cannot be killed and nothing can prove it gone (gate `home`), or yield when fencing methods can.
 * Jenkins stopped but processes of its group survive SIGKILL: as a Jenkins not yet exited.
 * Jenkins stopped: a leader yields (keeping its breadcrumb, so the successor fences this host), a
 * node in the election without a term leaves it, and a node out of it stays out (also after a
 * resign cool-down) until the home answers again.
 */
import { homeAdvice, type HomeAdvice } from '../home-policy';
import { isLeaderNow } from './leadership';
import { held, none, type Decision, type Observed } from './types';

/** The hung-home policy's advice for this observation ({kind: 'none'} without a watched home). */
export function homeAdviceFor(o: Observed): HomeAdvice {
  const p = o.homePolicy;
  if (!o.home || !p) return { kind: 'none' };
  return homeAdvice({
    now: o.now,
    home: o.home,
    leader: o.term !== null && isLeaderNow(o),
    joined: o.election.joined,
    jenkins: { state: o.jenkins.state, fencing: o.jenkins.fencing },
    survivors: o.jenkins.survivors ?? null,
    fencingSince: p.fencingSince,
    stuckAfterMs: p.stuckAfterMs,
    fencingMethods: p.fencingMethods,
  });
}

/** Our Jenkins runs (or is stopping) and the home is bad; null when the home does not matter. */
export function homeWhileRunning(o: Observed): Decision | null {
  const a = homeAdviceFor(o);
  switch (a.kind) {
    case 'fence':
      return { action: { kind: 'stop-jenkins', mode: 'fence', countAsFailure: false, killNow: true }, reason: a.reason };
    case 'wait':
      return none(a.reason);
    case 'stuck':
      return held('home', a.reason);
    case 'yield':
      return { action: { kind: 'home-yield' }, reason: a.reason };
    default:
      return null;
  }
}

/** Our Jenkins is stopped and the home is bad; null when the home does not matter. */
export function homeWhileStopped(o: Observed): Decision | null {
  const a = homeAdviceFor(o);
  switch (a.kind) {
    case 'yield':
      return { action: { kind: 'home-yield' }, reason: a.reason };
    case 'leave':
      return { action: { kind: 'home-leave' }, reason: a.reason };
    case 'stay-out':
    case 'wait':
      return none(a.reason);
    case 'stuck':
      return held('home', a.reason);
    default:
      return null;
  }
}
