/**
 * No herd: N contenders for ONE cluster, each with its own ZooKeeper session, all in this process
 * (standalone ZooKeeper, scripts/zk.sh). Leader changes by closing the leader's session; per
 * change it counts which participants were woken (watch callbacks that fired), the requests they
 * sent (counted in the harness, and on the server as `mntr` zk_packets_received), and the
 * handover time (close of the old leader's session -> the next participant reports leadership).
 *
 *   node -r ./scripts/dev/register-ts.js bench/herd.ts [--sizes 10,50,100] [--changes 10] [--session-ms 10000]
 *
 * Variants, measured in the same run:
 * - election:    the project's Election + ZkCoordinator (dist/): each contender watches only its
 *                predecessor.
 * - controller:  the same plus the ClusterView every controller keeps beside its election
 *                (members list, pause, switchover: cached by watches) - what a jenkins-ha node
 *                really asks of ZooKeeper.
 * - naive:       "everyone watches the children", written here with node-zookeeper-client: on
 *                every change every contender lists the children again.
 * The old leader leaves for good (N shrinks by one per change); nobody rejoins during a change.
 */
import * as zookeeper from 'node-zookeeper-client';
import type { Config } from '../src/config/load';
import { benchConfig, Counter, electionParticipant, quiescent, type ElectionParticipant } from './inproc';
import { Checks, arg, fmt, machine, mntr, mntrNum, mono, printTable, runMain, startZk, stats, target, waitFor, type ZkCluster } from './lib';

const SIZES = String(arg('sizes', '10,50,100')).split(',').map(Number);
const CHANGES = Number(arg('changes', 10));
const SESSION_MS = Number(arg('session-ms', 10000));

type Variant = 'election' | 'controller' | 'naive';

/** What an experiment needs of a contender, whichever the variant. */
interface Contender {
  nodeId: string;
  counter: Counter;
  /** mono ms this contender first became leader. */
  electedAt: number | null;
  /** The project's Election (not in the naive variant). */
  election?: ElectionParticipant['election'];
  start(): void | Promise<void>;
  close(): Promise<unknown>;
}

/** The naive election: every contender watches the children and re-lists them on every change. */
function naiveParticipant(connect: string, base: string, nodeId: string): Contender {
  const counter = new Counter();
  const client = zookeeper.createClient(connect, { sessionTimeout: SESSION_MS, spinDelay: 100, retries: 0 });
  const dir = `${base}/election`;
  let name: string | null = null;
  const call = <T>(fn: (cb: (err: Error | zookeeper.Exception | null, res: T) => void) => void): Promise<T> => {
    counter.calls += 1;
    counter.inflight += 1;
    counter.lastCallAt = mono();
    return new Promise<T>((resolve, reject) =>
      fn((err, res) => {
        counter.inflight -= 1;
        counter.lastCallAt = mono();
        if (err) reject(err);
        else resolve(res);
      }),
    );
  };
  const p: Contender = {
    nodeId,
    counter,
    electedAt: null,
    start: async () => {
      client.connect();
      await new Promise<void>((r) => client.once('connected', () => r()));
      await call<string>((cb) => client.mkdirp(dir, cb));
      const created = await call<string>((cb) => client.create(`${dir}/n_${nodeId}_`, Buffer.alloc(0), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, cb));
      name = created.slice(dir.length + 1);
      await check();
    },
    close: () =>
      new Promise<void>((r) => {
        client.close();
        client.once('disconnected', () => r());
        setTimeout(r, 1000);
      }),
  };
  const check = async (): Promise<void> => {
    const children = await call<string[]>((cb) =>
      client.getChildren(
        dir,
        () => {
          counter.watchEvents += 1;
          void check().catch(() => undefined);
        },
        cb,
      ),
    );
    const sorted = children.sort((a, b) => Number(a.slice(-10)) - Number(b.slice(-10)));
    if (sorted[0] === name && p.electedAt === null) p.electedAt = mono();
  };
  return p;
}

async function packets(port: number): Promise<number> {
  return mntrNum(await mntr(port), 'zk_packets_received');
}

interface Experiment {
  wakeups: number[];
  events: number[];
  requests: number[];
  server: number[];
  handover: number[];
  watches: number;
  leaders: number;
}

/** Runs CHANGES leader changes among n contenders of one variant; returns per-change samples. */
let runs = 0;
async function experiment(zk: ZkCluster, cfg: Config, variant: Variant, n: number): Promise<Experiment> {
  const base = `/jenkins-ha/herd-${variant}-${n}-${++runs}`;
  const port0 = zk.ports[0];
  if (port0 === undefined) throw new Error('ZooKeeper has no client port');
  const parts: Contender[] = [];
  for (let i = 0; i < n; i++) {
    const id = `p${String(i).padStart(3, '0')}`;
    parts.push(variant === 'naive' ? naiveParticipant(zk.connect, base, id) : electionParticipant(cfg, { base, nodeId: id, withView: variant === 'controller' }));
  }
  // Join one after another so the line is p000, p001, ... (the first is the leader).
  for (const p of parts) {
    await p.start();
    const election = p.election;
    if (election) await waitUntil(() => election.status().role === 'leader' || election.status().role === 'candidate', 20000, `${p.nodeId} in line`);
  }
  await quiescent(parts.map((p) => p.counter), 200);
  const watches = mntrNum(await mntr(port0), 'zk_watch_count');
  const out: Experiment = { wakeups: [], events: [], requests: [], server: [], handover: [], watches, leaders: 0 };
  let alive = [...parts];
  for (let c = 0; c < CHANGES && alive.length > 1; c++) {
    const leader = alive.find((p) => p.electedAt !== null);
    if (!leader) throw new Error(`${variant} n=${n}: no leader before change ${c}`);
    alive = alive.filter((p) => p !== leader);
    const before = alive.map((p) => ({ w: p.counter.watchEvents, c: p.counter.calls, pr: p.counter.probes }));
    const pk0 = await packets(port0);
    const t0 = mono();
    await leader.close();
    const next = await waitUntil(() => alive.find((p) => p.electedAt !== null && p.electedAt >= t0), 20000, 'the next leader');
    await quiescent(alive.map((p) => p.counter), 100);
    const pk1 = await packets(port0);
    const was = (i: number): { w: number; c: number; pr: number } => before[i] ?? { w: 0, c: 0, pr: 0 };
    const woken = alive.filter((p, i) => p.counter.watchEvents > was(i).w).length;
    out.events.push(alive.reduce((s, p, i) => s + p.counter.watchEvents - was(i).w, 0));
    const reqs = alive.reduce((s, p, i) => s + p.counter.calls - was(i).c, 0);
    const probes = alive.reduce((s, p, i) => s + p.counter.probes - was(i).pr, 0);
    out.wakeups.push(woken);
    out.requests.push(reqs);
    // Server side: packets received during the change, less our mntr probe (1), the old leader's
    // closeSession (1) and the liveness probes that fell into the window (counted above).
    out.server.push(pk1 - pk0 - 1 - 1 - probes);
    out.handover.push((next.electedAt ?? NaN) - t0);
    out.leaders += 1;
  }
  await Promise.all(alive.map((p) => p.close()));
  return out;
}

/** Polls a synchronous condition every 2 ms (a leader change takes a few ms here). */
function waitUntil<T>(fn: () => T | undefined | null | false, timeoutMs: number, what: string): Promise<T> {
  return waitFor(fn, { timeoutMs, intervalMs: 2, what });
}

async function main(): Promise<void> {
  const started = mono();
  const m0 = machine();
  const zk = await startZk();
  const cfg = benchConfig(zk.connect, SESSION_MS);
  const results: (Experiment & { variant: Variant; n: number })[] = [];
  try {
    // Warm-up (JIT, sockets), discarded: otherwise the first size measured pays for it.
    await experiment(zk, cfg, 'election', 5);
    await experiment(zk, cfg, 'naive', 5);
    for (const n of SIZES) {
      for (const variant of ['election', 'controller', 'naive'] as const) {
        process.stderr.write(`herd: ${variant} n=${n} x${CHANGES} changes\n`);
        results.push({ variant, n, ...(await experiment(zk, cfg, variant, n)) });
      }
    }
  } finally {
    await zk.stop();
  }

  const checks = new Checks('herd');
  const expectChanges = (n: number): number => Math.min(CHANGES, n - 1);
  for (const r of results) {
    checks.check(r.leaders === expectChanges(r.n) && r.handover.length === r.leaders, `${r.variant} n=${r.n}: ${r.leaders} leader changes of ${expectChanges(r.n)}`);
    checks.check(r.wakeups.every((w) => w >= 1), `${r.variant} n=${r.n}: a watch event was counted in every change`);
    checks.check(r.requests.every((q) => q >= 1), `${r.variant} n=${r.n}: requests were counted in every change`);
  }
  // The naive contrast must show the herd, or the counting is broken.
  for (const r of results.filter((x) => x.variant === 'naive' && x.n >= 10)) checks.check((stats(r.wakeups).median ?? 0) >= r.n / 2, `naive n=${r.n} woke everyone`);

  const rows = results.map((r) => {
    const w = stats(r.wakeups);
    const q = stats(r.requests);
    const s = stats(r.server);
    const h = stats(r.handover);
    const e = stats(r.events);
    return [r.variant, r.n, r.leaders, fmt(w.median, 0) + ' / ' + fmt(w.max, 0), fmt(e.median, 0) + ' / ' + fmt(e.max, 0), fmt(q.median, 0) + ' / ' + fmt(q.max, 0), fmt(s.median, 0) + ' / ' + fmt(s.max, 0), fmt(h.median) + ' / ' + fmt(h.p95) + ' / ' + fmt(h.max), r.watches];
  });
  const mach = machine({ zk_mode: 'standalone', session_timeout_ms: SESSION_MS, load_at_start: { load1: m0.load1, load5: m0.load5 }, duration_s: Math.round((mono() - started) / 100) / 10 });
  printTable(
    `jenkins-ha herd benchmark: leader changes by closing the leader's session; ${CHANGES} changes per size; session ${SESSION_MS} ms; ` +
      `${mach.cpus} cpus, zookeeper ${mach.zookeeper}; load ${m0.load1} -> ${mach.load1}`,
    ['variant', 'N', 'changes', 'participants woken per change (median / max)', 'watch events per change', 'requests per change (harness)', 'requests per change (server)', 'handover ms (median / p95 / max)', 'watches on server'],
    rows,
  );

  const el = results.filter((r) => r.variant === 'election');
  const small = el.find((r) => r.n === Math.min(...SIZES));
  const large = el.find((r) => r.n === Math.max(...SIZES));
  if (!small || !large) throw new Error('no election results');
  const growth = (stats(large.handover).median ?? NaN) / (stats(small.handover).median ?? NaN);
  const self = checks.finish();
  console.log(
    JSON.stringify({
      scenario: 'herd',
      sizes: SIZES,
      changes: CHANGES,
      results: results.map((r) => ({
        variant: r.variant,
        n: r.n,
        changes: r.leaders,
        woken: stats(r.wakeups),
        watch_events: stats(r.events),
        requests: stats(r.requests),
        server_requests: stats(r.server),
        handover_ms: stats(r.handover),
        watches: r.watches,
      })),
      targets: [
        target(`election: participants woken per change at N=${large.n}, max`, stats(large.wakeups).max, '==', 1),
        target(`election: requests per change at N=${large.n}, max (O(1))`, stats(large.requests).max, '<=', 3),
        target(`election: handover median N=${large.n} / N=${small.n}`, growth, '<=', 2),
      ],
      self_checks: self,
      machine: mach,
    }),
  );
}

runMain(main);
