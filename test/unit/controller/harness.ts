/**
 * A whole Controller in one process, for unit tests of the controller itself: the in-memory
 * ZooKeeper (test/helpers/fake-coordinator.ts), the real Election, EpochStore and ClusterView, a
 * stub Jenkins supervisor, a fake clock (monotonic and wall), and a real JENKINS_HOME lock file in
 * a temp dir. Every call the controller makes on the stubs is written to one `steps` log, so a
 * test can assert on their order.
 *
 * The loop itself runs on real timers (it sleeps at most 250 ms between cycles and is woken by
 * every event); the fake clock only says what time the controller sees. Tests await conditions
 * with waitFor, never sleeps.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ClusterView } from '../../../src/controller/cluster-view';
import { Controller, type ControllerDeps, type ControllerOptions, type WatchdogPort } from '../../../src/controller/controller';
import { Election } from '../../../src/election/election';
import type { MemberInfo } from '../../../src/election/member';
import { EpochStore } from '../../../src/fencing/epoch';
import type { ArmResult, WatchdogMode, WatchdogStatus } from '../../../src/fencing/watchdog';
import type { JenkinsExit, JenkinsStatus, LaunchOptions } from '../../../src/jenkins/supervisor';
import { FakeZk, type FakeCoordinator } from '../../helpers/fake-coordinator';
import { MemoryLogger as RecordingLogger } from '../../helpers/memory-logger';
export { MemoryLogger as RecordingLogger, type LogEntry } from '../../helpers/memory-logger';

export const BASE = '/jenkins-ha/unit';
export const FENCE_AFTER_MS = 8_000;

export class FakeClock {
  mono = 1_000_000;
  wall = Date.parse('2026-01-01T00:00:00Z');
  readonly now = (): number => this.mono;
  readonly wallNow = (): number => this.wall;
  advance(ms: number): void {
    this.mono += ms;
    this.wall += ms;
  }
}



/**
 * Stands in for JenkinsSupervisor: launch() makes Jenkins running and ready at once; stop()
 * makes it stop in the next macrotask, with an expected exit, as the real one reports it.
 */
export class StubJenkins extends EventEmitter {
  readonly launches: LaunchOptions[] = [];
  readonly leases: number[] = [];
  private st: JenkinsStatus = { state: 'stopped', pid: null, ready: false, epoch: null, startedAt: null, readyAt: null, version: null, lastProbeError: null, lastExit: null, serviceProof: null };

  constructor(
    private readonly clock: FakeClock,
    private readonly steps: string[],
  ) {
    super();
  }

  status(): JenkinsStatus {
    return { ...this.st };
  }
  arm(): void {}
  disarm(): void {
    this.steps.push('supervisor.disarm');
  }
  launch(o: LaunchOptions): void {
    this.steps.push(`supervisor.launch(epoch ${o.epoch})`);
    this.launches.push(o);
    const at = this.clock.now();
    this.update({ state: 'running', pid: 4242, ready: true, epoch: o.epoch, startedAt: at, readyAt: at });
  }
  renewLease(ms: number): void {
    this.leases.push(ms);
  }
  stop(_graceMs: number, reason: string): Promise<JenkinsExit | null> {
    this.steps.push('supervisor.stop');
    if (this.st.state === 'stopped') return Promise.resolve(null);
    this.update({ state: 'stopping' });
    return new Promise((resolve) =>
      setImmediate(() => {
        const exit: JenkinsExit = { code: 0, signal: null, at: this.clock.now(), expected: true, reason };
        this.update({ state: 'stopped', pid: null, ready: false, epoch: null, lastExit: exit });
        this.emit('exit', exit);
        resolve(exit);
      }),
    );
  }

  private update(patch: Partial<JenkinsStatus>): void {
    this.st = { ...this.st, ...patch };
    this.emit('change', this.status());
  }
}

/** Stands in for HostWatchdog: `armResult` says what arming answers. */
export class StubWatchdog implements WatchdogPort {
  armResult: ArmResult = { ok: true, armed: true };
  private armed = false;

  constructor(
    readonly mode: WatchdogMode,
    private readonly steps: string[],
  ) {}

  arm(): ArmResult {
    this.steps.push(`watchdog.arm: ${this.armResult.ok ? 'ok' : 'failed'}`);
    this.armed = this.armResult.ok;
    return this.armResult;
  }
  keepalive(): void {}
  disarm(reason: string): void {
    this.steps.push(`watchdog.disarm(${reason})`);
    this.armed = false;
  }
  status(): WatchdogStatus {
    return { mode: this.mode, device: '/dev/null', armed: this.armed, timeoutMs: null, errors: 0, lastError: this.armResult.ok ? null : this.armResult.reason };
  }
}

export function memberInfo(id: string): MemberInfo {
  return { id, host: `host-${id}`, pid: process.pid, apiUrl: `http://${id}:8081`, jenkinsUrl: `http://${id}:8080`, version: 'test', startedAt: '2026-01-01T00:00:00Z' };
}

/** A bare election participant (no controller), e.g. the standby of a switchover. */
export function bareElection(zk: FakeZk, clock: FakeClock, id: string): { coord: FakeCoordinator; election: Election } {
  const coord = zk.client(id);
  const election = new Election({ coordinator: coord, path: `${BASE}/election`, nodeId: id, host: `host-${id}`, member: () => memberInfo(id), logger: new RecordingLogger(), now: clock.now });
  return { coord, election };
}

export interface HarnessOptions {
  nodeId?: string;
  zk?: FakeZk;
  clock?: FakeClock;
  /** Build the epoch store (e.g. one that misbehaves); default the real one. */
  epochs?: (coord: FakeCoordinator) => EpochStore;
  /** Extra dependencies (watchdog, eligibility, sync, ...). */
  deps?: Partial<ControllerDeps>;
  /** The steps log to share with the test's own stubs (default a new one). */
  steps?: string[];
  /** An election (and its client) made beforehand, e.g. one that already joined (start-up joins first). */
  bare?: { coord: FakeCoordinator; election: Election };
}

export interface Harness {
  nodeId: string;
  zk: FakeZk;
  clock: FakeClock;
  coord: FakeCoordinator;
  election: Election;
  jenkins: StubJenkins;
  log: RecordingLogger;
  home: string;
  steps: string[];
  controller: Controller;
  /** The loop's promise once started. */
  done: Promise<void> | null;
  start(): void;
  /** Shut the controller down (if started) and remove the temp home. */
  close(): Promise<void>;
}

export function controllerHarness(o: HarnessOptions = {}): Harness {
  const nodeId = o.nodeId ?? 'node-a';
  const clock = o.clock ?? new FakeClock();
  const zk = o.zk ?? new FakeZk(clock.now);
  const steps = o.steps ?? [];
  const log = new RecordingLogger();
  const { coord, election } = o.bare ?? bareElection(zk, clock, nodeId);
  const jenkins = new StubJenkins(clock, steps);
  const home = mkdtempSync(path.join(tmpdir(), 'jha-controller-'));
  const opts: ControllerOptions = {
    clusterName: 'unit',
    nodeId,
    host: `host-${nodeId}`,
    home,
    apiUrl: `http://${nodeId}:8081`,
    jenkinsUrl: 'http://127.0.0.1:1/',
    fenceAfterFor: () => FENCE_AFTER_MS,
    stopTimeoutMs: 1000,
    fenceKillAfterMs: 500,
    maxRestarts: 3,
    restartBackoffMs: 100,
    restartBackoffMaxMs: 1000,
    restartWindowMs: 60_000,
    resignCooldownMs: 5000,
    switchoverTimeoutMs: 60_000,
    requestedSessionTimeoutMs: 10_000,
    fencing: { methods: [], timeoutMs: 1000, retryBackoffMs: 100, retryBackoffMaxMs: 1000 },
    lock: { heartbeatMs: 1000, leaseMs: 5000 },
  };
  const controller = new Controller(opts, {
    coordinator: coord,
    election,
    supervisor: jenkins,
    epochs: o.epochs ? o.epochs(coord) : new EpochStore(coord, BASE),
    cluster: new ClusterView(coord, BASE, log, clock.now),
    logger: log,
    now: clock.now,
    wallNow: clock.wallNow,
    probePort: () => Promise.resolve({ kind: 'free' }),
    ...o.deps,
  });
  const h: Harness = {
    nodeId,
    zk,
    clock,
    coord,
    election,
    jenkins,
    log,
    home,
    steps,
    controller,
    done: null,
    start() {
      h.done = controller.start();
    },
    async close() {
      if (h.done) await controller.shutdown('test over');
      rmSync(home, { recursive: true, force: true });
    },
  };
  return h;
}
