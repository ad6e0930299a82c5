/**
 * statusNotes(): the sentences GET /status `notes`, the status page and `jenkins-ha status` show
 * for a node. One source of each note at a time, a healthy node has none; the held-back reasons
 * come from decide() itself, so a change of its wording shows here.
 */
import { decide } from '../../../src/controller/decide';
import { heldReason, statusNotes } from '../../../src/controller/notes';
import type { StatusSnapshot } from '../../../src/controller/status';
import { snapshot } from '../api/fakes';
import { NOW, leaderObserved } from './observed';

/** The snapshot's own clock: since + sinceMs = 10:05:00Z. */
const SINCE = '2024-01-01T10:00:00.000Z';
const SINCE_MS = 300_000;

function node(over: Partial<StatusSnapshot> = {}): StatusSnapshot {
  const base = snapshot();
  return snapshot({ node: { ...base.node, since: SINCE, sinceMs: SINCE_MS }, ...over });
}

function standby(over: Partial<StatusSnapshot> = {}): StatusSnapshot {
  const base = node();
  return node({
    node: { ...base.node, id: 'b', role: 'standby' },
    jenkins: { ...base.jenkins, state: 'stopped', pid: null, ready: false, epoch: null },
    epoch: null,
    decision: 'standing by (election candidate, zookeeper connected)',
    ...over,
  });
}

const leaderStopped = (over: Partial<StatusSnapshot> = {}): StatusSnapshot => {
  const base = node();
  return node({ jenkins: { ...base.jenkins, state: 'stopped', pid: null, ready: false }, ...over });
};

describe('a healthy node has no notes', () => {
  it('leader and standby, with the optional blocks present but quiet', () => {
    expect(statusNotes(node())).toEqual([]);
    expect(statusNotes(standby())).toEqual([]);
    const quiet = {
      drain: null,
      eligibility: { eligible: true, reasons: [], checkedAt: SINCE, versions: { local: '2.440', leader: '2.440' } },
      watchdog: { mode: 'off' as const, device: '/dev/watchdog', armed: false, timeoutMs: null, errors: 0, lastError: null },
    };
    expect(statusNotes(node(quiet))).toEqual([]);
    expect(statusNotes(standby(quiet))).toEqual([]);
  });

  it('a snapshot of an older version (no launchBlocked, no optional blocks) words what it has', () => {
    const { launchBlocked: _lb, ...old } = standby();
    expect(statusNotes(old)).toEqual([]);
  });
});

describe('held: a leader holding Jenkins back', () => {
  const held = (gate: NonNullable<StatusSnapshot['launchBlocked']>['gate'], reason: string): string[] =>
    statusNotes(leaderStopped({ launchBlocked: { gate, reason, since: '2024-01-01T10:03:58.000Z' } }));

  it('fencing failed: the gate, how long, and the reason without the decision preamble or countdown', () => {
    const d = decide(
      leaderObserved({ jenkins: { state: 'stopped', epoch: null }, fence: { state: 'failed', retryAt: NOW + 4000, reason: 'previous active b@h2 (epoch 11): all 1 fencing methods failed (ipmi: exit 1)' } }),
    );
    expect(d.gate).toBe('fencing');
    expect(held('fencing', d.reason)).toEqual(['held (fencing, 1m02s): fencing failed (previous active b@h2 (epoch 11): all 1 fencing methods failed (ipmi: exit 1))']);
  });

  it('fencing running, the storage lease, the watchdog gate, a foreign listener', () => {
    const running = decide(leaderObserved({ jenkins: { state: 'stopped', epoch: null }, fence: { state: 'running', retryAt: 0, reason: 'previous active b@h2 (epoch 11) did not exit cleanly' } }));
    expect(held('fencing', running.reason)).toEqual(['held (fencing, 1m02s): fencing the previous active (previous active b@h2 (epoch 11) did not exit cleanly) before starting Jenkins']);
    const lease = decide(leaderObserved({ jenkins: { state: 'stopped', epoch: null }, storageLease: { until: NOW + 1000, reason: 'the JENKINS_HOME lock of b@h2 (epoch 11) has a live heartbeat (900 ms old, lease 8000 ms); waiting for it to go stale' } }));
    expect(lease.gate).toBe('storage-lease');
    expect(held('storage-lease', lease.reason)).toEqual([
      'held (storage-lease, 1m02s): the JENKINS_HOME lock of b@h2 (epoch 11) has a live heartbeat (900 ms old, lease 8000 ms); waiting for it to go stale',
    ]);
    const wd = decide(leaderObserved({ jenkins: { state: 'stopped', epoch: null }, watchdog: { reason: 'cannot open /dev/watchdog: EACCES', retryAt: NOW + 1000 } }));
    expect(wd.gate).toBe('watchdog');
    expect(held('watchdog', wd.reason)).toEqual(['held (watchdog, 1m02s): the host watchdog is required but cannot be armed (cannot open /dev/watchdog: EACCES)']);
    const foreign = 'something already answers on 127.0.0.1:8080 (jenkins.url) though this node runs no Jenkins: another Jenkins? not starting ours';
    const sb = decide(leaderObserved({ jenkins: { state: 'stopped', epoch: null }, blocked: { until: NOW + 1000, reason: foreign, gate: 'split-brain' } }));
    expect(sb.gate).toBe('split-brain');
    expect(held('split-brain', sb.reason)).toEqual([`held (split-brain, 1m02s): ${foreign}`]);
  });

  it('heldReason leaves a reason it does not know as it is; an unreadable since drops the duration', () => {
    expect(heldReason('some future gate said so')).toBe('some future gate said so');
    expect(statusNotes(leaderStopped({ launchBlocked: { gate: 'lock', reason: 'x', since: 'not a time' } }))).toEqual(['held (lock): x']);
  });
});

describe('not eligible: a node that could not take over', () => {
  const ineligible = (reasons: string[], role: StatusSnapshot['node']['role'] = 'stopped'): StatusSnapshot => {
    const base = standby();
    return standby({
      node: { ...base.node, role },
      eligibility: { eligible: false, reasons, checkedAt: SINCE, versions: { local: '2.440', leader: '2.441' } },
      decision: `not eligible to run Jenkins (${reasons.join('; ')}); staying out of the election`,
    });
  };

  it('every reason, in the eligibility check\'s own words; no "stopped:" beside it', () => {
    expect(statusNotes(ineligible(['free disk 812 MiB below 1024 MiB']))).toEqual(['not eligible: free disk 812 MiB below 1024 MiB']);
    expect(statusNotes(ineligible(['Jenkins version 2.440 differs from the leader\'s 2.441', 'preflight command failed: exit 1; storage check failed']))).toEqual([
      "not eligible: Jenkins version 2.440 differs from the leader's 2.441; preflight command failed: exit 1; storage check failed",
    ]);
    expect(statusNotes(ineligible([]))).toEqual(['not eligible: no reason given']);
  });

  it('an old verdict is moot while Jenkins runs here', () => {
    const s = ineligible(['free disk 812 MiB below 1024 MiB'], 'leader');
    expect(statusNotes({ ...s, jenkins: { ...s.jenkins, state: 'running' } })).toEqual([]);
  });
});

describe('draining and handing over', () => {
  const drain = (over: Partial<NonNullable<StatusSnapshot['drain']>> = {}): NonNullable<StatusSnapshot['drain']> => ({
    purpose: 'switchover',
    since: '2024-01-01T10:04:25.000Z',
    quietDown: true,
    running: 2,
    builds: [
      { name: 'app #12', url: 'http://j/job/app/12/' },
      { name: 'lib #3', url: 'http://j/job/lib/3/' },
    ],
    lastError: null,
    ...over,
  });
  const intent = (state: NonNullable<StatusSnapshot['switchover']>['state'], candidate: string | null = 'b'): NonNullable<StatusSnapshot['switchover']> => ({
    id: 's1',
    candidate,
    from: 'a',
    reason: 'kernel update',
    requestedAt: '2024-01-01T10:04:20.000Z',
    state,
  });

  it('a drain for a switchover names the candidate, how long, the builds still running', () => {
    expect(statusNotes(node({ drain: drain(), switchover: intent('draining') }))).toEqual(['draining (switchover to b, 35s): 2 builds running']);
    expect(statusNotes(node({ drain: drain({ running: 1 }), switchover: intent('draining', null) }))).toEqual(['draining (switchover to the next in line, 35s): 1 build running']);
  });

  it('a drain for a pause or a shutdown; before Jenkins answered; a refused quiet-down and an error', () => {
    expect(statusNotes(node({ drain: drain({ purpose: 'pause', running: 0 }) }))).toEqual(['draining (pause, 35s): 0 builds running']);
    expect(statusNotes(node({ drain: drain({ purpose: 'shutdown', quietDown: null, running: null, builds: [] }) }))).toEqual([
      'draining (shutdown, 35s): waiting for Jenkins to answer',
    ]);
    expect(statusNotes(node({ drain: drain({ purpose: 'pause', quietDown: false, running: 3, lastError: 'POST /quietDown: 403' }) }))).toEqual([
      'draining (pause, 35s): 3 builds running; Jenkins did not accept the quiet-down; last error: POST /quietDown: 403',
    ]);
  });

  it('the leader of a switchover without a drain: pending, then handing over; other members say nothing of it', () => {
    expect(statusNotes(node({ switchover: intent('pending') }))).toEqual(['switchover to b pending']);
    expect(statusNotes(leaderStopped({ switchover: intent('running') }))).toEqual(['handing over to b (switchover s1)']);
    expect(statusNotes(standby({ switchover: intent('running') }))).toEqual([]);
  });
});

describe('a scheduled switchover', () => {
  // The snapshot's clock says 10:05:00Z.
  const scheduled = (at: string): NonNullable<StatusSnapshot['switchover']> => ({
    id: 's1', candidate: 'b', from: 'a', reason: '', requestedAt: '2024-01-01T09:00:00.000Z', state: 'scheduled', at, by: 'api@x',
  });
  const paused = { paused: true, by: 'api@y', reason: 'upgrade', since: '2024-01-01T10:01:00.000Z', until: null };

  it('is listed on every node with the time left, and what the leader then does', () => {
    expect(statusNotes(node({ switchover: scheduled('2024-01-01T11:05:00.000Z') }))).toEqual([
      'switchover scheduled for 2024-01-01T11:05:00.000Z (in 1h00m, by api@x): the leader then hands over to b',
    ]);
    expect(statusNotes(standby({ switchover: scheduled('2024-01-01T10:00:00.000Z') }))).toEqual([
      'switchover scheduled for 2024-01-01T10:00:00.000Z (due, by api@x): the leader then hands over to b',
    ]);
  });

  it('due while paused: it waits for resume and runs then at once, never dropped silently; the note says how to drop it', () => {
    for (const s of [node({ switchover: scheduled('2024-01-01T10:00:00.000Z'), paused }), standby({ switchover: scheduled('2024-01-01T10:00:00.000Z'), paused })]) {
      expect(statusNotes(s)).toEqual([
        'switchover scheduled for 2024-01-01T10:00:00.000Z (due, by api@x): waits for the cluster to resume (paused); at resume the leader hands over to b at once (jenkins-ha switchover --cancel drops it)',
      ]);
    }
  });

  it('not due yet while paused: says it will wait if the pause lasts', () => {
    expect(statusNotes(node({ switchover: scheduled('2024-01-01T11:05:00.000Z'), paused }))).toEqual([
      'switchover scheduled for 2024-01-01T11:05:00.000Z (in 1h00m, by api@x): the leader then hands over to b; the cluster is paused: if it still is then, the switchover waits for resume (jenkins-ha switchover --cancel drops it)',
    ]);
  });
});

describe('ZooKeeper in doubt, stopped', () => {
  it('a neutral node says what its ZooKeeper connection is doing', () => {
    const base = standby();
    const neutral = (zookeeper: Partial<StatusSnapshot['zookeeper']>): StatusSnapshot =>
      standby({ node: { ...base.node, role: 'neutral' }, zookeeper: { ...base.zookeeper, ...zookeeper } });
    expect(statusNotes(neutral({ state: 'disconnected', msSinceHeard: 3400 }))).toEqual(['ZooKeeper disconnected (last answer 3s ago)']);
    expect(statusNotes(neutral({ state: 'connecting', msSinceHeard: null }))).toEqual(['ZooKeeper connecting (never answered)']);
    expect(statusNotes(neutral({ state: 'connected', msSinceHeard: 9000, fenceAfterMs: 8000 }))).toEqual(['ZooKeeper silent (last answer 9s ago; fences after 8s)']);
  });

  it('a neutral node that cannot finish a TLS handshake says why (zk.tls)', () => {
    const base = standby();
    const tlsError = { peer: 'zk1:2281', reason: 'unknown-ca' as const, file: '/etc/ca.pem', code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'TLS to ZooKeeper zk1:2281 failed: not signed' };
    const s = standby({ node: { ...base.node, role: 'neutral' }, zookeeper: { ...base.zookeeper, state: 'connecting', msSinceHeard: null, tlsError } });
    expect(statusNotes(s)).toEqual(['ZooKeeper connecting: TLS to ZooKeeper zk1:2281 failed: not signed']);
  });

  it('a stopped node (resigned, shutting down) gives its last decision', () => {
    const base = standby();
    expect(statusNotes(standby({ node: { ...base.node, role: 'stopped' }, decision: 'resigned; rejoining in 28000 ms' }))).toEqual(['stopped: resigned; rejoining in 28000 ms']);
  });
});

describe('the host watchdog', () => {
  const wd = (over: Partial<NonNullable<StatusSnapshot['watchdog']>>): NonNullable<StatusSnapshot['watchdog']> => ({
    mode: 'automatic',
    device: '/dev/watchdog',
    armed: false,
    timeoutMs: null,
    errors: 0,
    lastError: null,
    ...over,
  });

  it('armed on the leader; nothing on a standby that has not armed it', () => {
    expect(statusNotes(node({ watchdog: wd({ armed: true, timeoutMs: 10_000 }) }))).toEqual(['watchdog armed (/dev/watchdog, 10s)']);
    expect(statusNotes(standby({ watchdog: wd({ mode: 'required', timeoutMs: 10_000 }) }))).toEqual([]);
  });

  it('not usable, failed writes; a required watchdog that holds the launch back is said once', () => {
    expect(statusNotes(node({ watchdog: wd({ lastError: 'cannot open /dev/watchdog: ENOENT (modprobe softdog?)' }) }))).toEqual([
      'watchdog not armed (automatic): cannot open /dev/watchdog: ENOENT (modprobe softdog?)',
    ]);
    expect(statusNotes(node({ watchdog: wd({ armed: true, timeoutMs: 10_000, errors: 2, lastError: 'keepalive to /dev/watchdog failed: EIO' }) }))).toEqual([
      'watchdog armed (/dev/watchdog, 10s)',
      'watchdog: 2 failed writes since start, last: keepalive to /dev/watchdog failed: EIO',
    ]);
    const reason = 'leader with epoch 7; not starting Jenkins: the host watchdog is required but cannot be armed (cannot open /dev/watchdog: EACCES); retrying in 1000 ms';
    expect(
      statusNotes(leaderStopped({ launchBlocked: { gate: 'watchdog', reason, since: '2024-01-01T10:04:59.000Z' }, watchdog: wd({ mode: 'required', lastError: 'cannot open /dev/watchdog: EACCES' }) })),
    ).toEqual(['held (watchdog, 1s): the host watchdog is required but cannot be armed (cannot open /dev/watchdog: EACCES)']);
  });
});

describe('service mode: a Jenkins service not proven stopped', () => {
  it('says what failed and what the operator does; nothing once it is proven (null) or from an older member (absent)', () => {
    const base = node();
    const unproven = node({ jenkins: { ...base.jenkins, state: 'stopping', serviceProof: 'the pid command failed; stop command timed out' } });
    expect(statusNotes(unproven)).toEqual([
      'Jenkins service not proven stopped (the pid command failed; stop command timed out): Jenkins stays "stopping" on this node and the check repeats; ' +
        'stop the service by hand (e.g. systemctl stop jenkins) and check that jenkins.servicePidCommand and jenkins.statusCommand work on this host',
    ]);
    expect(statusNotes(node({ jenkins: { ...base.jenkins, state: 'stopping', serviceProof: null } }))).toEqual([]);
    const { serviceProof: _gone, ...older } = base.jenkins;
    expect(statusNotes(node({ jenkins: older as StatusSnapshot['jenkins'] }))).toEqual([]);
  });
});

test('several notes at once come most pressing first', () => {
  const base = leaderStopped();
  const s = leaderStopped({
    launchBlocked: { gate: 'fencing', reason: 'leader with epoch 7; fencing the previous active (x) before starting Jenkins', since: SINCE },
    eligibility: { eligible: false, reasons: ['free disk 812 MiB below 1024 MiB'], checkedAt: SINCE, versions: { local: null, leader: null } },
    watchdog: { mode: 'automatic', device: '/dev/watchdog', armed: false, timeoutMs: null, errors: 1, lastError: 'disarming /dev/watchdog failed: EIO' },
    node: { ...base.node },
  });
  expect(statusNotes(s)).toEqual([
    'held (fencing, 5m00s): fencing the previous active (x) before starting Jenkins',
    'not eligible: free disk 812 MiB below 1024 MiB',
    'watchdog not armed (automatic): disarming /dev/watchdog failed: EIO',
    'watchdog: 1 failed write since start',
  ]);
});

describe('election.noFailover', () => {
  const members = (bNoFailover: boolean, aNoFailover = false): StatusSnapshot['members'] =>
    snapshot().members.map((m) => ({ ...m, noFailover: m.id === 'b' ? bNoFailover : aNoFailover }));

  it('says a noFailover standby never leads, and when no other member may lead either', () => {
    expect(statusNotes(standby({ members: members(true) }))).toEqual(['noFailover: this node stands by and never leads']);
    expect(statusNotes(standby({ members: members(true, true) }))).toEqual(['noFailover: this node never leads; no other member is eligible']);
    const alone = snapshot().members.filter((m) => m.id === 'b').map((m) => ({ ...m, noFailover: true }));
    expect(statusNotes(standby({ members: alone }))).toEqual(['noFailover: this node never leads; no other member is eligible']);
  });

  it('says nothing for a node without noFailover, even beside noFailover members', () => {
    expect(statusNotes(standby({ members: members(false, true) }))).toEqual([]);
  });
});
