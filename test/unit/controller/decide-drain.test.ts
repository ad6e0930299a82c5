/**
 * decide() for the Jenkins-aware planned stops: the drain (quiet-down, wait for builds, then stop)
 * before a switchover, a pause with drain and a shutdown with --drain; cancelling a drain whose
 * reason went away; and the eligibility rule (an ineligible node without a term stays out of the
 * election). Fencing still comes first: a drain never delays self-fencing.
 */
import { decide, drainEnd, drainStillWanted, type Action, type Decision, type DrainObserved, type Observed } from '../../../src/controller/decide';
import { FENCE, leaderObserved, type Overrides } from './observed';

const DRAIN = 60_000;

/** The provable leader of session 3 holding epoch 12, Jenkins running, drains enabled. */
function observed(o: Overrides = {}): Observed {
  return leaderObserved({ drainTimeoutMs: DRAIN, ...o });
}

const so = (o: Partial<NonNullable<Observed['switchover']>> = {}): NonNullable<Observed['switchover']> => ({
  id: 'sw-1',
  from: 'node-a',
  candidate: null,
  state: 'pending',
  ageMs: 100,
  candidateIsMember: false,
  expired: false,
  ...o,
});

const drain = (o: Partial<DrainObserved> = {}): DrainObserved => ({ purpose: 'switchover', switchoverId: 'sw-1', ageMs: 1000, running: 2, ...o });
const kind = (d: Decision): Action['kind'] => d.action.kind;

describe('drainEnd', () => {
  it.each<[string, Partial<DrainObserved>, ReturnType<typeof drainEnd>]>([
    ['no build running', { running: 0 }, 'finished'],
    ['no build running even past the timeout', { running: 0, ageMs: DRAIN * 2 }, 'finished'],
    ['builds running within the timeout', { running: 2, ageMs: DRAIN - 1 }, null],
    ['builds running at the timeout', { running: 2, ageMs: DRAIN }, 'timeout'],
    ['not known yet within the timeout', { running: null, ageMs: 10 }, null],
    ['not known at the timeout', { running: null, ageMs: DRAIN }, 'timeout'],
  ])('%s', (_what, o, expected) => {
    expect(drainEnd(drain(o), DRAIN)).toBe(expected);
  });
});

describe('switchover with drain', () => {
  it('starts draining instead of stopping Jenkins at once', () => {
    const d = decide(observed({ switchover: so() }));
    expect(d.action).toEqual({ kind: 'start-drain', purpose: 'switchover' });
    expect(d.reason).toMatch(/sw-1.*draining Jenkins \(quiet-down\)/);
  });

  it('waits while builds run, naming how many', () => {
    const d = decide(observed({ switchover: so({ state: 'draining' }), drain: drain({ running: 2 }) }));
    expect(kind(d)).toBe('none');
    expect(d.reason).toMatch(/draining Jenkins, 2 builds running/);
  });

  it('hands over when no build is left', () => {
    const d = decide(observed({ switchover: so({ state: 'draining' }), drain: drain({ running: 0 }) }));
    expect(d.action).toEqual({ kind: 'hand-over', drain: 'finished' });
    expect(d.reason).toMatch(/no build running/);
  });

  it('hands over anyway when the drain times out, saying builds still run', () => {
    const d = decide(observed({ switchover: so({ state: 'draining' }), drain: drain({ running: 1, ageMs: DRAIN }) }));
    expect(d.action).toEqual({ kind: 'hand-over', drain: 'timeout' });
    expect(d.reason).toMatch(/drain timed out with 1 build running/);
  });

  it('resumes a drain of a draining intent it has no tracker for (controller restarted)', () => {
    expect(decide(observed({ switchover: so({ state: 'draining' }) })).action).toEqual({ kind: 'start-drain', purpose: 'switchover' });
  });

  it('hands over without a drain when drains are off or Jenkins is still starting', () => {
    expect(decide(observed({ switchover: so(), drainTimeoutMs: 0 })).action).toEqual({ kind: 'hand-over', drain: null });
    expect(decide(observed({ switchover: so(), jenkins: { state: 'starting' } })).action).toEqual({ kind: 'hand-over', drain: null });
  });

  it('cancels the drain when the switchover is cancelled (intent gone) or replaced', () => {
    expect(kind(decide(observed({ switchover: null, drain: drain() })))).toBe('cancel-drain');
    expect(kind(decide(observed({ switchover: so({ id: 'sw-2' }), drain: drain() })))).toBe('cancel-drain');
  });

  it('abandons an expired switchover before judging the drain', () => {
    expect(kind(decide(observed({ switchover: so({ state: 'draining', expired: true }), drain: drain() })))).toBe('expire-switchover');
    expect(kind(decide(observed({ switchover: null, drain: drain() })))).toBe('cancel-drain');
  });

  it('never lets a drain delay self-fencing', () => {
    const d = decide(observed({ switchover: so({ state: 'draining' }), drain: drain(), zk: { msSinceHeard: FENCE } }));
    expect(d.action).toEqual({ kind: 'stop-jenkins', mode: 'fence', countAsFailure: false });
  });

  it('does not drain for a switchover away from another node', () => {
    expect(kind(decide(observed({ switchover: so({ from: 'node-x', state: 'running' }) })))).toBe('complete-switchover');
  });
});

describe('pause with drain', () => {
  it('drains, then stops Jenkins without counting a failure; a plain pause leaves Jenkins alone', () => {
    expect(decide(observed({ paused: true, pauseDrain: true })).action).toEqual({ kind: 'start-drain', purpose: 'pause' });
    expect(kind(decide(observed({ paused: true, pauseDrain: true, drain: drain({ purpose: 'pause', switchoverId: null }) })))).toBe('none');
    expect(decide(observed({ paused: true, pauseDrain: true, drain: drain({ purpose: 'pause', switchoverId: null, running: 0 }) })).action).toEqual({
      kind: 'stop-jenkins',
      mode: 'graceful',
      countAsFailure: false,
      drain: 'finished',
    });
    expect(kind(decide(observed({ paused: true })))).toBe('none');
  });

  it('stops a starting Jenkins at once (nothing to drain), and does not start it while paused', () => {
    expect(decide(observed({ paused: true, pauseDrain: true, jenkins: { state: 'starting' } })).action).toEqual({ kind: 'stop-jenkins', mode: 'graceful', countAsFailure: false });
    expect(decide(observed({ paused: true, pauseDrain: true, jenkins: { state: 'stopped', epoch: null } })).reason).toMatch(/paused/);
    expect(kind(decide(observed({ paused: true, pauseDrain: true, jenkins: { state: 'stopped', epoch: null } })))).toBe('none');
  });

  it('cancels the drain when the pause is lifted', () => {
    expect(kind(decide(observed({ paused: false, drain: drain({ purpose: 'pause', switchoverId: null }) })))).toBe('cancel-drain');
  });
});

describe('shutdown with drain', () => {
  it('drains before stopping when drainOnShutdown is set', () => {
    expect(decide(observed({ shuttingDown: true, drainOnShutdown: true })).action).toEqual({ kind: 'start-drain', purpose: 'shutdown' });
    const waiting = decide(observed({ shuttingDown: true, drainOnShutdown: true, drain: drain({ purpose: 'shutdown', switchoverId: null }) }));
    expect(kind(waiting)).toBe('none');
    expect(waiting.reason).toMatch(/shutting down; draining Jenkins: 2 builds running/);
    expect(decide(observed({ shuttingDown: true, drainOnShutdown: true, drain: drain({ purpose: 'shutdown', switchoverId: null, ageMs: DRAIN }) })).action).toEqual({
      kind: 'stop-jenkins',
      mode: 'graceful',
      countAsFailure: false,
      drain: 'timeout',
    });
  });

  it('stops at once by default (SIGTERM stays non-draining)', () => {
    expect(decide(observed({ shuttingDown: true })).action).toEqual({ kind: 'stop-jenkins', mode: 'graceful', countAsFailure: false });
  });

  it('fences instead of draining when leadership cannot be proven', () => {
    const d = decide(observed({ shuttingDown: true, drainOnShutdown: true, drain: drain({ purpose: 'shutdown' }), zk: { msSinceHeard: null } }));
    expect(d.action).toEqual({ kind: 'stop-jenkins', mode: 'fence', countAsFailure: false });
  });
});

describe('drainStillWanted', () => {
  it('follows the drain purpose', () => {
    expect(drainStillWanted(observed({ shuttingDown: true }), drain({ purpose: 'shutdown' }))).toBe(true);
    expect(drainStillWanted(observed({ paused: true, pauseDrain: false }), drain({ purpose: 'pause' }))).toBe(false);
    expect(drainStillWanted(observed({ switchover: so({ from: 'node-b' }) }), drain())).toBe(false);
    expect(drainStillWanted(observed({ switchover: so({ state: 'draining' }) }), drain())).toBe(true);
  });
});

describe('eligibility', () => {
  const bad = { eligible: false, reason: 'free disk 10 MiB below 1024 MiB' };
  const standby = (o: Overrides = {}): Observed =>
    observed({ term: null, ...o, election: { role: 'candidate', ...o.election }, jenkins: { state: 'stopped', epoch: null } });

  it('an ineligible standby leaves the election, naming why', () => {
    const d = decide(standby({ eligibility: bad }));
    expect(d.action).toEqual({ kind: 'leave-ineligible' });
    expect(d.reason).toContain('free disk');
  });

  it('an ineligible node that became lowest steps out instead of taking the epoch', () => {
    expect(kind(decide(standby({ eligibility: bad, election: { role: 'leader' } })))).toBe('leave-ineligible');
  });

  it('stays out while ineligible and rejoins once eligible (or never checked)', () => {
    expect(kind(decide(standby({ eligibility: bad, election: { role: 'idle', joined: false } })))).toBe('none');
    expect(kind(decide(standby({ eligibility: { eligible: true, reason: '' }, election: { role: 'idle', joined: false } })))).toBe('rejoin');
    expect(kind(decide(standby({ eligibility: null, election: { role: 'idle', joined: false } })))).toBe('rejoin');
  });

  it('does not make a leader holding a term leave (a crashed Jenkins restarts; resigning handles repeated failures)', () => {
    expect(kind(decide(observed({ eligibility: bad, jenkins: { state: 'stopped', epoch: null } })))).toBe('launch');
    expect(kind(decide(observed({ eligibility: bad })))).toBe('none');
  });
});
