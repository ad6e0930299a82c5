/**
 * decide(): the one promise is that Jenkins runs only while this node can prove its leadership
 * (lowest znode in the current session AND ZooKeeper answered within fenceAfterMs). Every branch
 * is checked for its action and for the fact its reason names.
 */
import { canProveLeadership, decide, isLeaderNow, type Action, type Decision, type Observed } from '../../../src/controller/decide';
import type { ConnState } from '../../../src/coordination/types';
import type { ElectionRole } from '../../../src/election/types';
import type { JenkinsState } from '../../../src/jenkins/supervisor';
import { EPOCH, FENCE, GEN, NOW, leaderObserved, type Overrides } from './observed';

/** Default: the provable leader of session 3, holding epoch 12, Jenkins running and healthy. */
const observed = leaderObserved;

/** The provable leader with Jenkins stopped (ready to acquire or launch). */
const stopped = (o: Overrides = {}): Observed => observed({ ...o, jenkins: { state: 'stopped', epoch: null, ...o.jenkins } });

const kind = (d: Decision): Action['kind'] => d.action.kind;
const FENCE_ACTION: Action = { kind: 'stop-jenkins', mode: 'fence', countAsFailure: false };
const GRACEFUL: Action = { kind: 'stop-jenkins', mode: 'graceful', countAsFailure: false };

describe('isLeaderNow / canProveLeadership', () => {
  it('is leader only when the election role belongs to the current session', () => {
    expect(isLeaderNow(observed())).toBe(true);
    expect(isLeaderNow(observed({ election: { generation: GEN - 1 } }))).toBe(false);
    expect(isLeaderNow(observed({ election: { role: 'candidate' } }))).toBe(false);
  });

  it.each<[string, Overrides, boolean]>([
    ['connected and heard recently', {}, true],
    ['disconnected but heard recently', { zk: { state: 'disconnected' } }, true],
    ['heard one ms before the deadline', { zk: { msSinceHeard: FENCE - 1 } }, true],
    ['silent exactly fenceAfterMs', { zk: { msSinceHeard: FENCE } }, false],
    ['nothing heard in the session', { zk: { msSinceHeard: null } }, false],
    ['session expired', { zk: { state: 'expired' } }, false],
    ['connecting', { zk: { state: 'connecting' } }, false],
    ['closed', { zk: { state: 'closed' } }, false],
    ['a candidate', { election: { role: 'candidate' } }, false],
  ])('treats leadership as provable when %s: %s', (_what, o, expected) => {
    expect(canProveLeadership(observed(o))).toBe(expected);
  });
});

describe('decide(): shutting down', () => {
  it('finishes the shutdown once Jenkins is stopped', () => {
    const d = decide(stopped({ shuttingDown: true }));
    expect(d.action).toEqual({ kind: 'finish-shutdown' });
    expect(d.reason).toMatch(/shutting down.*stopped/);
  });

  it('finishes the shutdown when Jenkins is stopped even if ZooKeeper is gone', () => {
    expect(kind(decide(stopped({ shuttingDown: true, zk: { state: 'closed', msSinceHeard: null } })))).toBe('finish-shutdown');
  });

  it('stops Jenkins gracefully, not as a failure, while leadership is provable', () => {
    const d = decide(observed({ shuttingDown: true }));
    expect(d.action).toEqual(GRACEFUL);
    expect(d.reason).toContain('shutting down');
  });

  it('fences rather than stopping gracefully when leadership is no longer provable during shutdown', () => {
    const d = decide(observed({ shuttingDown: true, zk: { msSinceHeard: FENCE + 1 } }));
    expect(d.action).toEqual(FENCE_ACTION);
    expect(d.reason).toContain('shutting down');
    expect(d.reason).toContain(`${FENCE + 1} ms`);
    expect(d.reason).toContain('fenc');
  });

  it('does not fence twice during shutdown while a fence is already running', () => {
    const d = decide(observed({ shuttingDown: true, zk: { msSinceHeard: null }, jenkins: { state: 'stopping', fencing: true } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toContain('waiting for Jenkins to stop');
  });

  it('waits instead of stopping again while Jenkins is already stopping during shutdown', () => {
    const d = decide(observed({ shuttingDown: true, jenkins: { state: 'stopping' } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toContain('waiting');
  });

  it('stops a Jenkins that is still starting when shutting down', () => {
    expect(decide(observed({ shuttingDown: true, jenkins: { state: 'starting' } })).action).toEqual(GRACEFUL);
  });

  it('never acquires, launches or rejoins while shutting down', () => {
    for (const o of [
      stopped({ shuttingDown: true, term: null }),
      stopped({ shuttingDown: true, resignedUntil: NOW - 1 }),
      stopped({ shuttingDown: true, election: { joined: false, role: 'idle' } }),
    ]) {
      expect(kind(decide(o))).toBe('finish-shutdown');
    }
  });
});

describe('decide(): fencing a running Jenkins that lost provable leadership', () => {
  it('does not start fencing one ms before the deadline', () => {
    const d = decide(observed({ zk: { msSinceHeard: FENCE - 1 } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toContain(`epoch ${EPOCH}`);
  });

  it.each([FENCE, FENCE + 1, 10 * FENCE])(`fences Jenkins when ZooKeeper has been silent for %i ms (fence deadline ${FENCE} ms)`, (silent) => {
    const d = decide(observed({ zk: { msSinceHeard: silent } }));
    expect(d.action).toEqual(FENCE_ACTION);
    expect(d.reason).toContain(`no reply from ZooKeeper for ${silent} ms`);
    expect(d.reason).toContain(`fence after ${FENCE} ms`);
  });

  it('keeps Jenkins while merely disconnected but heard within the deadline', () => {
    expect(decide(observed({ zk: { state: 'disconnected', msSinceHeard: FENCE - 100 } })).action).toEqual({ kind: 'none' });
  });

  it('fences Jenkins when nothing was heard in the session', () => {
    const d = decide(observed({ zk: { msSinceHeard: null } }));
    expect(d.action).toEqual(FENCE_ACTION);
    expect(d.reason).toContain('nothing heard');
  });

  it.each<ConnState>(['expired', 'connecting', 'closed'])('fences Jenkins at once when the session is %s, however recent the last reply', (state) => {
    const d = decide(observed({ zk: { state, msSinceHeard: 1 } }));
    expect(d.action).toEqual(FENCE_ACTION);
    expect(d.reason).toContain(`zookeeper ${state}`);
    expect(d.reason).toContain('fenc');
  });

  it.each<ElectionRole>(['candidate', 'joining', 'idle'])('fences Jenkins when the election role is %s (leadership lost)', (role) => {
    const d = decide(observed({ election: { role } }));
    expect(d.action).toEqual(FENCE_ACTION);
    expect(d.reason).toContain(`not the leader (election ${role}`);
  });

  it('fences Jenkins when the leadership belongs to an older session generation', () => {
    const d = decide(observed({ election: { generation: GEN - 1 } }));
    expect(d.action).toEqual(FENCE_ACTION);
    expect(d.reason).toContain('not the leader');
  });

  it.each<JenkinsState>(['starting', 'running', 'stopping'])('fences a %s Jenkins that is not provably ours', (state) => {
    expect(decide(observed({ zk: { msSinceHeard: FENCE }, jenkins: { state } })).action).toEqual(FENCE_ACTION);
  });

  it('does not fence twice while a fence is already running', () => {
    const d = decide(observed({ zk: { msSinceHeard: FENCE * 2 }, jenkins: { state: 'stopping', fencing: true } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toContain('fencing Jenkins');
    expect(d.reason).toContain(`${FENCE * 2} ms`);
  });
});

describe('decide(): Jenkins of another term', () => {
  it('fences a Jenkins launched with another epoch, naming both epochs', () => {
    const d = decide(observed({ jenkins: { epoch: EPOCH - 1 } }));
    expect(d.action).toEqual(FENCE_ACTION);
    expect(d.reason).toContain(`epoch ${EPOCH - 1}`);
    expect(d.reason).toContain(`epoch ${EPOCH}`);
  });

  it('fences a running Jenkins when no term is held', () => {
    const d = decide(observed({ term: null }));
    expect(d.action).toEqual(FENCE_ACTION);
    expect(d.reason).toContain('not taken');
  });

  it('fences a running Jenkins whose term was taken in an older session', () => {
    const d = decide(observed({ term: { epoch: EPOCH, generation: GEN - 1 } }));
    expect(d.action).toEqual(FENCE_ACTION);
    expect(d.reason).toContain(`epoch ${EPOCH}`);
  });

  it('fences a Jenkins that does not report an epoch', () => {
    const d = decide(observed({ jenkins: { epoch: null } }));
    expect(d.action).toEqual(FENCE_ACTION);
    expect(d.reason).toContain('epoch -');
  });

  it('does not fence twice a Jenkins of another term', () => {
    const d = decide(observed({ jenkins: { epoch: EPOCH - 1, state: 'stopping', fencing: true } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toContain('another term');
  });
});

describe('decide(): our own running Jenkins', () => {
  it('leaves a healthy Jenkins alone, naming the epoch', () => {
    const d = decide(observed());
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toBe(`leader with epoch ${EPOCH}; Jenkins running`);
  });

  it('restarts an unhealthy Jenkins gracefully and counts it as a failure', () => {
    const d = decide(observed({ jenkins: { unhealthy: 'GET /login answered 503 three times' } }));
    expect(d.action).toEqual({ kind: 'stop-jenkins', mode: 'graceful', countAsFailure: true });
    expect(d.reason).toContain('unhealthy (GET /login answered 503 three times)');
  });

  it('does not stop again an unhealthy Jenkins that is already stopping', () => {
    const d = decide(observed({ jenkins: { state: 'stopping', unhealthy: 'dead' } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toContain('waiting for Jenkins to stop');
  });

  it('lets a starting Jenkins start', () => {
    expect(decide(observed({ jenkins: { state: 'starting' } })).reason).toContain('Jenkins starting');
  });
});

describe('decide(): Jenkins stopped, resigned or outside the election', () => {
  it('waits out the resign cool-down, saying how long', () => {
    const d = decide(stopped({ resignedUntil: NOW + 1500.2 }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toContain('rejoining in 1501 ms');
  });

  it.each([0, 1])('rejoins the election when the resign cool-down is over (%i ms late)', (late) => {
    const d = decide(stopped({ resignedUntil: NOW - late, election: { role: 'idle', joined: false } }));
    expect(d.action).toEqual({ kind: 'rejoin' });
    expect(d.reason).toContain('cool-down over');
  });

  it('does not take leadership back during the resign cool-down, even if still listed as leader', () => {
    expect(kind(decide(stopped({ resignedUntil: NOW + 1, term: null })))).toBe('none');
  });

  it('joins the election when not in it', () => {
    const d = decide(stopped({ election: { role: 'idle', joined: false } }));
    expect(d.action).toEqual({ kind: 'rejoin' });
    expect(d.reason).toContain('not in the election');
  });
});

describe('decide(): Jenkins stopped, leadership not provable', () => {
  it('drops a term of an older session', () => {
    const d = decide(stopped({ term: { epoch: EPOCH, generation: GEN - 1 }, election: { role: 'candidate' } }));
    expect(d.action).toEqual({ kind: 'drop-term' });
    expect(d.reason).toContain(`epoch ${EPOCH}`);
    expect(d.reason).toContain('over');
  });

  it('drops the term when leadership was lost in the same session', () => {
    const d = decide(stopped({ election: { role: 'candidate' } }));
    expect(d.action).toEqual({ kind: 'drop-term' });
    expect(d.reason).toContain('not the leader (election candidate');
  });

  it('drops the term when the session expired', () => {
    expect(kind(decide(stopped({ zk: { state: 'expired' }, election: { role: 'joining' } })))).toBe('drop-term');
  });

  it('keeps the term but does not start Jenkins when ZooKeeper has been silent past the fence deadline', () => {
    const d = decide(stopped({ zk: { msSinceHeard: FENCE } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toContain('waiting to hear from ZooKeeper before starting Jenkins');
    expect(d.reason).toContain(`${FENCE} ms`);
  });

  it('does not acquire an epoch as leader before anything was heard in the session', () => {
    const d = decide(stopped({ term: null, zk: { msSinceHeard: null } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toContain('nothing heard');
  });

  it('stands by as a candidate without a term', () => {
    const d = decide(stopped({ term: null, election: { role: 'candidate' } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toBe('standing by (election candidate, zookeeper connected)');
  });
});

describe('decide(): Jenkins stopped, provable leader', () => {
  it('takes the next fencing epoch when leader without a term', () => {
    const d = decide(stopped({ term: null }));
    expect(d.action).toEqual({ kind: 'acquire' });
    expect(d.reason).toContain('fencing epoch');
  });

  it('takes a new epoch rather than reusing one of an older session', () => {
    expect(decide(stopped({ term: { epoch: EPOCH, generation: GEN - 1 } })).action).toEqual({ kind: 'acquire' });
  });

  it('does not acquire while blocked, and names the block', () => {
    const d = decide(stopped({ term: null, blocked: { until: NOW + 1, reason: 'lock names epoch 13' } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toContain('blocked: lock names epoch 13');
  });

  it('does not launch while blocked even with a term', () => {
    expect(kind(decide(stopped({ blocked: { until: NOW + 1, reason: 'x' } })))).toBe('none');
  });

  it('acquires again once the block has expired', () => {
    expect(kind(decide(stopped({ term: null, blocked: { until: NOW, reason: 'lock names epoch 13' } })))).toBe('acquire');
  });

  it('resigns when Jenkins failed more than maxRestarts times in the window', () => {
    const d = decide(stopped({ restarts: { recentFailures: 4 }, maxRestarts: 3 }));
    expect(d.action).toEqual({ kind: 'resign' });
    expect(d.reason).toContain('failed 4 times (more than 3)');
  });

  it('does not resign at exactly maxRestarts failures', () => {
    expect(kind(decide(stopped({ restarts: { recentFailures: 3 }, maxRestarts: 3 })))).toBe('launch');
  });

  it('resigns rather than waiting for the next backoff', () => {
    expect(kind(decide(stopped({ restarts: { recentFailures: 4, nextAttemptAt: NOW + 10_000 } })))).toBe('resign');
  });

  it('waits for the restart backoff, saying how long', () => {
    const d = decide(stopped({ restarts: { recentFailures: 1, nextAttemptAt: NOW + 2000 } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toContain('restarting Jenkins in 2000 ms');
    expect(d.reason).toContain(`epoch ${EPOCH}`);
  });

  it('launches Jenkins with a lease of fenceAfterMs minus the time since ZooKeeper last answered', () => {
    const d = decide(stopped({ zk: { msSinceHeard: 1500 } }));
    expect(d.action).toEqual({ kind: 'launch', leaseMs: FENCE - 1500 });
    expect(d.reason).toBe(`lowest sequence; epoch ${EPOCH} taken; starting Jenkins`);
  });

  it('launches at the moment the backoff ends and calls it a restart', () => {
    const d = decide(stopped({ restarts: { recentFailures: 2, nextAttemptAt: NOW } }));
    expect(kind(d)).toBe('launch');
    expect(d.reason).toContain('restarting Jenkins');
  });

  it('launches while disconnected only with the lease that is left', () => {
    expect(decide(stopped({ zk: { state: 'disconnected', msSinceHeard: FENCE - 10 } })).action).toEqual({ kind: 'launch', leaseMs: 10 });
  });
});

describe('decide(): invariants over every combination', () => {
  const states: ConnState[] = ['connecting', 'connected', 'disconnected', 'expired', 'closed'];
  const heard: Array<number | null> = [null, 0, FENCE - 1, FENCE, FENCE + 1];
  const roles: ElectionRole[] = ['idle', 'joining', 'candidate', 'leader'];
  const jenkinsStates: JenkinsState[] = ['stopped', 'starting', 'running', 'stopping'];
  const terms: Array<Observed['term']> = [null, { epoch: EPOCH, generation: GEN }, { epoch: EPOCH - 1, generation: GEN - 1 }];

  const all: Observed[] = [];
  for (const state of states)
    for (const msSinceHeard of heard)
      for (const role of roles)
        for (const electionGen of [GEN, GEN - 1])
          for (const term of terms)
            for (const js of jenkinsStates)
              for (const fencing of [false, true])
                for (const shuttingDown of [false, true])
                  all.push(
                    observed({
                      shuttingDown,
                      term,
                      zk: { state, msSinceHeard },
                      election: { role, generation: electionGen, joined: role !== 'idle' },
                      jenkins: { state: js, fencing, epoch: js === 'stopped' ? null : EPOCH },
                    }),
                  );

  it('never launches Jenkins without provable leadership, a current term and a positive lease', () => {
    for (const o of all) {
      const d = decide(o);
      if (d.action.kind !== 'launch') continue;
      expect(canProveLeadership(o)).toBe(true);
      expect(o.shuttingDown).toBe(false);
      expect(o.jenkins.state).toBe('stopped');
      expect(o.term?.generation).toBe(o.zk.generation);
      expect(d.action.leaseMs).toBeGreaterThan(0);
      expect(d.action.leaseMs).toBeLessThanOrEqual(o.fenceAfterMs);
    }
  });

  it('always fences a non-stopped Jenkins that is not provably ours, unless a fence is already running', () => {
    for (const o of all) {
      if (o.jenkins.state === 'stopped' || canProveLeadership(o) || o.jenkins.fencing) continue;
      expect(decide(o).action).toEqual(FENCE_ACTION);
    }
  });

  it('never issues a second fence while one is running', () => {
    for (const o of all) {
      if (!o.jenkins.fencing) continue;
      expect(decide(o).action).not.toEqual(FENCE_ACTION);
    }
  });

  it('always gives a reason', () => {
    for (const o of all) expect(decide(o).reason.length).toBeGreaterThan(10);
  });
});


describe('maintenance pause', () => {
  it('does not start Jenkins on a leader while the cluster is paused', () => {
    const d = decide(stopped({ term: { epoch: EPOCH, generation: GEN }, paused: true }));
    expect(kind(d)).toBe('none');
    expect(d.reason).toMatch(/paused/);
  });

  it('does not restart an unhealthy Jenkins while paused', () => {
    const d = decide(observed({ paused: true, jenkins: { unhealthy: 'probe failed' } }));
    expect(kind(d)).toBe('none');
    expect(d.reason).toMatch(/paused/);
  });

  it('still fences Jenkins when leadership cannot be proven, paused or not', () => {
    const d = decide(observed({ paused: true, zk: { msSinceHeard: FENCE + 1 } }));
    expect(d.action).toEqual(FENCE_ACTION);
  });

  it('removes an expired pause once it leads', () => {
    expect(kind(decide(stopped({ pauseExpired: true })))).toBe('expire-pause');
  });
});

describe('planned switchover', () => {
  const so = (o: Partial<NonNullable<Observed['switchover']>> = {}): Observed['switchover'] => ({
    id: 'sw-1',
    from: 'node-a',
    candidate: null,
    state: 'pending',
    ageMs: 100,
    candidateIsMember: false,
    expired: false,
    ...o,
  });

  it('hands over when this leader is the one switching away', () => {
    const d = decide(observed({ switchover: so() }));
    expect(kind(d)).toBe('hand-over');
    expect(d.reason).toContain('sw-1');
  });

  it('does not hand over twice once the switchover is running (it may have come back as the only node)', () => {
    expect(kind(decide(observed({ switchover: so({ state: 'running' }) })))).toBe('none');
  });

  it('leaves the election once Jenkins stopped for the handover', () => {
    const d = decide(stopped({ handingOver: true }));
    expect(d.action).toEqual({ kind: 'leave-and-rejoin', why: 'switchover' });
  });

  it('steps aside when it became lowest but the switchover names another live member', () => {
    const d = decide(stopped({ term: null, switchover: so({ from: 'node-x', candidate: 'node-c', candidateIsMember: true, state: 'running' }) }));
    expect(d.action).toEqual({ kind: 'leave-and-rejoin', why: 'step-aside' });
    expect(d.reason).toContain('node-c');
  });

  it('takes over itself when the named candidate is gone', () => {
    const d = decide(stopped({ term: null, switchover: so({ from: 'node-x', candidate: 'node-c', candidateIsMember: false, state: 'running' }) }));
    expect(kind(d)).toBe('acquire');
  });

  it('completes the switchover once its Jenkins runs', () => {
    expect(kind(decide(observed({ switchover: so({ from: 'node-x', state: 'running' }) })))).toBe('complete-switchover');
  });

  it('abandons a switchover past its timeout', () => {
    expect(kind(decide(observed({ switchover: so({ expired: true }) })))).toBe('expire-switchover');
    expect(kind(decide(stopped({ switchover: so({ from: 'node-x', expired: true }) })))).toBe('expire-switchover');
  });

  it('fences before anything else when leadership is lost mid-switchover', () => {
    expect(decide(observed({ switchover: so(), zk: { msSinceHeard: FENCE } })).action).toEqual(FENCE_ACTION);
  });
});
