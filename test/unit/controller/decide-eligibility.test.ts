/**
 * decide() before the first answer of the eligibility checks (join first puts a node in the line
 * before its first check has run): a leader without a term holds at gate `eligibility` and takes
 * no epoch until the checks answer; unconfigured checks (null) hold nothing.
 */
import { decide, nodeRole, type Observed } from '../../../src/controller/decide';
import { leaderObserved, type Overrides } from './observed';

/** The provable leader of session 3 that holds no term yet and runs no Jenkins (a fresh start). */
const fresh = (o: Overrides = {}): Observed => leaderObserved({ term: null, ...o, jenkins: { state: 'stopped', epoch: null, ...o.jenkins } });

const PENDING = { pending: true } as const;

describe('eligibility not answered yet', () => {
  it('a leader without a term holds at gate eligibility and takes no epoch, saying why', () => {
    const d = decide(fresh({ eligibility: PENDING }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.gate).toBe('eligibility');
    expect(d.reason).toBe("leader with epoch -; not starting Jenkins: waiting for the first answer of this node's eligibility checks (no epoch is taken before it)");
    expect(nodeRole(fresh({ eligibility: PENDING }))).toBe('leader');
  });

  it('proceeds to the epoch once the checks answer eligible, leaves once they answer no', () => {
    expect(decide(fresh({ eligibility: { eligible: true, reason: '' } })).action).toEqual({ kind: 'acquire' });
    const no = decide(fresh({ eligibility: { eligible: false, reason: 'preflight command failed: exit 1' } }));
    expect(no.action).toEqual({ kind: 'leave-ineligible' });
    expect(no.reason).toContain('preflight command failed: exit 1');
  });

  it('holds nothing when no checks are configured (null)', () => {
    expect(decide(fresh({ eligibility: null })).action).toEqual({ kind: 'acquire' });
  });

  it('a term from an earlier session is not taken again before the answer either', () => {
    const d = decide(fresh({ eligibility: PENDING, term: { epoch: 12, generation: 2 } }));
    expect(d.gate).toBe('eligibility');
    expect(d.action.kind).toBe('none');
  });

  it('does not keep a standby out of the line, nor a node from joining', () => {
    const standby = decide(fresh({ eligibility: PENDING, election: { role: 'candidate' } }));
    expect(standby.action.kind).toBe('none');
    expect(standby.gate).toBeUndefined();
    expect(decide(fresh({ eligibility: PENDING, election: { role: 'idle', joined: false } })).action).toEqual({ kind: 'rejoin' });
    expect(nodeRole(fresh({ eligibility: PENDING, election: { role: 'idle', joined: false } }))).toBe('joining');
  });

  it('does not touch a leader holding a term in this session (its Jenkins runs or restarts)', () => {
    expect(decide(leaderObserved({ eligibility: PENDING })).action.kind).toBe('none');
    expect(decide(leaderObserved({ eligibility: PENDING, jenkins: { state: 'stopped', epoch: null } })).action.kind).toBe('launch');
  });
});
