/**
 * The git-sync gate of decide() (sync.mode git): Jenkins starts only once JENKINS_HOME holds the
 * recorded configuration commit; a node that cannot obtain it yields (or, with allowStale,
 * starts from what it has). The gate never overrides a safety branch (fencing, shutdown, term).
 */
import { decide, type Action, type Observed } from '../../../src/controller/decide';
import type { JenkinsState } from '../../../src/jenkins/supervisor';
import type { SyncGateState } from '../../../src/sync/types';
import { EPOCH, GEN, NOW, leaderObserved } from './observed';


type Sync = NonNullable<Observed['sync']>;

/** The provable leader of session 3 holding epoch 12, Jenkins stopped (about to launch). */
function observed(sync: Sync | undefined, over: Partial<Observed> = {}): Observed {
  return leaderObserved({ jenkins: { state: 'stopped', epoch: null }, ...(sync ? { sync } : {}), ...over });
}

const gate = (state: SyncGateState, allowStale = false, reason = 'commit abc (epoch 11, b) cannot be obtained: repository unreachable'): Sync => ({ state, reason, allowStale });

describe('the sync gate before launch', () => {
  it('launches as before when sync is off (shared mode) or the gate is ready', () => {
    expect(decide(observed(undefined)).action.kind).toBe('launch');
    expect(decide(observed(gate('ready'))).action.kind).toBe('launch');
  });

  it('restores the recorded commit first when the term has not restored yet', () => {
    const d = decide(observed(gate('needed')));
    expect(d.action).toEqual<Action>({ kind: 'sync-restore', stale: false });
    expect(d.reason).toContain('epoch 12');
    expect(d.reason).toContain('recorded in ZooKeeper');
  });

  it('waits while the restore runs, saying so', () => {
    const d = decide(observed(gate('running', false, 'restoring the recorded commit')));
    expect(d.action.kind).toBe('none');
    expect(d.reason).toContain('restoring the recorded commit');
  });

  it('yields when the recorded commit cannot be obtained, naming why', () => {
    const d = decide(observed(gate('failed')));
    expect(d.action).toEqual<Action>({ kind: 'sync-yield' });
    expect(d.reason).toContain('repository unreachable');
    expect(d.reason).toContain('yielding');
  });

  it('starts from the newest local commit instead when sync.allowStale is set', () => {
    const d = decide(observed(gate('failed', true)));
    expect(d.action).toEqual<Action>({ kind: 'sync-restore', stale: true });
    expect(d.reason).toContain('sync.allowStale');
  });

  it('yields a superseded term (the branch names an epoch >= ours) even with sync.allowStale', () => {
    const why = 'the branch tip abc names epoch 12, not below this term\'s 12';
    for (const allowStale of [false, true]) {
      const d = decide(observed(gate('superseded', allowStale, why)));
      expect(d.action).toEqual<Action>({ kind: 'sync-yield' });
      expect(d.reason).toContain(why);
    }
  });

  it('takes the epoch before anything else (the gate belongs to a term)', () => {
    expect(decide(observed(gate('needed'), { term: null })).action.kind).toBe('acquire');
    expect(decide(observed(gate('failed'), { term: { epoch: EPOCH, generation: GEN - 1 } })).action.kind).toBe('acquire');
  });

  it('lets a crash-looping leader resign and a backing-off one wait, as without sync', () => {
    expect(decide(observed(gate('needed'), { restarts: { recentFailures: 4, nextAttemptAt: 0 } })).action.kind).toBe('resign');
    expect(decide(observed(gate('needed'), { restarts: { recentFailures: 1, nextAttemptAt: NOW + 100 } })).action.kind).toBe('none');
  });
});

describe('the sync gate never overrides a safety branch', () => {
  const states: SyncGateState[] = ['needed', 'running', 'ready', 'failed'];
  const jenkinsStates: JenkinsState[] = ['stopped', 'starting', 'running', 'stopping'];
  const syncKinds = new Set<Action['kind']>(['sync-restore', 'sync-yield']);

  it.each(states.flatMap((s) => [false, true].map((stale) => [s, stale] as const)))('gate %s (allowStale %s): same decision as without sync unless Jenkins is stopped and leadership provable', (state, stale) => {
    const cases: Partial<Observed>[] = [
      { zk: { state: 'connected', generation: GEN, msSinceHeard: 9000 } }, // not provable
      { zk: { state: 'disconnected', generation: GEN, msSinceHeard: null } },
      { election: { role: 'candidate', generation: GEN, joined: true } },
      { shuttingDown: true },
      { paused: true },
      { resignedUntil: NOW + 1000 },
      { handingOver: true },
      { blocked: { until: NOW + 1000, reason: 'lock names epoch 13' } },
      ...jenkinsStates.filter((j) => j !== 'stopped').map((j) => ({ jenkins: { state: j, epoch: EPOCH, unhealthy: null, fencing: false } })),
    ];
    for (const c of cases) {
      const withSync = decide(observed(gate(state, stale), c));
      const without = decide(observed(undefined, c));
      expect({ c, kind: withSync.action.kind }).toEqual({ c, kind: without.action.kind });
      expect(syncKinds.has(withSync.action.kind)).toBe(false);
    }
  });

  it('only ever launches with the gate ready', () => {
    for (const state of states) {
      for (const allowStale of [false, true]) {
        const d = decide(observed(gate(state, allowStale)));
        expect({ state, allowStale, launch: d.action.kind === 'launch' }).toEqual({ state, allowStale, launch: state === 'ready' });
      }
    }
  });
});
