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
 *   Targets: <= 80 MB and <= 1% of a core each.
 * - start-up: the standby is restarted --startups times; process spawned -> its election znode
 *   created (`election.joined`), and -> standby role reported by its API.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StatusSnapshot } from '../src/controller/status';
import { CLI, Checks, ControllerProcess, arg, clkTck, fmt, freePort, machine, mono, pairEnv, printTable, runMain, sleep, startZk, stats, target, waitFor } from './lib';

type NodeId = 'a' | 'b';

const IDLE_S = Number(arg('idle-s', 60));
const SESSION_MS = Number(arg('session-ms', 10000));
const STARTUPS = Number(arg('startups', 5));
const SETTLE_MS = Number(arg('settle-ms', 3000));
const TARGET = { rssMb: 80, cpuPct: 1, joinedMs: 300 };

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
  try {
    startNode('a');
    await waitFor(async () => (await status('a'))?.jenkins.ready, { timeoutMs: 30000, what: 'a leading with Jenkins ready' });
    startNode('b');
    await waitFor(async () => (await status('b'))?.node.role === 'standby', { timeoutMs: 30000, what: 'b standby' });
    await sleep(SETTLE_MS); // let start-up work (module loading, JIT, first probes) finish

    process.stderr.write(`footprint: idle leader and standby for ${IDLE_S} s\n`);
    const rss = { a: [] as number[], b: [] as number[] };
    const t0 = mono();
    const ticks0 = { a: nodes.a.cpuTicks(), b: nodes.b.cpuTicks() };
    for (let i = 0; i < IDLE_S; i++) {
      // Sleep to the next whole second of the window (timers may fire a hair early against mono()).
      await sleep(Math.max(0, t0 + (i + 1) * 1000 - mono()));
      for (const id of ['a', 'b'] as const) rss[id].push(nodes[id].rssKb() / 1024);
    }
    const ticks1 = { a: nodes.a.cpuTicks(), b: nodes.b.cpuTicks() };
    const seconds = (mono() - t0) / 1000;
    const cpuPct = (id: NodeId): number => ((ticks1[id] - ticks0[id]) / tck / seconds) * 100;
    const sa = await status('a');
    const sb = await status('b');
    const stayed = sa?.node.role === 'leader' && sa.jenkins.ready && sb?.node.role === 'standby';

    // Start-up: restart the standby, time spawn -> joined the election -> standby.
    process.stderr.write(`footprint: ${STARTUPS} standby restarts `);
    const joined: number[] = [];
    const standbyAt: number[] = [];
    for (let i = 0; i < STARTUPS; i++) {
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
      leader: { rss_mb: stats(rss.a), cpu_pct: cpuPct('a'), cpu_ticks: ticks1.a - ticks0.a },
      standby: { rss_mb: stats(rss.b), cpu_pct: cpuPct('b'), cpu_ticks: ticks1.b - ticks0.b },
    };
    const checks = new Checks('footprint');
    checks.check(rss.a.length === IDLE_S && rss.b.length === IDLE_S && (res.leader.rss_mb.min ?? 0) > 10 && (res.standby.rss_mb.min ?? 0) > 10, `RSS samples (${rss.a.length}, ${rss.b.length} of ${IDLE_S}) of live processes`);
    checks.check(Number.isFinite(res.leader.cpu_pct) && Number.isFinite(res.standby.cpu_pct) && seconds >= IDLE_S * 0.9, `CPU measured over the window (leader ${res.leader.cpu_pct}%, standby ${res.standby.cpu_pct}%, ${seconds.toFixed(2)} s of ${IDLE_S}, ticks ${JSON.stringify(ticks0)} -> ${JSON.stringify(ticks1)}, CLK_TCK ${tck})`);
    checks.check(stayed, 'the pair stayed leader (Jenkins ready) and standby while idle');
    checks.check(joined.length === STARTUPS && joined.every((x) => x > 0), `start-up samples ${joined.length} of ${STARTUPS}`);

    const mach = machine({ zk_mode: 'standalone', session_timeout_ms: SESSION_MS, clk_tck: tck, load_at_start: { load1: m0.load1, load5: m0.load5 }, duration_s: Math.round((mono() - started) / 100) / 10 });
    const js = stats(joined);
    const ss = stats(standbyAt.filter(Number.isFinite));
    printTable(
      `jenkins-ha footprint: idle ${fmt(seconds, 0)} s, session ${SESSION_MS} ms; ${mach.cpus} cpus, node ${mach.node}; load ${m0.load1} -> ${mach.load1}`,
      ['process', 'RSS MB (median / max)', 'CPU % of a core', 'CPU ticks'],
      [
        ['leader controller', `${fmt(res.leader.rss_mb.median)} / ${fmt(res.leader.rss_mb.max)}`, fmt(res.leader.cpu_pct, 2), res.leader.cpu_ticks],
        ['standby controller', `${fmt(res.standby.rss_mb.median)} / ${fmt(res.standby.rss_mb.max)}`, fmt(res.standby.cpu_pct, 2), res.standby.cpu_ticks],
      ],
    );
    printTable('start-up (standby restarted)', ['measure', 'n', 'median', 'p95', 'max'], [
      ['process spawned -> joined the election (ms)', js.n, fmt(js.median), fmt(js.p95), fmt(js.max)],
      ['process spawned -> standby (ms)', ss.n, fmt(ss.median), fmt(ss.p95), fmt(ss.max)],
    ]);
    const self = checks.finish();
    console.log(
      JSON.stringify({
        scenario: 'footprint',
        idle_s: seconds,
        ...res,
        startup_joined_ms: js,
        startup_standby_ms: ss,
        targets: [
          target('leader controller RSS max', res.leader.rss_mb.max, '<=', TARGET.rssMb, 'MB'),
          target('standby controller RSS max', res.standby.rss_mb.max, '<=', TARGET.rssMb, 'MB'),
          target('leader controller CPU idle', res.leader.cpu_pct, '<=', TARGET.cpuPct, '%'),
          target('standby controller CPU idle', res.standby.cpu_pct, '<=', TARGET.cpuPct, '%'),
          target('start-up to joined the election, median', js.median, '<=', TARGET.joinedMs, 'ms'),
        ],
        self_checks: self,
        machine: mach,
      }),
    );
  } finally {
    for (const n of Object.values(nodes)) n.proc.kill('SIGTERM');
    await Promise.all(Object.values(nodes).map((n) => n.exited));
    await zk.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runMain(main);
