/**
 * Many clusters on one ensemble: C clusters x 2 controllers (2C ZooKeeper sessions) on one
 * 3-node ZooKeeper ensemble (scripts/zk.sh), all in this process. Each controller is the real
 * Controller loop (dist/) with its own ZkCoordinator, Election, ClusterView, EpochStore and a
 * JENKINS_HOME lock file per cluster; Jenkins is a stub that starts at once (bench/inproc.ts).
 * Not included: Jenkins processes, the watchdog shim, the API, logging.
 *
 *   node -r ./scripts/dev/register-ts.js bench/clusters.ts [--clusters 100] [--storm 10] [--single-rounds 10] [--storm-rounds 3]
 *                          [--idle-s 30] [--session-ms 10000]
 *
 * Measures
 * - idle load: requests per second that reach ZooKeeper while nothing happens, per controller:
 *   all packets (server `mntr` zk_packets_received summed over the 3 servers), of which liveness
 *   probes (a check-only transaction on '/' every T/6, committed by the quorum: they are the session keep-alive; the client library sends no
 *   pings of its own while they flow), and everything beyond them (target <= 1/s per node).
 * - handover gap (graceful: the leader's controller shuts down): old Jenkins stopped -> the
 *   standby's Jenkins launched, for one cluster at a time, then for `--storm` clusters at once;
 *   target: storm p95 within 2x the single-cluster p95 of the same run.
 * - writes per handover (ZooKeeper proposals on the leader server) and the znode/watch counts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ControllerEvent } from '../src/controller/status';
import { benchConfig, Counter, controllerParticipant, quiescent, type ControllerParticipant } from './inproc';
import { Checks, arg, fmt, machine, mntr, mntrNum, mono, printTable, runMain, sleep, startZk, stats, target, waitFor, type Stats, type ZkCluster } from './lib';

const CLUSTERS = Number(arg('clusters', 100));
const STORM = Math.min(Number(arg('storm', 10)), CLUSTERS);
const SINGLE_ROUNDS = Number(arg('single-rounds', 10));
const STORM_ROUNDS = Number(arg('storm-rounds', 3));
const IDLE_S = Number(arg('idle-s', 30));
const SESSION_MS = Number(arg('session-ms', 10000));

/** Polls a synchronous condition every 5 ms. */
function waitUntil<T>(fn: () => T | undefined | null | false, timeoutMs: number, what: string): Promise<T> {
  return waitFor(fn, { timeoutMs, intervalMs: 5, what });
}

type TakeoverPhases = Extract<ControllerEvent, { type: 'takeover_phases' }>;
type NodeId = 'a' | 'b';
/** Requests by operation. */
type Ops = Record<string, number>;
/** One handover's gap and the standby's share of it. */
interface Split {
  gap: number;
  decision: number;
  launch: number;
}

/** A controller of the experiment, with the takeover phases it reported. */
type Node = ControllerParticipant & { phases: TakeoverPhases[] };

interface Cluster {
  name: string;
  home: string;
  nodes: Partial<Record<NodeId, Node>>;
  leader: NodeId;
  standby: NodeId;
}

/** One node of a cluster (every cluster has both once started). */
function nodeOf(c: Cluster, id: NodeId): Node {
  const n = c.nodes[id];
  if (!n) throw new Error(`${c.name}: node ${id} not started`);
  return n;
}

async function serverTotals(zk: ZkCluster): Promise<{
  packets: number;
  proposals: number;
  watches: number;
  znodes: number;
  ephemerals: number;
  connections: number;
  sessions: number;
  mntrReads: number;
}> {
  const all = await Promise.all(zk.ports.map((p) => mntr(p)));
  const num = (m: Record<string, number | string>, k: string): number => {
    const v = mntrNum(m, k);
    return Number.isNaN(v) ? 0 : v;
  };
  const sum = (k: string): number => all.reduce((s, m) => s + num(m, k), 0);
  const leader = all.find((m) => m.zk_server_state === 'leader');
  return {
    packets: sum('zk_packets_received'),
    // Every write is one proposal of the ensemble's leader server.
    proposals: leader ? mntrNum(leader, 'zk_proposal_count') : NaN,
    watches: sum('zk_watch_count'),
    znodes: Math.max(...all.map((m) => num(m, 'zk_znode_count'))),
    ephemerals: Math.max(...all.map((m) => num(m, 'zk_ephemerals_count'))),
    connections: sum('zk_num_alive_connections'),
    sessions: Math.max(...all.map((m) => num(m, 'zk_global_sessions'))),
    mntrReads: zk.ports.length,
  };
}

async function main(): Promise<void> {
  const started = mono();
  const m0 = machine();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-bench-clusters-'));
  const zk = await startZk({ ensemble: true });
  const cfg = benchConfig(zk.connect, SESSION_MS);
  const counters: Counter[] = [];
  const clusters: Cluster[] = [];
  const make = (c: Cluster, nodeId: NodeId): Node => {
    const counter = new Counter();
    counters.push(counter);
    const p: Node = Object.assign(controllerParticipant(cfg, { cluster: c.name, nodeId, home: c.home, counter }), { phases: [] as TakeoverPhases[] });
    p.onEvent((e) => {
      if (e.type === 'takeover_phases') p.phases.push(e);
    });
    p.start();
    return p;
  };
  const running = (p: Node): boolean => p.role() === 'leader' && p.jenkins.status().state === 'running';
  try {
    // Bring up the leaders, then the standbys, in batches (200 sessions connecting at once is a
    // start-up storm of its own, not what this measures).
    for (let i = 0; i < CLUSTERS; i++) clusters.push({ name: `c${String(i).padStart(3, '0')}`, home: path.join(tmp, 'homes', String(i)), nodes: {}, leader: 'a', standby: 'b' });
    process.stderr.write(`clusters: starting ${CLUSTERS} x 2 controllers on a 3-node ensemble\n`);
    for (const id of ['a', 'b'] as const) {
      for (let i = 0; i < CLUSTERS; i += 20) {
        const batch = clusters.slice(i, i + 20);
        for (const c of batch) c.nodes[id] = make(c, id);
        await waitUntil(() => batch.every((c) => (id === 'a' ? running(nodeOf(c, 'a')) : nodeOf(c, 'b').role() === 'standby')), 60000, `batch ${i} ${id}`);
      }
    }
    for (const c of clusters) {
      c.leader = 'a';
      c.standby = 'b';
    }
    await quiescent(counters, 500);

    // Idle: nothing happens for IDLE_S seconds; what still reaches ZooKeeper?
    process.stderr.write(`clusters: idle for ${IDLE_S} s\n`);
    const idleStart = { calls: sumOf(counters, 'calls'), probes: sumOf(counters, 'probes'), server: await serverTotals(zk), t: mono() };
    await sleep(IDLE_S * 1000);
    const idleEnd = { calls: sumOf(counters, 'calls'), probes: sumOf(counters, 'probes'), server: await serverTotals(zk), t: mono() };
    const idleS = (idleEnd.t - idleStart.t) / 1000;
    const nodes = 2 * CLUSTERS;
    const pkts = idleEnd.server.packets - idleStart.server.packets - idleEnd.server.mntrReads;
    const probes = idleEnd.probes - idleStart.probes;
    const idle = {
      seconds: idleS,
      packets_per_s_per_node: pkts / idleS / nodes,
      probes_per_s_per_node: probes / idleS / nodes,
      beyond_probes_per_s_per_node: (pkts - probes) / idleS / nodes,
      harness_other_calls_per_s_per_node: (idleEnd.calls - idleStart.calls) / idleS / nodes,
      total_packets_per_s: pkts / idleS,
      writes: idleEnd.server.proposals - idleStart.server.proposals,
      watches: idleEnd.server.watches,
      znodes: idleEnd.server.znodes,
      ephemerals: idleEnd.server.ephemerals,
      connections: idleEnd.server.connections,
      sessions: idleEnd.server.sessions,
    };

    // Graceful handovers: the leader's controller shuts down; the gap is old Jenkins stopped ->
    // the standby's Jenkins launched. The old node comes back as a standby with a new session.
    const handover = async (c: Cluster): Promise<number> => {
      const old = nodeOf(c, c.leader);
      const nw = nodeOf(c, c.standby);
      const launches = nw.jenkins.launches.length;
      await old.shutdown('bench: handover');
      await waitUntil(() => nw.jenkins.launches.length > launches && running(nw), 30000, `${c.name} new leader`);
      const gap = (nw.jenkins.launches[launches] ?? NaN) - (old.jenkins.exits[old.jenkins.exits.length - 1] ?? NaN);
      const ph = await waitUntil(() => nw.phases.pop(), 10000, `${c.name} takeover phases`);
      split.push({ gap, decision: ph.decisionMs, launch: ph.launchMs });
      [c.leader, c.standby] = [c.standby, c.leader];
      return gap;
    };
    const rejoin = async (cs: Cluster[]): Promise<void> => {
      for (const c of cs) c.nodes[c.standby] = make(c, c.standby);
      await waitUntil(() => cs.every((c) => nodeOf(c, c.standby).role() === 'standby'), 60000, 'old leaders back as standbys');
    };
    let split: Split[] = [];
    const byOp = (a: Ops, b: Ops): Ops => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)] as const).filter(([, v]) => v > 0));
    const opsNow = (): Ops =>
      counters.reduce<Ops>((o, c) => {
        for (const [k, v] of Object.entries(c.byOp)) o[k] = (o[k] ?? 0) + v;
        return o;
      }, {});
    const single: number[] = [];
    const singleOps: Ops[] = [];
    // Round trips of ZooKeeper requests (reads vs writes) during the handovers.
    const lat = { single: [] as [string, number][], storm: [] as [string, number][] };
    const recordLatency = (into: [string, number][] | null): void => counters.forEach((c) => (c.latencies = into));
    const writes = { single: [] as number[], storm: [] as { writes: number; ms: number }[] };
    process.stderr.write(`clusters: ${SINGLE_ROUNDS} single-cluster handovers `);
    for (let r = 0; r < SINGLE_ROUNDS; r++) {
      const c = clusters[r % CLUSTERS];
      if (!c) throw new Error(`no cluster ${r % CLUSTERS}`);
      await quiescent(counters, 200);
      const w0 = (await serverTotals(zk)).proposals;
      const o0 = opsNow();
      recordLatency(lat.single);
      single.push(await handover(c));
      recordLatency(null);
      await quiescent(counters, 200);
      writes.single.push((await serverTotals(zk)).proposals - w0);
      singleOps.push(byOp(o0, opsNow()));
      await rejoin([c]);
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    const singleSplit = split;
    split = [];
    const storm: number[] = [];
    const lags: number[] = [];
    process.stderr.write(`clusters: ${STORM_ROUNDS} storms of ${STORM} clusters at once `);
    for (let r = 0; r < STORM_ROUNDS; r++) {
      const cs = Array.from({ length: STORM }, (_, i) => clusters[(r * STORM + i + SINGLE_ROUNDS) % CLUSTERS]).filter((c): c is Cluster => c !== undefined);
      await quiescent(counters, 200);
      const w0 = (await serverTotals(zk)).proposals;
      const t0 = mono();
      const stopLag = lagSampler(lags);
      recordLatency(lat.storm);
      storm.push(...(await Promise.all(cs.map((c) => handover(c)))));
      recordLatency(null);
      stopLag();
      const stormMs = mono() - t0;
      await quiescent(counters, 200);
      writes.storm.push({ writes: (await serverTotals(zk)).proposals - w0, ms: stormMs });
      await rejoin(cs);
      process.stderr.write('.');
    }
    process.stderr.write('\n');

    const leadersNow = clusters.filter((c) => running(nodeOf(c, c.leader))).length;
    const twoRunning = clusters.filter((c) => running(nodeOf(c, 'a')) && running(nodeOf(c, 'b'))).length;
    await Promise.all(clusters.flatMap((c) => Object.values(c.nodes).map((p) => p.shutdown('bench done'))));

    const stormSplit = split;
    const splitOf = (xs: Split[]): { before_watch: Stats; decision: Stats; launch: Stats } => ({
      before_watch: stats(xs.map((x) => x.gap - x.decision - x.launch)),
      decision: stats(xs.map((x) => x.decision)),
      launch: stats(xs.map((x) => x.launch)),
    });
    const ss = splitOf(singleSplit);
    const sts = splitOf(stormSplit);
    const loopP99 = stats(lags).p95;
    const WRITES = new Set(['create', 'setData', 'remove', 'multi']);
    const latOf = (xs: [string, number][], write: boolean): Stats => stats(xs.filter(([op]) => WRITES.has(op) === write).map(([, ms]) => ms));
    const zkLat = {
      single: { reads: latOf(lat.single, false), writes: latOf(lat.single, true) },
      storm: { reads: latOf(lat.storm, false), writes: latOf(lat.storm, true) },
    };
    const sg = stats(single);
    const st = stats(storm);
    const ws = stats(writes.single);
    const wst = stats(writes.storm.map((x) => x.writes / STORM));
    const mach = machine({ zk_mode: 'ensemble-3', session_timeout_ms: SESSION_MS, load_at_start: { load1: m0.load1, load5: m0.load5 }, duration_s: Math.round((mono() - started) / 100) / 10 });

    const checks = new Checks('clusters');
    checks.check(single.length === SINGLE_ROUNDS && single.every((g) => Number.isFinite(g) && g >= 0), `single handovers ${single.length} of ${SINGLE_ROUNDS}`);
    checks.check(storm.length === STORM * STORM_ROUNDS && storm.every((g) => Number.isFinite(g) && g >= 0), `storm handovers ${storm.length} of ${STORM * STORM_ROUNDS}`);
    checks.check(probes > 0 && pkts > 0, 'idle: probes and server packets were counted');
    checks.check(idle.sessions >= nodes && idle.ephemerals >= nodes, `ZooKeeper saw ${idle.sessions} sessions and ${idle.ephemerals} ephemerals for ${nodes} controllers`);
    checks.check(writes.single.every((w) => w > 0), 'handovers wrote to ZooKeeper (proposals counted)');
    checks.check(leadersNow === CLUSTERS && twoRunning === 0, `every cluster ends with one running leader (${leadersNow}/${CLUSTERS}, ${twoRunning} with two)`);

    printTable(
      `jenkins-ha many clusters: ${CLUSTERS} clusters x 2 controllers (${nodes} sessions) on a 3-node ensemble, in one process; session ${SESSION_MS} ms; ` +
        `${mach.cpus} cpus, zookeeper ${mach.zookeeper}; load ${m0.load1} -> ${mach.load1}`,
      ['measure', 'value'],
      [
        [`idle: packets/s per controller, all (over ${fmt(idleS, 0)} s)`, fmt(idle.packets_per_s_per_node, 2)],
        ['idle: of which liveness probes (session keep-alive), /s per controller', fmt(idle.probes_per_s_per_node, 2)],
        ['idle: beyond the probes, /s per controller (server) / (harness)', `${fmt(idle.beyond_probes_per_s_per_node, 3)} / ${fmt(idle.harness_other_calls_per_s_per_node, 3)}`],
        ['idle: all packets/s on the ensemble', fmt(idle.total_packets_per_s, 0)],
        ['idle: writes (proposals) during the idle window', idle.writes],
        ['sessions / ephemerals / znodes / watches', `${idle.sessions} / ${idle.ephemerals} / ${idle.znodes} / ${idle.watches}`],
        [`handover gap, one cluster at a time, ms (median / p95 / max, n=${sg.n})`, `${fmt(sg.median)} / ${fmt(sg.p95)} / ${fmt(sg.max)}`],
        [`handover gap, ${STORM} clusters at once, ms (median / p95 / max, n=${st.n})`, `${fmt(st.median)} / ${fmt(st.p95)} / ${fmt(st.max)}`],
        ['ZooKeeper writes per handover (single / in a storm), median', `${fmt(ws.median, 1)} / ${fmt(wst.median, 1)}`],
        ['split of the gap, median ms (single / storm): old stopped -> standby woken (leave + notify)', `${fmt(ss.before_watch.median)} / ${fmt(sts.before_watch.median)}`],
        ['split: decision (woken -> epoch taken)', `${fmt(ss.decision.median)} / ${fmt(sts.decision.median)}`],
        ['split: launch (epoch -> Jenkins launched, lock file written)', `${fmt(ss.launch.median)} / ${fmt(sts.launch.median)}`],
        ['ZooKeeper write round trip, median / p95 ms (single / storm)', `${fmt(zkLat.single.writes.median)} / ${fmt(zkLat.single.writes.p95)} ; ${fmt(zkLat.storm.writes.median)} / ${fmt(zkLat.storm.writes.p95)}`],
        ['ZooKeeper read round trip, median / p95 ms (single / storm)', `${fmt(zkLat.single.reads.median)} / ${fmt(zkLat.single.reads.p95)} ; ${fmt(zkLat.storm.reads.median)} / ${fmt(zkLat.storm.reads.p95)}`],
        ['this process: event-loop delay during the storms, p95 / max ms', `${fmt(loopP99)} / ${fmt(stats(lags).max)}`],
        [`requests of one handover by operation (sum over ${singleOps.length})`, Object.entries(sumOps(singleOps)).map(([k, v]) => `${k} ${v}`).join(', ')],
      ],
    );
    const self = checks.finish();
    console.log(
      JSON.stringify({
        scenario: 'clusters',
        clusters: CLUSTERS,
        sessions: nodes,
        storm: STORM,
        idle,
        single_gap_ms: sg,
        storm_gap_ms: st,
        writes_per_handover: { single: ws, storm: wst },
        split_single: ss,
        split_storm: sts,
        storm_event_loop_delay_ms: stats(lags),
        zk_round_trip_ms: zkLat,
        requests_by_op_single_handovers: sumOps(singleOps),
        storms: writes.storm,
        targets: [
          target('idle requests beyond session keep-alive, per node', idle.beyond_probes_per_s_per_node, '<=', 1, '/s'),
          target(`storm gap p95 / single-cluster gap p95 (${STORM} at once)`, (st.p95 ?? NaN) / (sg.p95 ?? NaN), '<=', 2),
        ],
        self_checks: self,
        machine: mach,
      }),
    );
  } finally {
    await zk.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Samples this process' event-loop delay (lateness of a 5 ms timer) into `out` until stopped. */
function lagSampler(out: number[]): () => void {
  let last = mono();
  const t = setInterval(() => {
    const now = mono();
    out.push(Math.max(0, now - last - 5));
    last = now;
  }, 5);
  return () => clearInterval(t);
}

function sumOps(list: readonly Ops[]): Ops {
  const out: Ops = {};
  for (const o of list) for (const [k, v] of Object.entries(o)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function sumOf(counters: readonly Counter[], k: 'calls' | 'probes'): number {
  return counters.reduce((s, c) => s + c[k], 0);
}

// Exits when done: the in-process controllers' timers and sockets would keep it alive.
runMain(main, true);
