/**
 * decide() and election.priority / election.noFailover (decide/priority.ts): the head of the line
 * yields before it takes an epoch to a member of strictly higher priority, a noFailover node never
 * takes an epoch (yields when someone may lead, else holds and says so), equal priorities never
 * move, and nothing here touches a node that holds a term (fencing and zero overlap unchanged).
 */
import { decide, nodeRole, type Observed } from '../../../src/controller/decide';
import { yieldTarget } from '../../../src/controller/decide/priority';
import type { MemberPriority } from '../../../src/controller/decide/types';
import { leaderObserved, type Overrides } from './observed';

/** Lowest sequence, ZooKeeper answering, no term yet, Jenkins stopped: about to take the epoch. */
function head(self: { priority?: number; noFailover?: boolean }, others: MemberPriority[], o: Overrides = {}): Observed {
  return leaderObserved({
    term: null,
    priority: { self: self.priority ?? 0, noFailover: self.noFailover ?? false, others },
    ...o,
    jenkins: { state: 'stopped', epoch: null, ...o.jenkins },
  });
}

const m = (id: string, priority: number, noFailover = false): MemberPriority => ({ id, priority, noFailover });

describe('failover priority at the head of the line', () => {
  it('takes the epoch when no member has a higher priority (equal priorities keep the line order)', () => {
    expect(decide(head({ priority: 5 }, [m('b', 5), m('c', 1)])).action.kind).toBe('acquire');
    expect(decide(head({}, [])).action.kind).toBe('acquire');
  });

  it('steps to the back before taking an epoch while a member of higher priority is in line, naming it', () => {
    const d = decide(head({ priority: 0 }, [m('b', 3), m('c', 10)]));
    expect(d.action).toEqual({ kind: 'yield-lead', why: 'priority', to: 'c' });
    expect(d.reason).toBe('lowest sequence, but c has a higher priority (10 > 0); stepping to the back of the line before taking an epoch');
  });

  it('yields to the first in line among equally high members (one target, no herd)', () => {
    expect(yieldTarget({ self: 0, noFailover: false, others: [m('b', 7), m('c', 7), m('d', 2)] })?.id).toBe('b');
  });

  it('does not yield to a noFailover member, whatever its priority', () => {
    expect(decide(head({ priority: 0 }, [m('dr', 100, true)])).action.kind).toBe('acquire');
  });

  it('never yields once it holds a term: the epoch is taken, fencing and the launch go on', () => {
    const o = head({ priority: 0 }, [m('c', 10)], { term: { epoch: 12, generation: 3 } });
    expect(decide(o).action.kind).toBe('launch');
    const running = leaderObserved({ priority: { self: 0, noFailover: false, others: [m('c', 10)] } });
    expect(decide(running).action.kind).toBe('none'); // a healthy leader is never moved (no failback)
  });

  it('does not act before leadership is provable (only the head of the line, with ZooKeeper answering, yields)', () => {
    const o = head({ priority: 0 }, [m('c', 10)], { zk: { msSinceHeard: null } });
    expect(decide(o).action.kind).toBe('none');
    expect(decide(head({ priority: 0 }, [m('c', 10)], { election: { role: 'candidate' } })).action.kind).toBe('none');
  });

  it('is bounded: after the yield the target heads the line and has no one to yield to', () => {
    // a (0) yielded to c (10); now c is the head and a stands behind it.
    expect(decide(head({ priority: 10 }, [m('b', 3), m('a', 0)])).action.kind).toBe('acquire');
  });
});

describe('noFailover', () => {
  it('never takes an epoch when it is the only member left, and says so', () => {
    const d = decide(head({ noFailover: true }, []));
    expect(d.action.kind).toBe('none');
    expect(d.reason).toBe('noFailover: this node never leads; no other member is eligible');
    expect(decide(head({ noFailover: true }, [m('dr2', 5, true)])).reason).toBe('noFailover: this node never leads; no other member is eligible');
  });

  it('steps to the back when a member that may lead is in line, whatever the priorities', () => {
    const d = decide(head({ noFailover: true, priority: 50 }, [m('dr2', 9, true), m('b', -4)]));
    expect(d.action).toEqual({ kind: 'yield-lead', why: 'no-failover', to: 'b' });
    expect(d.reason).toBe('noFailover: this node never leads; stepping to the back of the line so b leads');
  });

  it('is a standby, never the leader, in /status and the probes even at the head of the line', () => {
    expect(nodeRole(head({ noFailover: true }, []))).toBe('standby');
    expect(nodeRole(head({}, []))).toBe('leader');
  });
});
