/**
 * The Controller itself (not only decide()): the loop, its rooms and their order of steps, run
 * against the in-memory ZooKeeper with the real Election, EpochStore and ClusterView, a stub
 * Jenkins and a fake clock (./harness.ts). The JENKINS_HOME lock is a real file in a temp dir.
 */
import { EventEmitter } from 'node:events';
import { acquireHomeLock, readLock } from '../../../src/fencing/home-lock';
import { EpochStore, type TakenEpoch } from '../../../src/fencing/epoch';
import type { EligibilityResult } from '../../../src/jenkins/eligibility';
import type { SyncGate, SyncStatus } from '../../../src/sync/types';
import { waitFor } from '../../helpers/wait';
import { FakeZk } from '../../helpers/fake-coordinator';
import { BASE, bareElection, controllerHarness, FakeClock, StubWatchdog, type Harness } from './harness';

const WAIT = { timeoutMs: 5000 };

let harnesses: Harness[] = [];
function harness(...args: Parameters<typeof controllerHarness>): Harness {
  const h = controllerHarness(...args);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses) await h.close();
  harnesses = [];
});

async function lockState(home: string): Promise<string> {
  const r = await readLock(home);
  return r.kind === 'ok' ? `${r.record.state} by ${r.record.nodeId} (epoch ${r.record.epoch})` : r.kind;
}

const historyEvents = (h: Harness): string[] => h.controller.status().history.map((e) => e.event);

test('starts Jenkins with the first epoch and holds the lock for it', async () => {
  const h = harness();
  h.start();
  await waitFor(() => h.jenkins.launches.length === 1, { ...WAIT, what: 'the launch' });
  expect(h.jenkins.launches[0]).toEqual({ epoch: 1, leaseMs: expect.any(Number) as number });
  expect(await lockState(h.home)).toBe('held by node-a (epoch 1)');
  await waitFor(() => h.controller.status().node.role === 'leader', { ...WAIT, what: 'role leader' });
});

test('start-up: joins the election first; the shim is armed and eligibility started once the znode exists', async () => {
  const at: string[] = [];
  const eligibility = new (class extends EventEmitter {
    result(): EligibilityResult {
      return { eligible: true, reasons: [], checkedAt: '2026-01-01T00:00:00Z', versions: { local: null, leader: null } };
    }
    start(): void {
      at.push(`eligibility.start: ${h.election.status().role}, ${h.zk.children(`${BASE}/election`).length} znode`);
    }
    stop(): void {}
  })();
  const h = harness({ deps: { eligibility } });
  jest.spyOn(h.jenkins, 'arm').mockImplementation(() => void at.push(`arm: ${h.election.status().role}, ${h.zk.children(`${BASE}/election`).length} znode`));
  h.start();
  expect(at).toEqual([]); // nothing but the join runs synchronously in start()
  await waitFor(() => at.length === 2, { ...WAIT, what: 'arm and eligibility' });
  expect(at).toEqual(['arm: leader, 1 znode', 'eligibility.start: leader, 1 znode']);
});

/** Eligibility checks that answer only when the test says (result null until then). */
class SlowEligibility extends EventEmitter {
  answer: EligibilityResult | null = null;
  result(): EligibilityResult | null {
    return this.answer;
  }
  start(): void {}
  stop(): void {}
  say(eligible: boolean, reasons: string[] = []): void {
    this.answer = { eligible, reasons, checkedAt: '2026-01-01T00:00:00Z', versions: { local: null, leader: null } };
    this.emit('change', this.answer);
  }
}

test('start-up: a leader whose eligibility checks have not answered takes no epoch and starts nothing until they answer eligible', async () => {
  const eligibility = new SlowEligibility();
  const h = harness({ deps: { eligibility } });
  h.start();
  await waitFor(() => h.controller.status().launchBlocked?.gate === 'eligibility', { ...WAIT, what: 'the hold at gate eligibility' });
  const s = h.controller.status();
  expect(s.node.role).toBe('leader');
  expect(s.epoch).toBeNull();
  expect(s.notes).toContain("held (eligibility, 0ms): waiting for the first answer of this node's eligibility checks (no epoch is taken before it)");
  expect(h.log.events('launch.held').map((e) => e.fields.gate)).toEqual(['eligibility']);
  expect(h.zk.stat(`${BASE}/epoch`)).toBeNull();
  expect(h.jenkins.launches).toEqual([]);

  eligibility.say(true);
  await waitFor(() => h.jenkins.launches.length === 1, { ...WAIT, what: 'the launch' });
  expect(h.jenkins.launches[0]).toEqual({ epoch: 1, leaseMs: expect.any(Number) as number });
  expect(h.log.events('launch.held_cleared').map((e) => e.fields.gate)).toEqual(['eligibility']);
});

test('start-up: a leader whose first eligibility answer is no leaves the election without an epoch', async () => {
  const eligibility = new SlowEligibility();
  const h = harness({ deps: { eligibility } });
  h.start();
  await waitFor(() => h.controller.status().launchBlocked?.gate === 'eligibility', { ...WAIT, what: 'the hold at gate eligibility' });
  eligibility.say(false, ['preflight command failed: exit 1']);
  await waitFor(() => h.controller.status().node.role === 'stopped', { ...WAIT, what: 'the leave' });
  expect(h.zk.children(`${BASE}/election`)).toEqual([]);
  expect(h.zk.stat(`${BASE}/epoch`)).toBeNull();
  expect(h.jenkins.launches).toEqual([]);
  expect(h.controller.status().launchBlocked).toBeNull();
});

test('start-up: a controller built when its election already leads counts the takeover from the election, not from the epoch', async () => {
  const clock = new FakeClock();
  const zk = new FakeZk(clock.now);
  const bare = bareElection(zk, clock, 'node-a');
  bare.coord.start();
  bare.election.join();
  await waitFor(() => bare.election.isLeader(), { ...WAIT, what: 'the lead' });
  clock.advance(40); // the controller's modules load and it is built after the join
  const h = harness({ zk, clock, bare });
  h.start();
  await waitFor(() => h.log.events('takeover.phases').length === 1, { ...WAIT, what: 'the takeover phases' });
  expect(h.log.events('takeover.phases')[0]!.fields.decisionMs).toBe(40);
});

test('discards an epoch taken while the session changed, and takes the next one in the new session', async () => {
  let expireOnce = true;
  class ExpiringEpochs extends EpochStore {
    override async take(self: { nodeId: string; host: string; pid: number }): Promise<TakenEpoch> {
      const taken = await super.take(self);
      // The reply arrived, but the session it was taken in is gone by the time the loop looks.
      if (expireOnce) {
        expireOnce = false;
        h.coord.expireSession();
      }
      return taken;
    }
  }
  const h = harness({ epochs: (coord) => new ExpiringEpochs(coord, BASE) });
  h.start();
  await waitFor(() => h.jenkins.launches.length === 1, { ...WAIT, what: 'the launch in the new session' });
  expect(h.log.events('acquire.discarded').map((e) => e.fields.epoch)).toEqual([1]);
  expect(h.jenkins.launches.map((l) => l.epoch)).toEqual([2]);
  expect(h.controller.status().history.filter((e) => e.event === 'elected').map((e) => e.reason)).toEqual(['epoch 2']);
  expect(h.controller.status().epoch).toBe(2);
});

test('a lock naming a newer epoch refuses the launch and holds it back (gate lock)', async () => {
  const h = harness();
  await acquireHomeLock(h.home, { epoch: 50, nodeId: 'node-z', host: 'host-z', pid: 1, cluster: 'unit', state: 'held', time: '2025-12-31T00:00:00Z', heartbeatAt: h.clock.wall - 3_600_000 });
  h.start();
  await waitFor(() => h.controller.status().launchBlocked?.gate === 'lock', { ...WAIT, what: 'the lock gate' });
  expect(h.log.events('lock.refused')).toHaveLength(1);
  expect(h.controller.status().decision).toMatch(/^leader but blocked: /);
  expect(h.jenkins.launches).toEqual([]);
  expect(await lockState(h.home)).toBe('held by node-z (epoch 50)');
});

test('a required watchdog that cannot be armed holds the launch back until it can', async () => {
  const steps: string[] = [];
  const watchdog = new StubWatchdog('required', steps);
  watchdog.armResult = { ok: false, reason: 'no /dev/watchdog' };
  const h = harness({ deps: { watchdog } });
  h.start();
  await waitFor(() => h.controller.status().launchBlocked?.gate === 'watchdog', { ...WAIT, what: 'the watchdog gate' });
  expect(h.controller.status().launchBlocked?.reason).toContain('the host watchdog is required but cannot be armed (no /dev/watchdog)');
  expect(h.jenkins.launches).toEqual([]);
  expect(historyEvents(h).filter((e) => e === 'watchdog.unavailable')).toHaveLength(1);
  // No Jenkins of ours: the lock is marked released, so a successor need not wait for our lease.
  await waitFor(async () => (await lockState(h.home)) === 'released by node-a (epoch 1)', { ...WAIT, what: 'the lock released' });

  watchdog.armResult = { ok: true, armed: true };
  h.clock.advance(1000); // the hold's retry time
  await waitFor(() => h.jenkins.launches.length === 1, { ...WAIT, what: 'the launch once armed' });
  expect(h.log.events('watchdog.gate_cleared')).toHaveLength(1);
  expect(steps.filter((s) => s.startsWith('watchdog.arm')).slice(-1)).toEqual(['watchdog.arm: ok']);
  await waitFor(() => h.controller.status().launchBlocked === null, { ...WAIT, what: 'the gate cleared' });
});

test('a switchover hands over: Jenkins stopped, then leaves (lock released, breadcrumb gone) and rejoins at the back', async () => {
  const h = harness();
  h.start();
  await waitFor(() => h.jenkins.launches.length === 1, { ...WAIT, what: 'the launch' });
  const b = bareElection(h.zk, h.clock, 'node-b');
  b.coord.start();
  b.election.join();
  await waitFor(() => h.controller.status().members.length === 2, { ...WAIT, what: 'node-b in line' });

  await h.controller.requestSwitchover({ candidate: 'node-b', by: 'test' });
  await waitFor(() => b.election.status().role === 'leader', { ...WAIT, what: 'node-b leads' });
  await waitFor(() => h.controller.status().node.role === 'standby', { ...WAIT, what: 'node-a back in line' });

  const events = historyEvents(h).filter((e) => e.startsWith('switchover.') || e.startsWith('jenkins.'));
  expect(events).toEqual(['jenkins.ready', 'switchover.requested', 'switchover.started', 'jenkins.stopped', 'switchover.left']);
  expect(h.jenkins.status().state).toBe('stopped');
  expect(await lockState(h.home)).toBe('released by node-a (epoch 1)');
  // The leave transaction deleted our breadcrumb with our znode: the successor need not fence us.
  expect(h.zk.stat(`${BASE}/active`)).toBeNull();
  const a = h.election.status();
  expect(a.sequence).toBeGreaterThan(b.election.status().sequence ?? Infinity);
  await b.coord.close();
});

test('finish-shutdown: disarm, stop checking, publish, release the lock, leave, close sync, close the session, in that order', async () => {
  const steps: string[] = [];
  const watchdog = new StubWatchdog('automatic', steps);
  const eligibility = new (class extends EventEmitter {
    result(): EligibilityResult {
      return { eligible: true, reasons: [], checkedAt: '2026-01-01T00:00:00Z', versions: { local: null, leader: null } };
    }
    start(): void {}
    stop(): void {
      steps.push('eligibility.stop');
    }
  })();
  const sync: SyncGate = Object.assign(new EventEmitter(), {
    allowStale: false,
    gateFor: () => ({ state: 'ready' as const, reason: 'restored' }),
    restore: () => undefined,
    publishFinal: (epoch: number) => {
      steps.push(`sync.publishFinal(epoch ${epoch})`);
      return Promise.resolve();
    },
    status: () => ({}) as SyncStatus,
    start: () => undefined,
    close: () => {
      steps.push('sync.close');
      return Promise.resolve();
    },
  });
  const h = harness({ deps: { watchdog, eligibility, sync }, steps });
  h.start();
  await waitFor(() => h.jenkins.launches.length === 1, { ...WAIT, what: 'the launch' });
  const leave = h.election.leave.bind(h.election);
  jest.spyOn(h.election, 'leave').mockImplementation(async (reason, ops) => {
    steps.push(`election.leave(${reason}, ${ops?.length ?? 0} op): lock ${await lockState(h.home)}`);
    return leave(reason, ops);
  });
  const close = h.coord.close.bind(h.coord);
  jest.spyOn(h.coord, 'close').mockImplementation(() => {
    steps.push('coord.close');
    return close();
  });
  steps.length = 0;
  await h.controller.shutdown('test');
  await h.done;
  expect(steps).toEqual([
    'supervisor.stop',
    'watchdog.disarm(Jenkins stopped (shutting down; stopping Jenkins))',
    'supervisor.disarm',
    'watchdog.disarm(shutdown)',
    'eligibility.stop',
    'sync.publishFinal(epoch 1)',
    'election.leave(shutdown, 1 op): lock released by node-a (epoch 1)',
    'sync.close',
    'coord.close',
  ]);
  expect(h.zk.stat(`${BASE}/active`)).toBeNull();
  expect(h.log.events('stopped')).toHaveLength(1);
});
