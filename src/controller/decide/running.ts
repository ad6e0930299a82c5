/**
 * The decision while our Jenkins runs (starting, running or stopping): fence it when leadership
 * cannot be proven, it belongs to another term or a split brain shows; otherwise switchovers,
 * pauses with drain, and restarts of an unhealthy Jenkins. Pure.
 */
import { drainStillWanted, drainThen } from './drain';
import { homeWhileRunning } from './home';
import { pausedWait, scheduledSwitchoverCheck } from './scheduled';
import { canProveLeadership, seqOf, whyNotProvable } from './leadership';
import { none, stopJenkins, type Decision, type Observed } from './types';

/** Whether our Jenkins must be fenced now (null: it may keep running). */
function fenceCheck(o: Observed): Decision | null {
  const j = o.jenkins;
  if (!canProveLeadership(o)) {
    if (j.fencing) return none(`fencing Jenkins: ${whyNotProvable(o)}`);
    return stopJenkins(`${whyNotProvable(o)}; fencing Jenkins`, 'fence');
  }
  if (!o.term || o.term.generation !== o.zk.generation || j.epoch !== o.term.epoch) {
    if (j.fencing) return none('fencing Jenkins of another term');
    return stopJenkins(`Jenkins runs with epoch ${j.epoch ?? '-'} but our term is ${o.term ? `epoch ${o.term.epoch}` : 'not taken'}; fencing it`, 'fence');
  }
  const home = homeWhileRunning(o);
  if (home) return home;
  if (o.splitBrain) {
    if (j.fencing) return none(`fencing Jenkins: split brain: ${o.splitBrain}`);
    return stopJenkins(`split brain: ${o.splitBrain}; fencing Jenkins at once`, 'fence');
  }
  return null;
}

export function whileRunning(o: Observed): Decision {
  const fenced = fenceCheck(o);
  if (fenced) return fenced;
  const j = o.jenkins;
  if (j.state === 'stopping') return none(`leader with ${seqOf(o)}; waiting for Jenkins to stop`);
  const scheduled = scheduledSwitchoverCheck(o);
  if (scheduled) return scheduled;
  const so = o.switchover;
  const dr = o.drain;
  if (so && so.expired) {
    return { action: { kind: 'expire-switchover' }, reason: `switchover ${so.id} did not complete within its timeout; abandoning it` };
  }
  if (dr && !drainStillWanted(o, dr)) {
    return { action: { kind: 'cancel-drain' }, reason: `the ${dr.purpose} that Jenkins was drained for is gone; cancelling the quiet-down` };
  }
  if (so && (so.state === 'pending' || so.state === 'draining') && so.from === o.self) {
    const to = so.candidate ?? 'the next in line';
    return drainThen(o, {
      purpose: 'switchover',
      enabled: o.drainTimeoutMs > 0,
      starting: `switchover ${so.id} to ${to}: draining Jenkins (quiet-down) before handing over`,
      waiting: (builds) => `switchover ${so.id} to ${to}: draining Jenkins, ${builds}`,
      then: (end, builds) => ({
        action: { kind: 'hand-over', drain: end },
        reason:
          end === null
            ? `switchover ${so.id} to ${to}: stopping Jenkins cleanly to hand over`
            : end === 'finished'
              ? `switchover ${so.id} to ${to}: no build running; stopping Jenkins cleanly to hand over`
              : `switchover ${so.id} to ${to}: drain timed out with ${builds}; stopping Jenkins to hand over anyway`,
      }),
    });
  }
  if (so && so.from !== o.self && j.state === 'running') {
    return { action: { kind: 'complete-switchover' }, reason: `switchover ${so.id} from ${so.from} done: Jenkins runs here` };
  }
  if (o.paused && o.pauseDrain) {
    return drainThen(o, {
      purpose: 'pause',
      enabled: o.drainTimeoutMs > 0,
      starting: 'paused with drain: draining Jenkins (quiet-down) before stopping it',
      waiting: (builds) => `paused with drain: draining Jenkins, ${builds}`,
      then: (end, builds) =>
        stopJenkins(
          end === null
            ? 'paused with drain: stopping Jenkins'
            : end === 'finished'
              ? 'paused with drain: no build running; stopping Jenkins'
              : `paused with drain: drain timed out with ${builds}; stopping Jenkins anyway`,
          'graceful',
          { drain: end },
        ),
    });
  }
  if (o.paused) return none(`leader with ${seqOf(o)}; Jenkins ${j.state}; paused (no restarts)${pausedWait(o)}`);
  if (j.unhealthy) return stopJenkins(`Jenkins unhealthy (${j.unhealthy}); restarting it`, 'graceful', { countAsFailure: true });
  return none(`leader with ${seqOf(o)}; Jenkins ${j.state}`);
}
