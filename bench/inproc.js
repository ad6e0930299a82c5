/**
 * Many participants in one process, each with its own ZooKeeper session, built from the project's
 * compiled classes (dist/): ZkCoordinator, Election, ClusterView, EpochStore and the Controller
 * itself. Used by bench/herd.js and bench/clusters.js to run the real algorithm at a scale that
 * real processes would not fit on this machine.
 *
 * Every coordinator is instrumented: calls are counted by operation, the liveness probe
 * (a check-only transaction on '/', the session keep-alive) apart from the rest, and every watch callback that fires
 * is counted before it is delivered. What is NOT real here: Jenkins (a stub supervisor that
 * "starts" at once and is ready on the next tick; no shim, no processes), the API, and the logs
 * (silent).
 */
'use strict';
const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const path = require('node:path');
const { dist, mono } = require('./lib');

const { ZkCoordinator } = dist('coordination/zookeeper');
const { Election } = dist('election/election');
const { ClusterView } = dist('controller/cluster-view');
const { Controller } = dist('controller/controller');
const { EpochStore } = dist('fencing/epoch');
const { loadConfig, resolveLockTimings, resolveTimings } = dist('config/load');
const { silentLogger } = dist('logging/logger');

const CALLS = ['create', 'exists', 'getData', 'getChildren', 'setData', 'remove', 'mkdirp', 'multi'];

/** The project's own config (defaults + the given env), as `jenkins-ha run` would load it. */
function benchConfig(connect, sessionTimeoutMs) {
  return loadConfig({ env: { JHA_ZK_CONNECT: connect, JHA_ZK_SESSION_TIMEOUT_MS: String(sessionTimeoutMs) } });
}

/** Counters shared by the participants of one experiment (or kept per participant). */
class Counter {
  constructor() {
    this.calls = 0; // requests other than the liveness probe
    this.probes = 0; // liveness probes (check-only multi on '/': the session keep-alive)
    this.byOp = {};
    this.watchEvents = 0;
    this.inflight = 0;
    this.lastCallAt = 0;
    /** When set to an array, each counted request's round trip is pushed as [op, ms]. */
    this.latencies = null;
  }
}

/** Wraps a coordinator's calls so that each request and each fired watch is counted. */
function instrument(coord, counter) {
  for (const op of CALLS) {
    const orig = coord[op].bind(coord);
    coord[op] = (...args) => {
      // The liveness probe: a check-only transaction on '/' (an exists('/') before the probe went
      // through the quorum).
      const probe =
        (op === 'multi' && Array.isArray(args[0]) && args[0].length === 1 && args[0][0].op === 'check' && args[0][0].path === '/') ||
        (op === 'exists' && args[0] === '/');
      if (probe) counter.probes += 1;
      else {
        counter.calls += 1;
        counter.byOp[op] = (counter.byOp[op] ?? 0) + 1;
        counter.lastCallAt = mono();
      }
      const w = args[1];
      if ((op === 'exists' || op === 'getData' || op === 'getChildren') && typeof w === 'function') {
        args[1] = (ev) => {
          counter.watchEvents += 1;
          w(ev);
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

function makeCoordinator(cfg, counter) {
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

function member(nodeId) {
  return { id: nodeId, host: 'bench', pid: process.pid, apiUrl: `http://bench/${nodeId}`, jenkinsUrl: 'http://bench/jenkins', version: 'bench', startedAt: new Date().toISOString() };
}

/**
 * One election participant: coordinator + Election, and optionally the ClusterView a controller
 * keeps beside it (members, pause, switchover watches).
 */
function electionParticipant(cfg, { base, nodeId, withView = false }) {
  const counter = new Counter();
  const coord = makeCoordinator(cfg, counter);
  const election = new Election({
    coordinator: coord,
    path: `${base}/election`,
    nodeId,
    host: 'bench',
    member: () => member(nodeId),
    logger: silentLogger,
    now: mono,
  });
  const p = { nodeId, coord, election, counter, electedAt: null, view: null };
  if (withView) p.view = new ClusterView(coord, base, silentLogger);
  election.on('change', (st) => {
    if (st.role === 'leader' && p.electedAt === null) p.electedAt = mono();
  });
  p.start = () => {
    coord.start();
    election.join();
  };
  p.close = () => coord.close();
  return p;
}

/** A supervisor without Jenkins: starts at once, ready on the next tick, stops on the next tick. */
class StubJenkins extends EventEmitter {
  constructor() {
    super();
    this.st = { state: 'stopped', pid: null, ready: false, epoch: null, startedAt: null, readyAt: null, version: null, lastProbeError: null, lastExit: null };
    this.launches = [];
    this.exits = [];
  }
  status() {
    return { ...this.st };
  }
  arm() {}
  disarm() {}
  renewLease() {}
  update(patch) {
    this.st = { ...this.st, ...patch };
    this.emit('change', this.status());
  }
  launch(o) {
    if (this.st.state !== 'stopped') throw new Error(`cannot launch while ${this.st.state}`);
    const at = mono();
    this.launches.push(at);
    this.update({ state: 'starting', pid: process.pid, ready: false, epoch: o.epoch, startedAt: at, readyAt: null });
    setImmediate(() => {
      if (this.st.state === 'starting') this.update({ state: 'running', ready: true, readyAt: mono() });
    });
  }
  stop(_graceMs, reason) {
    if (this.st.state === 'stopped') return Promise.resolve(null);
    this.update({ state: 'stopping' });
    return new Promise((resolve) =>
      setImmediate(() => {
        const exit = { code: 0, signal: null, at: mono(), expected: true, reason };
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
function controllerParticipant(cfg, { cluster, nodeId, home, counter = new Counter() }) {
  const base = `${cfg.zk.root}/${cluster}`;
  const coord = makeCoordinator(cfg, counter);
  const election = new Election({
    coordinator: coord,
    path: `${base}/election`,
    nodeId,
    host: 'bench',
    member: () => member(nodeId),
    logger: silentLogger,
    now: mono,
  });
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
      supervisor: jenkins,
      epochs: new EpochStore(coord, base),
      cluster: new ClusterView(coord, base, silentLogger),
      logger: silentLogger,
      now: mono,
    },
  );
  const p = { cluster, nodeId, coord, election, jenkins, controller, counter, done: null };
  p.start = () => (p.done = controller.start());
  p.shutdown = (reason) => controller.shutdown(reason);
  p.role = () => controller.status().node.role;
  return p;
}

/** Resolves when no counted request is in flight and none started for `quietMs`. */
async function quiescent(counters, quietMs = 100, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const busy = counters.some((c) => c.inflight > 0);
    const last = Math.max(0, ...counters.map((c) => c.lastCallAt));
    if (!busy && mono() - last >= quietMs) return;
    if (Date.now() > end) throw new Error('requests did not settle');
    await new Promise((r) => setTimeout(r, 10));
  }
}

module.exports = { benchConfig, Counter, instrument, electionParticipant, controllerParticipant, StubJenkins, quiescent, path };
