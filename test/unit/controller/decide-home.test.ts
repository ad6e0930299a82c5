/**
 * decide() and a bad JENKINS_HOME (hung, failing, or the storage lease lost; home-policy.ts): a
 * running Jenkins is killed at once, a stopped leader yields (home-yield keeps the breadcrumb), a
 * standby leaves the election and nobody rejoins it while the home is bad; a Jenkins that does not
 * die holds the lead (gate `home`) unless fencing methods can prove it gone. A good home, or no
 * watched home, changes no decision; the ZooKeeper fence still comes first.
 */
import { decide, type Observed } from '../../../src/controller/decide';
import type { HomeObserved } from '../../../src/controller/home-policy';
import { EPOCH, FENCE, GEN, NOW, leaderObserved, type Overrides } from './observed';

const HUNG: HomeObserved = { state: 'hung', since: NOW - 700, reason: 'read /h/.jenkins-ha.lock: no answer within 500 ms', leaseLost: false };
const OK: HomeObserved = { state: 'ok', since: NOW - 60_000, reason: '', leaseLost: false };
const STUCK_AFTER = 1500;
const POLICY = { fencingSince: null, stuckAfterMs: STUCK_AFTER, fencingMethods: false };

function running(o: Overrides = {}): Observed {
  return leaderObserved({ home: HUNG, homePolicy: POLICY, ...o });
}

function stopped(o: Overrides = {}): Observed {
  return leaderObserved({ home: HUNG, homePolicy: POLICY, ...o, jenkins: { state: 'stopped', epoch: null, ...o.jenkins } });
}

describe('Jenkins runs and the home is bad', () => {
  it('kills Jenkins at once (fence, no SIGTERM grace) when the home hangs', () => {
    const d = decide(running());
    expect(d.action).toEqual({ kind: 'stop-jenkins', mode: 'fence', countAsFailure: false, killNow: true });
    expect(d.reason).toBe('JENKINS_HOME does not answer for 700 ms (read /h/.jenkins-ha.lock: no answer within 500 ms); killing Jenkins now');
  });

  it('kills Jenkins at once when the storage lease is lost though the last call answered', () => {
    const d = decide(running({ home: { ...OK, leaseLost: true } }));
    expect(d.action).toMatchObject({ kind: 'stop-jenkins', mode: 'fence', killNow: true });
    expect(d.reason).toMatch(/^the storage lease is lost; killing Jenkins now$/);
  });

  it('kills a Jenkins that was stopping gracefully, and waits while the kill is under way', () => {
    expect(decide(running({ jenkins: { state: 'stopping' } })).action).toMatchObject({ kind: 'stop-jenkins', killNow: true });
    const d = decide(running({ jenkins: { state: 'stopping', fencing: true }, homePolicy: { ...POLICY, fencingSince: NOW - STUCK_AFTER + 1 } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toMatch(/waiting for the killed Jenkins to exit$/);
  });

  it('holds the lead (gate home) when the killed Jenkins does not exit and no fencing method can prove it gone', () => {
    const d = decide(running({ jenkins: { state: 'stopping', fencing: true }, homePolicy: { ...POLICY, fencingSince: NOW - STUCK_AFTER } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.gate).toBe('home');
    expect(d.reason).toMatch(/has not exited 1500 ms after SIGKILL .* power-cycle this host \(or fence its storage\)/);
  });

  it('yields with a stuck Jenkins when fencing methods can prove it gone', () => {
    const d = decide(running({ jenkins: { state: 'stopping', fencing: true }, homePolicy: { ...POLICY, fencingSince: NOW - STUCK_AFTER, fencingMethods: true } }));
    expect(d.action).toEqual({ kind: 'home-yield' });
    expect(d.reason).toMatch(/the successor must fence this host with fencing\.methods/);
  });

  it('keeps the ZooKeeper fence first: an unprovable leadership fences with the usual grace and reason', () => {
    const d = decide(running({ zk: { msSinceHeard: FENCE } }));
    expect(d.action).toEqual({ kind: 'stop-jenkins', mode: 'fence', countAsFailure: false });
    expect(d.reason).toBe(`no reply from ZooKeeper for ${FENCE} ms (fence after ${FENCE} ms; zookeeper connected); fencing Jenkins`);
  });

  it('keeps the term check first: a Jenkins of another term is fenced as before', () => {
    const d = decide(running({ jenkins: { epoch: EPOCH - 1 } }));
    expect(d.reason).toBe(`Jenkins runs with epoch ${EPOCH - 1} but our term is epoch ${EPOCH}; fencing it`);
    expect(d.action).not.toHaveProperty('killNow');
  });

  it('changes nothing when the home is fine or not watched', () => {
    for (const home of [OK, null]) {
      const d = decide(running({ home, homePolicy: home ? POLICY : null }));
      expect(d).toEqual({ action: { kind: 'none' }, reason: `leader with epoch ${EPOCH}; Jenkins running` });
    }
  });
});

describe('Jenkins is stopped and the home is bad', () => {
  it('a leader holding a term yields (keeping its breadcrumb), whatever the launch gates say', () => {
    const d = decide(stopped({ fence: { state: 'needed', retryAt: 0, reason: 'x' } }));
    expect(d.action).toEqual({ kind: 'home-yield' });
    expect(d.reason).toMatch(/^JENKINS_HOME does not answer for 700 ms .*; Jenkins is stopped; leaving the election so a node whose home answers takes over$/);
  });

  it('a node in the election without a term (a standby, or a leader before its epoch) leaves it', () => {
    for (const o of [stopped({ term: null, election: { role: 'candidate' } }), stopped({ term: null })]) {
      const d = decide(o);
      expect(d.action).toEqual({ kind: 'home-leave' });
      expect(d.reason).toMatch(/leaving the election until it answers again$/);
    }
  });

  it('a node out of the election stays out, also once its resign cool-down is over', () => {
    const out = { term: null, election: { role: 'idle' as const, joined: false } };
    for (const o of [stopped(out), stopped({ ...out, resignedUntil: NOW - 1 }), stopped({ ...out, resignedUntil: NOW + 1000 })]) {
      const d = decide(o);
      expect(d.action).toEqual({ kind: 'none' });
      expect(d.reason).toMatch(/staying out of the election until it answers again$/);
    }
  });

  it('once the home answers again, the cool-down and the rejoin are as before', () => {
    const out = { term: null, election: { role: 'idle' as const, joined: false }, home: OK };
    expect(decide(stopped({ ...out, resignedUntil: NOW - 1 }))).toEqual({ action: { kind: 'rejoin' }, reason: 'resign cool-down over; rejoining the election at the back' });
    expect(decide(stopped({ ...out, resignedUntil: NOW + 1000 }))).toEqual({ action: { kind: 'none' }, reason: 'resigned; rejoining in 1000 ms' });
    expect(decide(stopped({ ...out }))).toEqual({ action: { kind: 'rejoin' }, reason: 'not in the election; joining' });
    expect(decide(stopped({ home: OK })).action.kind).toBe('launch');
    expect(decide(stopped({ home: null, homePolicy: null })).action.kind).toBe('launch');
  });

  it('a hand-over in progress finishes first', () => {
    expect(decide(stopped({ handingOver: true })).action).toEqual({ kind: 'leave-and-rejoin', why: 'switchover' });
  });

  it('a term held while no longer the lowest znode is no lead: the node leaves the election', () => {
    const d = decide(stopped({ term: { epoch: EPOCH, generation: GEN }, election: { role: 'candidate' } }));
    expect(d.action).toEqual({ kind: 'home-leave' });
  });
});

describe('the shim exited but processes of the killed Jenkins group survive SIGKILL (reliability.md finding 6)', () => {
  const left = (killedAgoMs: number): Observed['jenkins']['survivors'] => ({ pgid: 4242, pids: [4242], killedAt: NOW - killedAgoMs });

  it('a leader keeps the election (gate home) instead of yielding when no fencing method can prove them gone', () => {
    const d = decide(stopped({ jenkins: { survivors: left(STUCK_AFTER) } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.gate).toBe('home');
    expect(d.reason).toMatch(/Jenkins has not exited 1500 ms after SIGKILL \(pids 4242 survive; uninterruptible I\/O\?\) .* power-cycle this host \(or fence its storage\)/);
  });

  it('waits for them before the stuck bound, without yielding', () => {
    const d = decide(stopped({ jenkins: { survivors: left(STUCK_AFTER - 1) } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toMatch(/waiting for the killed Jenkins to exit$/);
  });

  it('yields when fencing methods can prove them gone', () => {
    const d = decide(stopped({ jenkins: { survivors: left(STUCK_AFTER) }, homePolicy: { ...POLICY, fencingMethods: true } }));
    expect(d.action).toEqual({ kind: 'home-yield' });
    expect(d.reason).toMatch(/the successor must fence this host with fencing\.methods/);
  });

  it('yields as before once they are gone', () => {
    for (const survivors of [null, { pgid: 4242, pids: [], killedAt: NOW - STUCK_AFTER }]) {
      expect(decide(stopped({ jenkins: { survivors } })).action).toEqual({ kind: 'home-yield' });
    }
  });

  it('never starts Jenkins again while they live, also once the home answers again', () => {
    const d = decide(stopped({ home: OK, jenkins: { survivors: left(60_000) } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.gate).toBe('home');
    expect(d.reason).toMatch(/not starting Jenkins: processes of the last Jenkins \(pids 4242\) survive SIGKILL/);
    expect(decide(stopped({ home: null, homePolicy: null, jenkins: { survivors: left(60_000) } })).action.kind).toBe('none');
    expect(decide(stopped({ home: OK, jenkins: { survivors: null } })).action.kind).toBe('launch');
  });
});
