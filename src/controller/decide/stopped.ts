/**
 * The decision while our Jenkins is stopped: finish a hand-over, sit out a resign cool-down,
 * join or leave the election, take a term, and pass the launch gates before starting Jenkins. Pure.
 */
import { eligibilityHold, ineligibleCheck } from './eligibility';
import { firstGate } from './gates';
import { homeWhileStopped } from './home';
import { pausedWait, scheduledSwitchoverCheck } from './scheduled';
import { settingsCheck } from './settings';
import { canProveLeadership, isLeaderNow, leaseMsOf, seqOf, whyNotProvable } from './leadership';
import { priorityCheck } from './priority';
import { held, none, type Decision, type Observed } from './types';

export function whileStopped(o: Observed): Decision {
  if (o.handingOver) {
    return { action: { kind: 'leave-and-rejoin', why: 'switchover' }, reason: 'Jenkins stopped for the switchover; leaving the election and rejoining at the back' };
  }
  const home = homeWhileStopped(o);
  if (home) return home;
  if (o.resignedUntil !== null) {
    if (o.now >= o.resignedUntil) return { action: { kind: 'rejoin' }, reason: 'resign cool-down over; rejoining the election at the back' };
    return none(`resigned; rejoining in ${Math.ceil(o.resignedUntil - o.now)} ms`);
  }
  const ineligible = ineligibleCheck(o);
  if (ineligible) return ineligible;
  if (!o.election.joined) return { action: { kind: 'rejoin' }, reason: 'not in the election; joining' };

  if (!canProveLeadership(o)) {
    if (o.term && (o.term.generation !== o.zk.generation || !isLeaderNow(o))) {
      return { action: { kind: 'drop-term' }, reason: `leadership term of ${seqOf(o)} is over: ${whyNotProvable(o)}` };
    }
    if (isLeaderNow(o)) return none(`leader but ${whyNotProvable(o)}; waiting to hear from ZooKeeper before starting Jenkins`);
    return none(`standing by (election ${o.election.role}, zookeeper ${o.zk.state})`);
  }

  const so = o.switchover;
  if (so && so.expired) {
    return { action: { kind: 'expire-switchover' }, reason: `switchover ${so.id} did not complete within its timeout; abandoning it` };
  }
  if (o.pauseExpired) return { action: { kind: 'expire-pause' }, reason: 'the maintenance pause expired; resuming' };
  const scheduled = scheduledSwitchoverCheck(o);
  if (scheduled) return scheduled;
  if (so && so.from !== o.self && so.candidate !== null && so.candidate !== o.self && so.candidateIsMember) {
    return {
      action: { kind: 'leave-and-rejoin', why: 'step-aside' },
      reason: `lowest sequence, but switchover ${so.id} names ${so.candidate}; stepping aside to the back of the line`,
    };
  }
  if (!o.term) {
    const yielded = priorityCheck(o);
    if (yielded) return yielded;
  }
  if (o.paused) return none(`leader but paused: not starting Jenkins until resumed${pausedWait(o)}`);
  if (o.blocked && o.now < o.blocked.until) {
    const reason = `leader but blocked: ${o.blocked.reason}`;
    return o.blocked.gate ? held(o.blocked.gate, reason) : none(reason);
  }
  const settings = settingsCheck(o);
  if (settings) return settings;
  if (!o.term || o.term.generation !== o.zk.generation) {
    const waiting = eligibilityHold(o);
    if (waiting) return waiting;
    return { action: { kind: 'acquire' }, reason: 'lowest sequence and ZooKeeper answering; taking the next fencing epoch' };
  }
  const gate = firstGate(o);
  if (gate) return gate;
  return {
    action: { kind: 'launch', leaseMs: leaseMsOf(o) },
    reason: `lowest sequence; ${seqOf(o)} taken; ${o.restarts.recentFailures > 0 ? 'restarting' : 'starting'} Jenkins`,
  };
}
