/**
 * The cluster-wide safety settings (issue 16 item 3), pure: drift between members, the rules
 * across nodes (storage lease, tickTime, sync.mode), and the leader's refusal to lead: it steps
 * aside when a peer fits, else holds (gate settings), naming the key and both values.
 */
import { decide } from '../../../src/controller/decide';
import { settingsDrift, settingsVerdict, settingsViolations } from '../../../src/controller/decide/settings';
import { statusNotes } from '../../../src/controller/notes';
import { clusterDrift, decodeSafetySettings, type SafetySettings } from '../../../src/util/safety-settings';
import { leaderObserved } from './observed';

/** The effective settings of a node with zk.sessionTimeoutMs `t` and everything else default-like. */
function at(t: number, extra: Partial<SafetySettings> = {}): SafetySettings {
  const lease = Math.floor(t / 2);
  const hb = Math.floor(lease / 4);
  return {
    sessionTimeoutMs: t, deadlineRatio: 0.5, fenceAfterMs: t / 2, fenceKillAfterMs: 1000, marginMs: 500, pingIntervalMs: Math.floor(t / 6), tickTimeMs: 2000,
    lockLeaseMs: lease, lockLeaseDerived: true, lockHeartbeatMs: hb, lockIoTimeoutMs: Math.min(2000, lease - hb - 500), watchdog: 'off', syncMode: 'shared', ...extra,
  };
}

describe('the rules across nodes', () => {
  it('equal settings: no drift, no violation', () => {
    expect(settingsVerdict({ id: 'a', settings: at(10000) }, [{ id: 'b', settings: at(10000) }])).toEqual({ drift: [], violations: [], peerCanLead: true });
  });

  it('a longer session timeout (derived lease) refuses to lead against a shorter one, naming the key and both values; the shorter one may lead', () => {
    const long = settingsViolations(at(10000), { id: 'b', settings: at(4000) });
    expect(long).toHaveLength(1);
    expect(long[0]).toMatch(/^zk\.sessionTimeoutMs: this node 10000, node b 4000 \(lock\.leaseMs = 0: half of it\): a hung home here is fenced lock\.heartbeatMs \+ lock\.ioTimeoutMs \+ fencing\.marginMs = 1250 \+ 2000 \+ 500 = 3750 ms after the last heartbeat, later than node b stops waiting for it \(its lease 2000 ms\)/);
    expect(settingsViolations(at(4000), { id: 'a', settings: at(10000) })).toEqual([]);
  });

  it('names lock.leaseMs when a lease is configured', () => {
    const v = settingsViolations(at(10000, { lockLeaseDerived: false }), { id: 'b', settings: at(10000, { lockLeaseMs: 3000, lockLeaseDerived: false }) });
    expect(v[0]).toMatch(/^lock\.leaseMs: this node 5000, node b 3000: .* = 3750 ms .*its lease 3000 ms\); give both nodes the same lock\.leaseMs$/);
  });

  it('a peer that says the servers tick slower breaks a tight fencing budget here', () => {
    const tight = at(2000, { tickTimeMs: 200, fenceAfterMs: 1000, fenceKillAfterMs: 500, marginMs: 200, pingIntervalMs: 250 });
    expect(settingsViolations(tight, { id: 'b', settings: { ...tight, tickTimeMs: 2000 } })[0]).toMatch(
      /^zk\.tickTimeMs: this node 200, node b 2000: .* 1000 \+ 500 \+ 200 \+ max\(250, 2000 \/ 2\) = 2700 ms exceeds its zk\.sessionTimeoutMs 2000 ms/,
    );
    expect(settingsViolations(tight, { id: 'b', settings: { ...tight, tickTimeMs: 400 } })).toEqual([]);
  });

  it('sync.mode differs: both refuse, nobody can lead', () => {
    const v = settingsVerdict({ id: 'a', settings: at(4000) }, [{ id: 'b', settings: at(4000, { syncMode: 'git' }) }]);
    expect(v.violations).toEqual(['sync.mode: this node shared, node b git: nodes of one cluster must share the home the same way; set the same sync.mode on every node']);
    expect(v.peerCanLead).toBe(false);
  });

  it('drift lists every differing key per member; the watchdog is drift only', () => {
    const d = settingsDrift(at(4000), [{ id: 'b', settings: at(4000, { watchdog: 'required' }) }]);
    expect(d).toEqual([{ node: 'b', key: 'fencing.watchdog.mode', here: 'off', there: 'required' }]);
    expect(settingsVerdict({ id: 'a', settings: at(4000) }, [{ id: 'b', settings: at(4000, { watchdog: 'required' }) }]).violations).toEqual([]);
  });
});

describe('the leader refuses to lead', () => {
  const verdict = (self: SafetySettings, peer: SafetySettings) => settingsVerdict({ id: 'node-a', settings: self }, [{ id: 'b', settings: peer }]);
  const stopped = (v: ReturnType<typeof verdict>) => {
    const o = leaderObserved({ settings: v, term: null });
    return { ...o, jenkins: { ...o.jenkins, state: 'stopped' as const, epoch: null } };
  };

  it('steps aside before taking an epoch when a peer fits', () => {
    const d = decide(stopped(verdict(at(10000), at(4000))));
    expect(d.action.kind).toBe('settings-step-aside');
    expect(d.reason).toMatch(/^lowest sequence, but refusing to lead: zk\.sessionTimeoutMs: this node 10000, node b 4000/);
  });
  it('holds (gate settings) when no peer fits either', () => {
    const d = decide(stopped(verdict(at(4000), at(4000, { syncMode: 'git' }))));
    expect(d).toMatchObject({ action: { kind: 'none' }, gate: 'settings' });
    expect(d.reason).toMatch(/refusing to start Jenkins: sync\.mode: this node shared, node b git/);
  });
  it('takes the epoch when its settings fit', () => {
    expect(decide(stopped(verdict(at(4000), at(10000)))).action.kind).toBe('acquire');
  });
});

describe('in words', () => {
  it('the notes show the refusal and the drift on every node', () => {
    const s = { self: at(10000), drift: [{ node: 'b', key: 'zk.sessionTimeoutMs', here: 10000, there: 4000 }], refusal: ['zk.sessionTimeoutMs: this node 10000, node b 4000: ...'] };
    const notes = statusNotes({ node: { id: 'a', host: 'h', role: 'standby', since: '2026-12-06T21:00:00Z', sinceMs: 0, apiUrl: '' }, zookeeper: { state: 'connected', sessionId: null, sessionTimeoutMs: 10000, msSinceHeard: 1, fenceAfterMs: 5000 }, switchover: null, decision: '', settings: s });
    expect(notes).toEqual(['refusing to lead: zk.sessionTimeoutMs: this node 10000, node b 4000: ...', 'safety settings differ between members: zk.sessionTimeoutMs 10000 here, 4000 on b']);
  });
  it('jenkins-ha status lists each differing key with every member\'s value; members without settings are left out', () => {
    expect(clusterDrift([{ id: 'a', settings: at(10000) }, { id: 'b', settings: at(4000) }, { id: 'c', settings: null }])).toEqual([
      'zk.sessionTimeoutMs: a 10000, b 4000', 'zk.pingIntervalMs: a 1666, b 666', 'lock.leaseMs: a 5000, b 2000', 'lock.heartbeatMs: a 1250, b 500', 'lock.ioTimeoutMs: a 2000, b 1000',
    ]);
    expect(clusterDrift([{ id: 'a', settings: at(4000) }, { id: 'b', settings: at(4000) }])).toEqual([]);
  });
  it('a member record with settings of the wrong shape is read without them', () => {
    expect(decodeSafetySettings({ ...at(4000), marginMs: '500' })).toBeNull();
    expect(decodeSafetySettings(at(4000))).toEqual(at(4000));
  });
});
