/**
 * jenkins-ha against the reference election (kazoo's `Election`, bench/reference.ts), run
 * alternately in the same scenario on the same ZooKeeper, each pair with its own JENKINS_HOME and
 * the same Jenkins stand-in. Every row carries "jenkins-ha / reference" (median over median).
 *
 *   node -r ./scripts/dev/register-ts.js bench/versus.ts [--rounds 20] [--kill-rounds 5] [--session-ms 2000] [--kill-session-ms 10000]
 *
 * Phase 1 (T = --session-ms), --rounds rounds, the two implementations taking turns (which one
 * goes first alternates by round):
 * - graceful handover: SIGTERM to the leader's controller; gap = the standby's Jenkins spawned
 *   minus the old Jenkins' exit (its journal's last line), as bench/failover.ts measures it.
 * - start-up: the old leader restarted as a standby: process spawned -> its election znode created
 *   (jenkins-ha's `election.joined`, the reference's `joined`).
 * - idle memory: RSS and PSS of the leader's and the standby's controller with everything it
 *   started except Jenkins (jenkins-ha: the controller, its JENKINS_HOME I/O helper and its shims;
 *   the reference: the python process), sampled every second for --idle-s seconds, once both
 *   pairs have been idle --idle-settle-s seconds (30) since their last round.
 * Phase 2 (T = --kill-session-ms, the default 10 s): --kill-rounds rounds of SIGKILL of the
 * leader's controller alone (the host and Jenkins' shim live on) -> the standby's Jenkins spawned.
 * Zero overlaps of two Jenkins on a home, for both (the reference's stand-in dies with its parent).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, Checks, ControllerProcess, STANDIN, arg, fmt, freePort, gracefulHandover, machine, mono, overlaps, pairEnv, printTable, runMain, sleep, startZk, stats, target, waitFor, type Stats, type ZkCluster } from './lib';
import { ReferenceProcess, ensureKazoo, ratio, treeMemory } from './reference';

const ROUNDS = Number(arg('rounds', 20));
const KILL_ROUNDS = Number(arg('kill-rounds', 5));
const SESSION_MS = Number(arg('session-ms', 2000));
const KILL_SESSION_MS = Number(arg('kill-session-ms', 10000));
const IDLE_S = Number(arg('idle-s', 10));
const SETTLE_MS = Number(arg('settle-ms', 1000));
/** Idle means idle: V8 keeps a grown young generation for some seconds after a burst (a start-up, a takeover) and its memory reducer then gives the pages back (docs/benchmarks.md, "V8's young generation"). */
const IDLE_SETTLE_S = Number(arg('idle-settle-s', 30));
const TARGET = { gapMedianMs: 10, gapP95Ms: 30, startupMs: 150, rssMb: 50, killMs: 1500 };

type Impl = 'jha' | 'ref';
type Member = ControllerProcess | ReferenceProcess;

/** One implementation's pair (a, b) on its own home, with what a round needs to know of it. */
interface Pair {
  impl: Impl;
  home: string;
  nodes: Record<'a' | 'b', Member>;
  leader: 'a' | 'b';
  start(id: 'a' | 'b'): Member;
  /** The event that says Jenkins was spawned, and the one that says the znode exists. */
  started: string;
  joined: string;
  /** Resolves when `m` is a standby (joined, not leading). */
  standby(m: Member): Promise<void>;
}

const other = (id: 'a' | 'b'): 'a' | 'b' => (id === 'a' ? 'b' : 'a');

async function makePairs(zk: ZkCluster, tmp: string, sessionMs: number, tag: string): Promise<Record<Impl, Pair>> {
  const homes = { jha: path.join(tmp, `home-jha-${tag}`), ref: path.join(tmp, `home-ref-${tag}`) };
  for (const h of Object.values(homes)) fs.mkdirSync(h);
  const jPort = await freePort();
  const rPort = await freePort();
  const api = { a: await freePort(), b: await freePort() };
  const env = pairEnv({ cluster: `versus-${tag}`, zkConnect: zk.connect, sessionMs, home: homes.jha, jenkinsPort: jPort });
  const jha: Pair = {
    impl: 'jha',
    home: homes.jha,
    nodes: {} as Record<'a' | 'b', Member>,
    leader: 'a',
    start: (id) => (jha.nodes[id] = new ControllerProcess(id, { ...env, JHA_API_PORT: String(api[id]) })),
    started: 'jenkins.started',
    joined: 'election.joined',
    standby: async (m) => {
      await waitFor(() => (m as ControllerProcess).events.find((e) => e.event === 'role' && e.to === 'standby'), { timeoutMs: 20000, what: `jenkins-ha ${m.id} standby` });
    },
  };
  const ref: Pair = {
    impl: 'ref',
    home: homes.ref,
    nodes: {} as Record<'a' | 'b', Member>,
    leader: 'a',
    start: (id) =>
      (ref.nodes[id] = new ReferenceProcess(id, {
        zkConnect: zk.connect,
        electionPath: `/reference/versus-${tag}/election`,
        sessionMs,
        home: homes.ref,
        jenkinsCommand: `exec node ${STANDIN} --httpPort=${rPort}`,
      })),
    started: 'jenkins.started',
    joined: 'joined',
    // kazoo has no standby state: joined and not elected.
    standby: async (m) => {
      await waitFor(() => m.find('joined'), { timeoutMs: 20000, what: `reference ${m.id} joined` });
    },
  };
  for (const p of [jha, ref]) {
    p.start('a');
    await waitFor(() => p.nodes.a.find(p.started), { timeoutMs: 30000, what: `${p.impl} a leading` });
    p.start('b');
    await p.standby(p.nodes.b);
  }
  return { jha, ref };
}

async function stopPair(p: Pair): Promise<void> {
  for (const n of Object.values(p.nodes)) n.proc.kill('SIGTERM');
  await Promise.all(Object.values(p.nodes).map((n) => n.exited));
}

/** The old leader back as a standby; its start-up (spawned -> znode created) in ms. */
async function restart(p: Pair, id: 'a' | 'b'): Promise<number> {
  const m = p.start(id);
  const j = await waitFor(() => m.find(p.joined), { timeoutMs: 20000, what: `${p.impl} ${id} joined` });
  await p.standby(m);
  return j.mono - m.spawnedAt;
}

interface Samples {
  gap: number[];
  startup: number[];
  kill: number[];
  rssLeader: number[];
  rssStandby: number[];
  pssLeader: number[];
  pssStandby: number[];
}
const samples = (): Samples => ({ gap: [], startup: [], kill: [], rssLeader: [], rssStandby: [], pssLeader: [], pssStandby: [] });

async function graceful(p: Pair, s: Samples): Promise<void> {
  await sleep(SETTLE_MS);
  s.gap.push((await gracefulHandover(p.nodes[p.leader], p.nodes[other(p.leader)], p.home)).gap);
  s.startup.push(await restart(p, p.leader));
  p.leader = other(p.leader);
}

async function controllerKill(p: Pair, s: Samples): Promise<void> {
  await sleep(SETTLE_MS);
  const old = p.nodes[p.leader];
  const next = p.nodes[other(p.leader)];
  const t0 = mono();
  old.proc.kill('SIGKILL');
  const st = await waitFor(() => next.find(p.started, t0), { timeoutMs: KILL_SESSION_MS * 5, what: `${p.impl}: new Jenkins after the controller's kill` });
  await old.exited;
  s.kill.push(st.mono - t0);
  s.startup.push(await restart(p, p.leader));
  p.leader = other(p.leader);
}

async function idleMemory(pairs: Record<Impl, Pair>, s: Record<Impl, Samples>): Promise<void> {
  await sleep(IDLE_SETTLE_S * 1000);
  const t0 = mono();
  for (let i = 0; i < IDLE_S; i++) {
    await sleep(Math.max(0, t0 + (i + 1) * 1000 - mono()));
    for (const impl of ['jha', 'ref'] as const) {
      const p = pairs[impl];
      const l = treeMemory(p.nodes[p.leader].pid);
      const b = treeMemory(p.nodes[other(p.leader)].pid);
      s[impl].rssLeader.push(l.rssMb);
      s[impl].pssLeader.push(l.pssMb);
      s[impl].rssStandby.push(b.rssMb);
      s[impl].pssStandby.push(b.pssMb);
    }
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js missing: run `npm run build` first');
  const kazoo = ensureKazoo();
  const started = mono();
  const m0 = machine();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-bench-versus-'));
  const zk = await startZk();
  const s = { jha: samples(), ref: samples() };
  const homes: Record<Impl, string[]> = { jha: [], ref: [] };
  const pairsLive: Pair[] = [];
  try {
    const p1 = await makePairs(zk, tmp, SESSION_MS, 'graceful');
    pairsLive.push(p1.jha, p1.ref);
    homes.jha.push(p1.jha.home);
    homes.ref.push(p1.ref.home);
    process.stderr.write(`versus: graceful handover x${ROUNDS} each, alternating `);
    for (let i = 0; i < ROUNDS; i++) {
      const order: Impl[] = i % 2 === 0 ? ['jha', 'ref'] : ['ref', 'jha'];
      for (const impl of order) await graceful(p1[impl], s[impl]);
      process.stderr.write('.');
    }
    process.stderr.write(`\nversus: idle memory ${IDLE_S} s, after ${IDLE_SETTLE_S} s idle\n`);
    await idleMemory(p1, s);
    await Promise.all([stopPair(p1.jha), stopPair(p1.ref)]);
    pairsLive.length = 0;

    if (KILL_ROUNDS > 0) {
      const p2 = await makePairs(zk, tmp, KILL_SESSION_MS, 'kill');
      pairsLive.push(p2.jha, p2.ref);
      homes.jha.push(p2.jha.home);
      homes.ref.push(p2.ref.home);
      process.stderr.write(`versus: SIGKILL of the leader's controller alone x${KILL_ROUNDS} each (T = ${KILL_SESSION_MS} ms) `);
      for (let i = 0; i < KILL_ROUNDS; i++) {
        const order: Impl[] = i % 2 === 0 ? ['jha', 'ref'] : ['ref', 'jha'];
        for (const impl of order) await controllerKill(p2[impl], s[impl]);
        process.stderr.write('.');
      }
      process.stderr.write('\n');
      await Promise.all([stopPair(p2.jha), stopPair(p2.ref)]);
      pairsLive.length = 0;
    }
  } finally {
    await Promise.all(pairsLive.map(stopPair));
    await zk.stop();
  }
  const nOverlaps = { jha: homes.jha.reduce((n, h) => n + overlaps(h), 0), ref: homes.ref.reduce((n, h) => n + overlaps(h), 0) };
  fs.rmSync(tmp, { recursive: true, force: true });

  type Row = { key: string; measure: string; unit: string; jha: Stats; ref: Stats; ratio: number | null };
  const row = (key: keyof Samples, measure: string, unit: string): Row => {
    const jha = stats(s.jha[key]);
    const ref = stats(s.ref[key]);
    return { key, measure, unit, jha, ref, ratio: ratio(jha, ref) };
  };
  const rows: Row[] = [
    row('gap', `graceful handover: old Jenkins exited -> new spawned (T = ${SESSION_MS} ms)`, 'ms'),
    row('startup', 'start-up: process spawned -> joined the election', 'ms'),
    row('rssLeader', 'idle RSS, leader: controller + helpers + shims (Jenkins excluded)', 'MiB'),
    row('rssStandby', 'idle RSS, standby: controller + helpers + shims', 'MiB'),
    row('pssLeader', 'idle PSS, leader: controller + helpers + shims', 'MiB'),
    row('pssStandby', 'idle PSS, standby: controller + helpers + shims', 'MiB'),
    row('kill', `SIGKILL of the leader's controller alone -> new Jenkins spawned (T = ${KILL_SESSION_MS} ms)`, 'ms'),
  ];
  const checks = new Checks('versus');
  checks.check(s.jha.gap.length === ROUNDS && s.ref.gap.length === ROUNDS, `graceful samples ${s.jha.gap.length} / ${s.ref.gap.length} of ${ROUNDS}`);
  checks.check(s.jha.startup.length === ROUNDS + KILL_ROUNDS && s.ref.startup.length === ROUNDS + KILL_ROUNDS, `start-up samples ${s.jha.startup.length} / ${s.ref.startup.length} of ${ROUNDS + KILL_ROUNDS}`);
  checks.check(s.jha.rssLeader.length === IDLE_S && s.jha.rssLeader.every((x) => x > 10) && s.ref.rssLeader.every((x) => x > 5), 'memory samples of live processes');
  checks.check(s.jha.kill.length === KILL_ROUNDS && s.ref.kill.length === KILL_ROUNDS, `controller-kill samples ${s.jha.kill.length} / ${s.ref.kill.length} of ${KILL_ROUNDS}`);
  checks.check(nOverlaps.jha === 0, `${nOverlaps.jha} overlap(s) of two Jenkins (jenkins-ha)`);
  checks.check(nOverlaps.ref === 0, `${nOverlaps.ref} overlap(s) of two Jenkins (reference)`);
  const mach = machine({ zk_mode: 'standalone', reference: `kazoo Election, python3-kazoo ${kazoo}`, load_at_start: { load1: m0.load1, load5: m0.load5 }, duration_s: Math.round((mono() - started) / 100) / 10 });
  const cell = (x: Stats): string => `${fmt(x.median)} (${fmt(x.p95)})`;
  printTable(
    `jenkins-ha vs the reference (kazoo Election, python3-kazoo ${kazoo}), alternating: ${ROUNDS} graceful + ${KILL_ROUNDS} controller-kill rounds each; ` +
      `${mach.cpus} cpus, node ${mach.node}, zookeeper ${mach.zookeeper}; load ${m0.load1} -> ${mach.load1}; overlaps ${nOverlaps.jha} / ${nOverlaps.ref}`,
    ['measure', 'n', 'jenkins-ha median (p95)', 'reference median (p95)', 'jenkins-ha / reference'],
    rows.map((r) => [`${r.measure} (${r.unit})`, `${r.jha.n} / ${r.ref.n}`, cell(r.jha), cell(r.ref), r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`]),
  );
  const by = Object.fromEntries(rows.map((r) => [r.key, r]));
  const self = checks.finish();
  console.log(
    JSON.stringify({
      scenario: 'versus',
      rounds: ROUNDS,
      kill_rounds: KILL_ROUNDS,
      results: rows.map((r) => ({ measure: r.key, unit: r.unit, jenkins_ha: r.jha, reference: r.ref, ratio: r.ratio })),
      overlaps: nOverlaps.jha,
      reference_overlaps: nOverlaps.ref,
      targets: [
        target('graceful handover gap median', by.gap?.jha.median, '<=', TARGET.gapMedianMs, 'ms'),
        target('graceful handover gap p95', by.gap?.jha.p95, '<=', TARGET.gapP95Ms, 'ms'),
        target('start-up to joined the election, median', by.startup?.jha.median, '<=', TARGET.startupMs, 'ms'),
        target('idle RSS leader (controller + helpers + shims), median', by.rssLeader?.jha.median, '<=', TARGET.rssMb, 'MiB'),
        target('idle RSS standby (controller + helpers + shims), median', by.rssStandby?.jha.median, '<=', TARGET.rssMb, 'MiB'),
        ...(KILL_ROUNDS > 0 ? [target("controller-only kill -> new Jenkins, median", by.kill?.jha.median, '<=', TARGET.killMs, 'ms')] : []),
      ],
      self_checks: self,
      machine: mach,
    }),
  );
}

runMain(main, true);
