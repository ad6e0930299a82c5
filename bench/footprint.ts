/**
 * Footprint: what an idle controller costs. Real ZooKeeper (standalone, scripts/zk.sh), two real
 * controllers (dist/cli.js run) with the Jenkins stand-in, the default session timeout (10 s).
 *
 *   node -r ./scripts/dev/register-ts.js bench/footprint.ts [--idle-s 60] [--session-ms 10000] [--startups 5] [--settle-ms 3000]
 *
 * Session timeout and Jenkins health interval are the production defaults (10 s, 5 s).
 * - idle RSS and CPU of the leader's and the standby's controller process (not Jenkins, not the
 *   shim) over --idle-s seconds: RSS sampled every second (/proc/<pid>/status VmRSS), CPU from
 *   utime+stime (/proc/<pid>/stat) at both ends of the window.
 *   Targets: <= 80 MB and <= 1% of a core each. Also the main thread's wake-ups per second
 *   (voluntary context switches, /proc/<pid>/task/<pid>/status): what idle CPU mostly costs
 *   (docs/benchmarks.md, "idle CPU, broken down").
 * - start-up: the standby is restarted --startups times; process spawned -> its election znode
 *   created (`election.joined`), and -> standby role reported by its API.
 * - the reference election (kazoo's Election, bench/reference.ts) runs beside it on the same
 *   ZooKeeper with its own home and stand-in: the same idle window (RSS and PSS of the whole tree
 *   a controller starts, Jenkins excluded; CPU) and the same standby restarts, alternating, so
 *   every row carries jenkins-ha / reference.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StatusSnapshot } from '../src/controller/status';
import { CLI, Checks, ControllerProcess, STANDIN, arg, clkTck, fmt, freePort, machine, mono, pairEnv, printTable, procCpuTicks, runMain, sleep, startZk, stats, target, waitFor, type Stats } from './lib';
import { ReferenceProcess, ensureKazoo, ratio, treeMemory } from './reference';

type NodeId = 'a' | 'b';

/** Voluntary context switches of a process's main thread: how often it went to sleep, i.e. woke up. */
function wakeups(pid: number): number {
  const m = /voluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

const IDLE_S = Number(arg('idle-s', 60));
const SESSION_MS = Number(arg('session-ms', 10000));
const STARTUPS = Number(arg('startups', 5));
const SETTLE_MS = Number(arg('settle-ms', 3000));
// treeRssMb: issue 15's target for everything a controller starts except Jenkins.
const TARGET = { rssMb: 80, cpuPct: 1, joinedMs: 300, treeRssMb: 50 };

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js missing: run `npm run build` first');
  const started = mono();
  const m0 = machine();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-bench-footprint-'));
  const home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  const zk = await startZk();
  const jenkinsPort = await freePort();
  const apiPorts: Record<NodeId, number> = { a: await freePort(), b: await freePort() };
  const env = pairEnv({ cluster: 'bench-footprint', zkConnect: zk.connect, sessionMs: SESSION_MS, home, jenkinsPort });
  delete env.JHA_JENKINS_HEALTH_INTERVAL_MS; // production default (5 s), not the tests' 1 s
  const nodes = {} as Record<NodeId, ControllerProcess>;
  const startNode = (id: NodeId): ControllerProcess => (nodes[id] = new ControllerProcess(id, { ...env, JHA_API_PORT: String(apiPorts[id]) }));
  const status = (id: NodeId): Promise<StatusSnapshot | null> => nodes[id].status(apiPorts[id]);
  const tck = clkTck();
  const kazoo = ensureKazoo();
  const refHome = path.join(tmp, 'home-ref');
  fs.mkdirSync(refHome);
  const refPort = await freePort();
  const refs = {} as Record<NodeId, ReferenceProcess>;
  const startRef = (id: NodeId): ReferenceProcess =>
    (refs[id] = new ReferenceProcess(id, { zkConnect: zk.connect, electionPath: '/reference/footprint/election', sessionMs: SESSION_MS, home: refHome, jenkinsCommand: `exec node ${STANDIN} --httpPort=${refPort}` }));
  try {
    startRef('a');
    await waitFor(() => refs.a.find('jenkins.started'), { timeoutMs: 30000, what: 'reference a leading' });
    startRef('b');
    await waitFor(() => refs.b.find('joined'), { timeoutMs: 30000, what: 'reference b joined' });
    startNode('a');
    await waitFor(async () => (await status('a'))?.jenkins.ready, { timeoutMs: 30000, what: 'a leading with Jenkins ready' });
    startNode('b');
    await waitFor(async () => (await status('b'))?.node.role === 'standby', { timeoutMs: 30000, what: 'b standby' });
    await sleep(SETTLE_MS); // let start-up work (module loading, JIT, first probes) finish

    process.stderr.write(`footprint: idle leader and standby for ${IDLE_S} s\n`);
    const rss = { a: [] as number[], b: [] as number[] };
    const tree = { a: { rss: [] as number[], pss: [] as number[] }, b: { rss: [] as number[], pss: [] as number[] } };
    const refTree = { a: { rss: [] as number[], pss: [] as number[] }, b: { rss: [] as number[], pss: [] as number[] } };
    const t0 = mono();
    const ticks0 = { a: nodes.a.cpuTicks(), b: nodes.b.cpuTicks() };
    const wake0 = { a: wakeups(nodes.a.pid), b: wakeups(nodes.b.pid) };
    const refTicks0 = { a: procCpuTicks(refs.a.pid), b: procCpuTicks(refs.b.pid) };
    for (let i = 0; i < IDLE_S; i++) {
      // Sleep to the next whole second of the window (timers may fire a hair early against mono()).
      await sleep(Math.max(0, t0 + (i + 1) * 1000 - mono()));
      for (const id of ['a', 'b'] as const) {
        rss[id].push(nodes[id].rssKb() / 1024);
        const m = treeMemory(nodes[id].pid);
        tree[id].rss.push(m.rssMb);
        tree[id].pss.push(m.pssMb);
        const r = treeMemory(refs[id].pid);
        refTree[id].rss.push(r.rssMb);
        refTree[id].pss.push(r.pssMb);
      }
    }
    const ticks1 = { a: nodes.a.cpuTicks(), b: nodes.b.cpuTicks() };
    const wake1 = { a: wakeups(nodes.a.pid), b: wakeups(nodes.b.pid) };
    const refTicks1 = { a: procCpuTicks(refs.a.pid), b: procCpuTicks(refs.b.pid) };
    const seconds = (mono() - t0) / 1000;
    const cpuPct = (id: NodeId): number => ((ticks1[id] - ticks0[id]) / tck / seconds) * 100;
    const wakeupsPerS = (id: NodeId): number => Math.round(((wake1[id] - wake0[id]) / seconds) * 10) / 10;
    const refCpuPct = (id: NodeId): number => ((refTicks1[id] - refTicks0[id]) / tck / seconds) * 100;
    const sa = await status('a');
    const sb = await status('b');
    const stayed = sa?.node.role === 'leader' && sa.jenkins.ready && sb?.node.role === 'standby';

    // Start-up: restart the standby, time spawn -> joined the election -> standby.
    process.stderr.write(`footprint: ${STARTUPS} standby restarts `);
    const joined: number[] = [];
    const standbyAt: number[] = [];
    const refJoined: number[] = [];
    for (let i = 0; i < STARTUPS; i++) {
      refs.b.proc.kill('SIGTERM');
      await refs.b.exited;
      const r = startRef('b');
      const rj = await waitFor(() => r.find('joined'), { timeoutMs: 20000, what: 'reference joined' });
      refJoined.push(rj.mono - r.spawnedAt);
      nodes.b.proc.kill('SIGTERM');
      await nodes.b.exited;
      const c = startNode('b');
      const j = await waitFor(() => c.find('election.joined'), { timeoutMs: 20000, what: 'joined' });
      await waitFor(async () => (await status('b'))?.node.role === 'standby', { timeoutMs: 20000, what: 'standby again' });
      joined.push(j.mono - c.spawnedAt);
      standbyAt.push((c.events.find((e) => e.event === 'role' && e.to === 'standby')?.mono ?? NaN) - c.spawnedAt);
      process.stderr.write('.');
    }
    process.stderr.write('\n');

    const res = {
      leader: { rss_mb: stats(rss.a), cpu_pct: cpuPct('a'), cpu_ticks: ticks1.a - ticks0.a, wakeups_per_s: wakeupsPerS('a'), tree_rss_mb: stats(tree.a.rss), tree_pss_mb: stats(tree.a.pss) },
      standby: { rss_mb: stats(rss.b), cpu_pct: cpuPct('b'), cpu_ticks: ticks1.b - ticks0.b, wakeups_per_s: wakeupsPerS('b'), tree_rss_mb: stats(tree.b.rss), tree_pss_mb: stats(tree.b.pss) },
    };
    const ref = {
      leader: { tree_rss_mb: stats(refTree.a.rss), tree_pss_mb: stats(refTree.a.pss), cpu_pct: refCpuPct('a') },
      standby: { tree_rss_mb: stats(refTree.b.rss), tree_pss_mb: stats(refTree.b.pss), cpu_pct: refCpuPct('b') },
      startup_joined_ms: stats(refJoined),
    };
    const checks = new Checks('footprint');
    checks.check(rss.a.length === IDLE_S && rss.b.length === IDLE_S && (res.leader.rss_mb.min ?? 0) > 10 && (res.standby.rss_mb.min ?? 0) > 10, `RSS samples (${rss.a.length}, ${rss.b.length} of ${IDLE_S}) of live processes`);
    checks.check(Number.isFinite(res.leader.cpu_pct) && Number.isFinite(res.standby.cpu_pct) && seconds >= IDLE_S * 0.9, `CPU measured over the window (leader ${res.leader.cpu_pct}%, standby ${res.standby.cpu_pct}%, ${seconds.toFixed(2)} s of ${IDLE_S}, ticks ${JSON.stringify(ticks0)} -> ${JSON.stringify(ticks1)}, CLK_TCK ${tck})`);
    checks.check(res.leader.wakeups_per_s > 0 && res.standby.wakeups_per_s > 0, `main-thread wake-ups counted (leader ${res.leader.wakeups_per_s}/s, standby ${res.standby.wakeups_per_s}/s)`);
    checks.check(stayed, 'the pair stayed leader (Jenkins ready) and standby while idle');
    checks.check(joined.length === STARTUPS && joined.every((x) => x > 0), `start-up samples ${joined.length} of ${STARTUPS}`);
    checks.check(refJoined.length === STARTUPS && refTree.a.rss.length === IDLE_S && refTree.a.rss.every((x) => x > 5), `reference samples (start-up ${refJoined.length} of ${STARTUPS}, memory ${refTree.a.rss.length} of ${IDLE_S})`);

    const mach = machine({ zk_mode: 'standalone', session_timeout_ms: SESSION_MS, clk_tck: tck, load_at_start: { load1: m0.load1, load5: m0.load5 }, duration_s: Math.round((mono() - started) / 100) / 10 });
    const js = stats(joined);
    const ss = stats(standbyAt.filter(Number.isFinite));
    const rs = ref.startup_joined_ms;
    const pct = (x: number): Stats => stats([x]);
    const ratios = {
      leader_tree_rss: ratio(res.leader.tree_rss_mb, ref.leader.tree_rss_mb),
      standby_tree_rss: ratio(res.standby.tree_rss_mb, ref.standby.tree_rss_mb),
      leader_tree_pss: ratio(res.leader.tree_pss_mb, ref.leader.tree_pss_mb),
      standby_tree_pss: ratio(res.standby.tree_pss_mb, ref.standby.tree_pss_mb),
      leader_cpu: ratio(pct(res.leader.cpu_pct), pct(ref.leader.cpu_pct)),
      standby_cpu: ratio(pct(res.standby.cpu_pct), pct(ref.standby.cpu_pct)),
      startup_joined: ratio(js, rs),
    };
    const x = (r: number | null): string => (r === null ? '-' : `${r.toFixed(2)}x`);
    const mm = (st: Stats): string => `${fmt(st.median)} / ${fmt(st.max)}`;
    printTable(
      `jenkins-ha footprint: idle ${fmt(seconds, 0)} s, session ${SESSION_MS} ms; ${mach.cpus} cpus, node ${mach.node}; load ${m0.load1} -> ${mach.load1}; reference: kazoo Election (python3-kazoo ${kazoo})`,
      ['process', 'RSS MiB (median / max)', 'PSS MiB', 'CPU % of a core', 'CPU ticks', 'wake-ups/s', 'reference RSS / PSS MiB, CPU %', 'jenkins-ha / reference (RSS; PSS; CPU)'],
      [
        ['leader controller (process)', mm(res.leader.rss_mb), '-', fmt(res.leader.cpu_pct, 2), res.leader.cpu_ticks, fmt(res.leader.wakeups_per_s), `${fmt(ref.leader.tree_rss_mb.median)} / ${fmt(ref.leader.tree_pss_mb.median)}, ${fmt(ref.leader.cpu_pct, 2)}`, `${x(ratio(res.leader.rss_mb, ref.leader.tree_rss_mb))}; -; ${x(ratios.leader_cpu)}`],
        ['standby controller (process)', mm(res.standby.rss_mb), '-', fmt(res.standby.cpu_pct, 2), res.standby.cpu_ticks, fmt(res.standby.wakeups_per_s), `${fmt(ref.standby.tree_rss_mb.median)} / ${fmt(ref.standby.tree_pss_mb.median)}, ${fmt(ref.standby.cpu_pct, 2)}`, `${x(ratio(res.standby.rss_mb, ref.standby.tree_rss_mb))}; -; ${x(ratios.standby_cpu)}`],
        ['leader: controller + helper + shims', mm(res.leader.tree_rss_mb), fmt(res.leader.tree_pss_mb.median), '-', '-', '-', `${fmt(ref.leader.tree_rss_mb.median)} / ${fmt(ref.leader.tree_pss_mb.median)}`, `${x(ratios.leader_tree_rss)}; ${x(ratios.leader_tree_pss)}; -`],
        ['standby: controller + helper + shims', mm(res.standby.tree_rss_mb), fmt(res.standby.tree_pss_mb.median), '-', '-', '-', `${fmt(ref.standby.tree_rss_mb.median)} / ${fmt(ref.standby.tree_pss_mb.median)}`, `${x(ratios.standby_tree_rss)}; ${x(ratios.standby_tree_pss)}; -`],
      ],
    );
    printTable('start-up (standby restarted, alternating with the reference)', ['measure', 'n', 'median', 'p95', 'max', 'reference median (p95)', 'jenkins-ha / reference'], [
      ['process spawned -> joined the election (ms)', js.n, fmt(js.median), fmt(js.p95), fmt(js.max), `${fmt(rs.median)} (${fmt(rs.p95)})`, x(ratios.startup_joined)],
      ['process spawned -> standby (ms)', ss.n, fmt(ss.median), fmt(ss.p95), fmt(ss.max), '- (no standby state)', '-'],
    ]);
    const self = checks.finish();
    console.log(
      JSON.stringify({
        scenario: 'footprint',
        idle_s: seconds,
        ...res,
        startup_joined_ms: js,
        startup_standby_ms: ss,
        reference: ref,
        ratios,
        targets: [
          target('leader controller RSS max', res.leader.rss_mb.max, '<=', TARGET.rssMb, 'MB'),
          target('standby controller RSS max', res.standby.rss_mb.max, '<=', TARGET.rssMb, 'MB'),
          target('leader controller CPU idle', res.leader.cpu_pct, '<=', TARGET.cpuPct, '%'),
          target('standby controller CPU idle', res.standby.cpu_pct, '<=', TARGET.cpuPct, '%'),
          target('start-up to joined the election, median', js.median, '<=', TARGET.joinedMs, 'ms'),
          target('leader RSS, controller + helper + shims, median', res.leader.tree_rss_mb.median, '<=', TARGET.treeRssMb, 'MiB'),
          target('standby RSS, controller + helper + shims, median', res.standby.tree_rss_mb.median, '<=', TARGET.treeRssMb, 'MiB'),
        ],
        self_checks: self,
        machine: mach,
      }),
    );
  } finally {
    for (const n of [...Object.values(nodes), ...Object.values(refs)]) n.proc.kill('SIGTERM');
    await Promise.all([...Object.values(nodes), ...Object.values(refs)].map((n) => n.exited));
    await zk.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runMain(main);
