/**
 * Many participants in one process, each with its own ZooKeeper session, built from the project's
 * compiled classes (dist/): ZkCoordinator, Election, ClusterView, EpochStore and the Controller
 * itself. Used by bench/herd.ts and bench/clusters.ts to run the real algorithm at a scale that
 * real processes would not fit on this machine.
 *
 * Every coordinator is instrumented: calls are counted by operation, the liveness probe
 * (a check-only transaction on '/', the session keep-alive) apart from the rest, and every watch callback that fires
 * is counted before it is delivered. What is NOT real here: Jenkins (a stub supervisor that
 * "starts" at once and is ready on the next tick; no shim, no processes), the API, and the logs
 * (silent).
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import type { Config } from '../src/config/load';
import type { ControllerEvent, NodeRole } from '../src/controller/status';
import type { ElectionOptions } from '../src/election/types';
import type { JenkinsExit, JenkinsStatus, JenkinsSupervisor, LaunchOptions } from '../src/jenkins/supervisor';
import { dist, mono, waitFor } from './lib';

const { ZkCoordinator } = dist<typeof import('../src/coordination/zookeeper')>('coordination/zookeeper');
const { Election } = dist<typeof import('../src/election/election')>('election/election');
const { ClusterView } = dist<typeof import('../src/controller/cluster-view')>('controller/cluster-view');
const { Controller } = dist<typeof import('../src/controller/controller')>('controller/controller');
const { EpochStore } = dist<typeof import('../src/fencing/epoch')>('fencing/epoch');
const { loadConfig, resolveIoTimeoutMs, resolveLockTimings, resolveTimings } = dist<typeof import('../src/config/load')>('config/load');
const { HomeIo } = dist<typeof import('../src/fencing/home-io')>('fencing/home-io');
const { silentLogger } = dist<typeof import('../src/logging/logger')>('logging/logger');

type ZkCoordinator = InstanceType<typeof ZkCoordinator>;
type Election = InstanceType<typeof Election>;
type ClusterView = InstanceType<typeof ClusterView>;
type Controller = InstanceType<typeof Controller>;

const CALLS = ['create', 'exists', 'getData', 'getChildren', 'setData', 'remove', 'mkdirp', 'multi'] as const;
type CallName = (typeof CALLS)[number];
const WATCHING: ReadonlySet<CallName> = new Set<CallName>(['exists', 'getData', 'getChildren']);

/** The project's own config (defaults + the given env), as `jenkins-ha run` would load it. */
export function benchConfig(connect: string, sessionTimeoutMs: number): Config {
  // zk.sh's servers tick every 200 ms (the follower refresh lag of the fencing rule, docs/safety.md).
  return loadConfig({
    env: { JHA_ZK_CONNECT: connect, JHA_ZK_SESSION_TIMEOUT_MS: String(sessionTimeoutMs), JHA_ZK_TICK_TIME_MS: '200', JHA_ZK_PING_INTERVAL_MS: String(Math.floor(sessionTimeoutMs / 8)) },
  });
}

/** Counters shared by the participants of one experiment (or kept per participant). */
export class Counter {
  /** Requests other than the liveness probe. */
  calls = 0;
  /** Liveness probes (check-only multi on '/': the session keep-alive). */
  probes = 0;
  byOp: Record<string, number> = {};
  watchEvents = 0;
  inflight = 0;
  lastCallAt = 0;
  /** When set to an array, each counted request's round trip is pushed as [op, ms]. */
  latencies: [string, number][] | null = null;
}

/** The liveness probe: a check-only transaction on '/' (an exists('/') before the probe went through the quorum). */
function isProbe(op: CallName, args: unknown[]): boolean {
  if (op === 'exists') return args[0] === '/';
  if (op !== 'multi' || !Array.isArray(args[0]) || args[0].length !== 1) return false;
  const first: unknown = args[0][0];
  return typeof first === 'object' && first !== null && (first as { op?: unknown }).op === 'check' && (first as { path?: unknown }).path === '/';
}

/** Wraps a coordinator's calls so that each request and each fired watch is counted. */
export function instrument(coord: ZkCoordinator, counter: Counter): ZkCoordinator {
  const calls = coord as unknown as Record<CallName, (...args: unknown[]) => Promise<unknown>>;
  for (const op of CALLS) {
    const orig = calls[op].bind(coord);
    calls[op] = (...args: unknown[]): Promise<unknown> => {
      const probe = isProbe(op, args);
      if (probe) counter.probes += 1;
      else {
        counter.calls += 1;
        counter.byOp[op] = (counter.byOp[op] ?? 0) + 1;
        counter.lastCallAt = mono();
      }
      const w = args[1];
      if (WATCHING.has(op) && typeof w === 'function') {
        args[1] = (ev: unknown): void => {
          counter.watchEvents += 1;
          (w as (ev: unknown) => void)(ev);
        };
      }
      if (probe) return orig(...args);
      counter.inflight += 1;
      const t0 = mono();
      return orig(...args).finally(() => {
        counter.inflight -= 1;
        counter.lastCallAt = mono();
        if (counter.latencies) counter.latencies.push([op, counter.lastCallAt - t0]);
      });
    };
  }
  return coord;
}

function makeCoordinator(cfg: Config, counter: Counter): ZkCoordinator {
  const coord = new ZkCoordinator({
    connect: cfg.zk.connect,
    sessionTimeoutMs: cfg.zk.sessionTimeoutMs,
    spinDelayMs: cfg.zk.spinDelayMs,
    timings: (t) => {
      const r = resolveTimings(cfg, t);
      return { pingIntervalMs: r.pingIntervalMs, requestTimeoutMs: r.requestTimeoutMs };
    },
    logger: silentLogger,
  });
  return instrument(coord, counter);
}

function member(nodeId: string): ReturnType<ElectionOptions['member']> {
  return { id: nodeId, host: 'bench', pid: process.pid, apiUrl: `http://bench/${nodeId}`, jenkinsUrl: 'http://bench/jenkins', version: 'bench', startedAt: new Date().toISOString() };
}

function makeElection(coord: ZkCoordinator, base: string, nodeId: string): Election {
  return new Election({
    coordinator: coord,
    path: `${base}/election`,
    nodeId,
    host: 'bench',
    member: () => member(nodeId),
    logger: silentLogger,
    now: mono,
  });
}

/**
 * One election participant: coordinator + Election, and optionally the ClusterView a controller
 * keeps beside it (members, pause, switchover watches).
 */
export interface ElectionParticipant {
  nodeId: string;
  coord: ZkCoordinator;
  election: Election;
  counter: Counter;
  /** mono ms this participant first became leader. */
  electedAt: number | null;
  view: ClusterView | null;
  start(): void;
  close(): Promise<void>;
}

export function electionParticipant(cfg: Config, o: { base: string; nodeId: string; withView?: boolean }): ElectionParticipant {
  const counter = new Counter();
  const coord = makeCoordinator(cfg, counter);
  const election = makeElection(coord, o.base, o.nodeId);
  const p: ElectionParticipant = {
    nodeId: o.nodeId,
    coord,
    election,
    counter,
    electedAt: null,
    view: o.withView === true ? new ClusterView(coord, o.base, silentLogger) : null,
    start: () => {
      coord.start();
      election.join();
    },
    close: () => coord.close(),
  };
  election.on('change', (st: { role: string }) => {
    if (st.role === 'leader' && p.electedAt === null) p.electedAt = mono();
  });
  return p;
}

/** What the Controller uses of its supervisor; the stub implements exactly that. */
type SupervisorPort = Pick<JenkinsSupervisor, 'status' | 'arm' | 'disarm' | 'launch' | 'renewLease' | 'stop'>;

/** A supervisor without Jenkins: starts at once, ready on the next tick, stops on the next tick. */
export class StubJenkins extends EventEmitter implements SupervisorPort {
  private st: JenkinsStatus = { state: 'stopped', pid: null, ready: false, epoch: null, startedAt: null, readyAt: null, version: null, lastProbeError: null, lastExit: null };
  /** mono ms of each launch. */
  readonly launches: number[] = [];
  /** mono ms of each exit. */
  readonly exits: number[] = [];

  status(): JenkinsStatus {
    return { ...this.st };
  }
  arm(): void {}
  disarm(): void {}
  renewLease(): void {}

  private update(patch: Partial<JenkinsStatus>): void {
    this.st = { ...this.st, ...patch };
    this.emit('change', this.status());
  }

  launch(o: LaunchOptions): void {
    if (this.st.state !== 'stopped') throw new Error(`cannot launch while ${this.st.state}`);
    const at = mono();
    this.launches.push(at);
    this.update({ state: 'starting', pid: process.pid, ready: false, epoch: o.epoch, startedAt: at, readyAt: null });
    setImmediate(() => {
      if (this.st.state === 'starting') this.update({ state: 'running', ready: true, readyAt: mono() });
    });
  }

  stop(_graceMs: number, reason: string): Promise<JenkinsExit | null> {
    if (this.st.state === 'stopped') return Promise.resolve(null);
    this.update({ state: 'stopping' });
    return new Promise((resolve) =>
      setImmediate(() => {
        const exit: JenkinsExit = { code: 0, signal: null, at: mono(), expected: true, reason };
        this.exits.push(exit.at);
        this.update({ state: 'stopped', pid: null, ready: false, lastExit: exit });
        this.emit('exit', exit);
        resolve(exit);
      }),
    );
  }
}

/**
 * A whole controller in-process: the real Controller loop with its coordinator, Election,
 * ClusterView, EpochStore and JENKINS_HOME lock file (in `home`), and a StubJenkins.
 */
export interface ControllerParticipant {
  cluster: string;
  nodeId: string;
  coord: ZkCoordinator;
  election: Election;
  jenkins: StubJenkins;
  controller: Controller;
  counter: Counter;
  /** The controller loop's promise, once started. */
  done: Promise<void> | null;
  start(): void;
  shutdown(reason: string): Promise<void>;
  role(): NodeRole;
  onEvent(listener: (e: ControllerEvent) => void): void;
}

/**
 * Bounded home I/O for in-process controllers: each real node has a helper process of its own;
 * here one helper serves HOME_IO_SHARE controllers (one per controller would be hundreds of node
 * processes, one for all of them a queue that misses its deadlines at start-up).
 */
const HOME_IO_SHARE = 10;
const homeIos: InstanceType<typeof HomeIo>[] = [];
let homeIoUsers = 0;
function homeIoFor(cfg: Config): InstanceType<typeof HomeIo> {
  const i = Math.floor(homeIoUsers++ / HOME_IO_SHARE);
  homeIos[i] ??= new HomeIo({ timeoutMs: resolveIoTimeoutMs(cfg), logger: silentLogger });
  return homeIos[i];
}

export function controllerParticipant(cfg: Config, o: { cluster: string; nodeId: string; home: string; counter?: Counter }): ControllerParticipant {
  const { cluster, nodeId, home } = o;
  const counter = o.counter ?? new Counter();
  const base = `${cfg.zk.root}/${cluster}`;
  const coord = makeCoordinator(cfg, counter);
  const election = makeElection(coord, base, nodeId);
  const jenkins = new StubJenkins();
  fs.mkdirSync(home, { recursive: true });
  const controller = new Controller(
    {
      clusterName: cluster,
      nodeId,
      host: 'bench',
      home,
      apiUrl: `http://bench/${nodeId}`,
      jenkinsUrl: 'http://bench/jenkins',
      fenceAfterFor: (t) => resolveTimings(cfg, t).fenceAfterMs,
      stopTimeoutMs: cfg.jenkins.stopTimeoutMs,
      fenceKillAfterMs: cfg.jenkins.fenceKillAfterMs,
      maxRestarts: cfg.jenkins.maxRestarts,
      restartBackoffMs: cfg.jenkins.restartBackoffMs,
      restartBackoffMaxMs: cfg.jenkins.restartBackoffMaxMs,
      restartWindowMs: cfg.jenkins.restartWindowMs,
      resignCooldownMs: cfg.election.resignCooldownMs,
      switchoverTimeoutMs: cfg.election.switchoverTimeoutMs,
      requestedSessionTimeoutMs: cfg.zk.sessionTimeoutMs,
      fencing: {
        methods: cfg.fencing.methods,
        timeoutMs: cfg.fencing.timeoutMs,
        retryBackoffMs: cfg.fencing.retryBackoffMs,
        retryBackoffMaxMs: cfg.fencing.retryBackoffMaxMs,
      },
      lock: resolveLockTimings(cfg),
    },
    {
      // The stub Jenkins listens nowhere: the launch guard's port probe would look up 'bench'.
      probePort: async () => ({ kind: 'free' }),
      coordinator: coord,
      election,
      // The class has private state a stub cannot share; the stub implements every method the
      // controller calls (SupervisorPort), which the compiler checks above.
      supervisor: jenkins as unknown as JenkinsSupervisor,
      epochs: new EpochStore(coord, base),
      cluster: new ClusterView(coord, base, silentLogger),
      logger: silentLogger,
      now: mono,
      homeIo: homeIoFor(cfg),
    },
  );
  const p: ControllerParticipant = {
    cluster,
    nodeId,
    coord,
    election,
    jenkins,
    controller,
    counter,
    done: null,
    start: () => {
      p.done = controller.start();
    },
    shutdown: (reason) => controller.shutdown(reason),
    role: () => controller.status().node.role,
    onEvent: (listener) => controller.onEvent(listener),
  };
  return p;
}

/** Resolves when no counted request is in flight and none started for `quietMs`. */
export async function quiescent(counters: readonly Counter[], quietMs = 100, timeoutMs = 30000): Promise<void> {
  await waitFor(
    () => !counters.some((c) => c.inflight > 0) && mono() - Math.max(0, ...counters.map((c) => c.lastCallAt)) >= quietMs,
    { timeoutMs, intervalMs: 10, what: 'requests to settle' },
  );
}
