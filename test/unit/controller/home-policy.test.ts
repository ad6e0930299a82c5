/**
 * The hung-home policy: kill Jenkins at once, yield the lead once it has exited (keeping the
 * breadcrumb), never declare an unkillable Jenkins gone without fencing methods, keep a standby
 * with a bad home out of the election.
 */
import { describeHome, homeAdvice, homeBad, homeNote, type HomeObserved, type HomePolicyInput, type HomeStatus } from '../../../src/controller/home-policy';

const NOW = 100_000;
const hung: HomeObserved = { state: 'hung', since: NOW - 2500, reason: 'read /h/.jenkins-ha.lock: no answer within 2000 ms', leaseLost: false };
const ok: HomeObserved = { state: 'ok', since: 0, reason: '', leaseLost: false };

function input(over: Partial<HomePolicyInput> = {}): HomePolicyInput {
  return {
    now: NOW,
    home: hung,
    leader: true,
    joined: true,
    jenkins: { state: 'running', fencing: false },
    fencingSince: null,
    stuckAfterMs: 4000,
    fencingMethods: false,
    ...over,
  };
}

describe('homeBad', () => {
  it.each([
    [null, false],
    [undefined, false],
    [ok, false],
    [hung, true],
    [{ ...ok, state: 'failing' as const }, true],
    [{ ...ok, leaseLost: true }, true],
  ])('%j -> %s', (h, bad) => {
    expect(homeBad(h)).toBe(bad);
  });
});

describe('homeAdvice', () => {
  it('does nothing while the home answers, whatever the role', () => {
    for (const leader of [true, false]) {
      expect(homeAdvice(input({ home: ok, leader }))).toEqual({ kind: 'none' });
      expect(homeAdvice(input({ home: null, leader, jenkins: { state: 'stopped', fencing: false } }))).toEqual({ kind: 'none' });
    }
  });

  it.each(['running', 'starting'] as const)('kills a %s Jenkins at once when the home hangs, saying for how long', (state) => {
    const a = homeAdvice(input({ jenkins: { state, fencing: false } }));
    expect(a.kind).toBe('fence');
    expect(a).toMatchObject({ reason: expect.stringContaining('JENKINS_HOME does not answer for 2500 ms') });
  });

  it('kills Jenkins when the storage lease is lost though the last call answered (slow, not hung)', () => {
    expect(homeAdvice(input({ home: { ...ok, leaseLost: true } })).kind).toBe('fence');
  });

  it('waits for the killed Jenkins to exit, then yields the lead', () => {
    expect(homeAdvice(input({ jenkins: { state: 'stopping', fencing: true }, fencingSince: NOW - 100 })).kind).toBe('wait');
    expect(homeAdvice(input({ jenkins: { state: 'stopped', fencing: false } }))).toMatchObject({ kind: 'yield', reason: expect.stringContaining('leaving the election') });
  });

  it('never declares an unkillable Jenkins gone: without fencing methods it keeps the election and names the operator action', () => {
    const a = homeAdvice(input({ jenkins: { state: 'stopping', fencing: true }, fencingSince: NOW - 4000 }));
    expect(a.kind).toBe('stuck');
    expect(a).toMatchObject({ reason: expect.stringContaining('power-cycle this host') });
  });

  it('yields with an unkillable Jenkins only when fencing methods can prove it gone on the successor', () => {
    const a = homeAdvice(input({ jenkins: { state: 'stopping', fencing: true }, fencingSince: NOW - 4000, fencingMethods: true }));
    expect(a).toMatchObject({ kind: 'yield', reason: expect.stringContaining('must fence this host') });
  });

  it('keeps a standby with a bad home out of the election, and out until the home answers', () => {
    const stopped = { state: 'stopped' as const, fencing: false };
    expect(homeAdvice(input({ leader: false, jenkins: stopped })).kind).toBe('leave');
    expect(homeAdvice(input({ leader: false, joined: false, jenkins: stopped })).kind).toBe('stay-out');
    expect(homeAdvice(input({ leader: false, joined: false, jenkins: stopped, home: { ...hung, state: 'failing', reason: 'EIO' } })).kind).toBe('stay-out');
  });
});

describe('describeHome', () => {
  it('says what, for how long and why', () => {
    expect(describeHome(hung, NOW)).toBe('JENKINS_HOME does not answer for 2500 ms (read /h/.jenkins-ha.lock: no answer within 2000 ms)');
    expect(describeHome({ ...hung, state: 'failing', reason: 'EIO: i/o error' }, NOW)).toBe('JENKINS_HOME fails for 2500 ms (EIO: i/o error)');
    expect(describeHome({ ...ok, leaseLost: true }, NOW)).toBe('the storage lease is lost');
  });
});

describe('homeNote', () => {
  const base: HomeStatus = { state: 'hung', since: '2026-01-01T00:00:00.000Z', reason: 'read /h/.jenkins-ha.lock: no answer within 2000 ms', leaseLost: false, jenkinsStuck: false };

  it('says nothing about a home that answers', () => {
    expect(homeNote(undefined, 'leader', null)).toBeNull();
    expect(homeNote({ ...base, state: 'ok', reason: '' }, 'leader', '3s')).toBeNull();
  });

  it('tells a leader what happens and what to check', () => {
    expect(homeNote(base, 'leader', '12s')).toBe(
      "JENKINS_HOME does not answer (for 12s: read /h/.jenkins-ha.lock: no answer within 2000 ms). Jenkins is killed and this node leaves the election so a node whose mount works takes over; check this host's mount of JENKINS_HOME (mount, dmesg, the NFS server)",
    );
  });

  it('tells a standby it stays out', () => {
    expect(homeNote({ ...base, state: 'failing', reason: 'EIO: i/o error' }, 'stopped', null)).toBe(
      "JENKINS_HOME fails (EIO: i/o error). This node stays out of the election until its home answers; check this host's mount of JENKINS_HOME (mount, dmesg, the NFS server)",
    );
  });

  it('names the operator action for a Jenkins that cannot be killed', () => {
    expect(homeNote({ ...base, jenkinsStuck: true }, 'leader', '2m00s')).toContain('power-cycle this host or fence its storage (revoke its NFS export)');
  });
});

describe('homeAdvice with survivors of the killed Jenkins group (the shim exited)', () => {
  const stopped = { state: 'stopped' as const, fencing: false };

  it('keeps the election while they live and nothing can prove them gone', () => {
    const a = homeAdvice(input({ jenkins: stopped, survivors: { pgid: 7, pids: [7, 8], killedAt: NOW - 4000 } }));
    expect(a.kind).toBe('stuck');
    expect(a).toHaveProperty('reason', expect.stringContaining('Jenkins has not exited 4000 ms after SIGKILL (pids 7, 8 survive; uninterruptible I/O?)'));
  });

  it('waits before the stuck bound, yields with fencing methods, and yields once they are gone', () => {
    expect(homeAdvice(input({ jenkins: stopped, survivors: { pgid: 7, pids: [7], killedAt: NOW - 3999 } })).kind).toBe('wait');
    expect(homeAdvice(input({ jenkins: stopped, survivors: { pgid: 7, pids: [7], killedAt: NOW - 4000 }, fencingMethods: true })).kind).toBe('yield');
    expect(homeAdvice(input({ jenkins: stopped, survivors: null })).kind).toBe('yield');
  });

  it('a standby with survivors does not leave quietly either: it waits, then reports them stuck', () => {
    expect(homeAdvice(input({ leader: false, jenkins: stopped, survivors: { pgid: 7, pids: [7], killedAt: NOW - 4000 } })).kind).toBe('stuck');
  });
});
