/**
 * The chaos run: `npm run chaos -- --faults N --seed S` (see USAGE in args.ts and
 * docs/reliability.md). Three controllers, a 3-node ZooKeeper ensemble, the Jenkins stand-in on
 * one JENKINS_HOME; faults drawn from a seeded PRNG, one at a time. After each: wait for a ready
 * Jenkins, restore the killed pieces, wait for the cluster to settle, observe a quiet period, then
 * judge the window: overlaps, lost writes, needless failovers, recovery time against its bound,
 * and whether the fault really happened. Prints a table per fault kind and a final JSON line;
 * exits 1 on any failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, REPO, mono } from '../helpers/ha-node';
import { lives } from '../helpers/journal';
import { parseChaosArgs, USAGE, type ChaosArgs } from './args';
import { boundInputs, recoveryBounds, type Bound, type BoundInputs } from './bounds';
import { BranchReader } from './branch';
import { checkReplication, checkWrites, findOverlaps, WRITES_FILE, type Incident, type PushedCommit, type WriteProblem } from './checks';
import { ChaosCluster, SYNC_BRANCH, type Settled } from './cluster';
import { evaluateWindow } from './evaluate';
import { INJECTORS } from './faults';
import { isOverBound, renderTable, summarize, type FaultResult } from './report';
import { buildSchedule, CLOCK_KINDS, STORAGE_KINDS, type Fault, type FaultKind } from './schedule';

const SETTLE_TIMEOUT_MS = 60000;
/** disk-full: the home's tmpfs (the stand-in writes ~1 MiB per 10000 records). */
const TMPFS_MIB = 64;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const say = (msg: string): void => {
  process.stdout.write(`${msg}\n`);
};

let interrupted = false;

interface RunState {
  cluster: ChaosCluster;
  args: ChaosArgs;
  bounds: Record<FaultKind, Bound>;
  inputs: BoundInputs;
  T: number;
  settled: Settled;
  /** End of the previous window (mono). */
  windowStart: number;
  /** git mode: the sync branch. */
  branch: BranchReader | null;
}

interface DataCheck {
  records: number;
  acked: number;
  problems: WriteProblem[];
  /** git mode: takeovers and in-place restarts whose restored writes file was checked. */
  replication?: { takeovers: number; restarts: number; commits: number; recorded: number };
}

/**
 * What the stand-ins wrote, judged: shared mode, the one writes file against the acks; git mode,
 * each Jenkins' restored writes file against the branch (checkReplication).
 */
async function checkData(cluster: ChaosCluster, branch: BranchReader | null, lastMono: number): Promise<DataCheck> {
  const entries = cluster.journal.read();
  if (!branch) {
    const w = checkWrites(readWrites(cluster.sharedData), entries, lastMono);
    return { records: w.records, acked: w.acked, problems: w.problems };
  }
  const chain = await branch.chain();
  const tip = await branch.tipText();
  const recorded: PushedCommit[] = [];
  for (const sha of recordedCommits(cluster)) {
    const c = await branch.describe(sha);
    if (c) recorded.push(c);
  }
  const r = checkReplication(chain, tip, entries, { pushed: branch.seen(), recorded }, lastMono);
  const w = checkWrites(tip, [], lastMono);
  return {
    records: w.records,
    acked: entries.filter((e) => e.ev === 'ack').length,
    problems: r.problems,
    replication: { takeovers: r.takeovers, restarts: r.restarts, commits: chain.length, recorded: recorded.length },
  };
}

/**
 * git mode: the commits the controllers logged as pushed and recorded in ZooKeeper (`sync.pushed`
 * follows the record's successful multi), every controller process of the run included.
 */
function recordedCommits(cluster: ChaosCluster): string[] {
  const out = new Set<string>();
  for (const n of cluster.processes) {
    for (const l of n.logs) if (l.event === 'sync.pushed' && typeof l['commit'] === 'string') out.add(l['commit']);
  }
  return [...out];
}

function inWindow(list: Incident[], from: number, to: number): Incident[] {
  return list.filter((i) => i.mono > from && i.mono <= to);
}

function readWrites(home: string): string {
  try {
    return fs.readFileSync(path.join(home, WRITES_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

async function runFault(f: Fault, st: RunState): Promise<{ result: FaultResult; settled: Settled | null }> {
  const { cluster } = st;
  const bound = st.bounds[f.kind];
  const before = st.settled;
  const tw = st.windowStart;
  const failures: string[] = [];
  const inj = await INJECTORS[f.kind](f, { cluster, inputs: st.inputs, T: st.T, recoveryTimeoutMs: bound.ms + 20000, before });
  const restored = await cluster.restore();
  let after: Settled | null = null;
  try {
    after = await cluster.waitSettled(SETTLE_TIMEOUT_MS);
    await sleep(st.args.quietMs);
    const again = await cluster.settledOrWhy();
    after = typeof again === 'string' ? await cluster.waitSettled(SETTLE_TIMEOUT_MS) : again;
  } catch (e) {
    failures.push(`the cluster did not settle: ${(e as Error).message}`);
  }
  const tEnd = mono();
  const entries = cluster.journal.read();
  const started = lives(entries, { isAlive: cluster.journal.isAlive }).filter((l) => l.start > tw && l.start <= tEnd);
  const verdict = evaluateWindow({
    kind: f.kind,
    ...(inj.expect ? { expect: inj.expect.expectation } : {}),
    t0: inj.t0,
    before: before.leader,
    after: after ? after.leader : { id: before.leader.id, epoch: '?' },
    started,
  });
  failures.push(...inj.selfCheck.map((s) => `self-check: ${s}`), ...verdict.selfCheck.map((s) => `self-check: ${s}`));
  if (inj.expectLeader && after && after.leader.id !== inj.expectLeader) {
    failures.push(`self-check: switchover to ${inj.expectLeader}, but ${after.leader.id} leads`);
  }
  failures.push(...verdict.needlessWhy.map((s) => `needless failover: ${s}`));
  const overlaps = inWindow(findOverlaps(entries, { isAlive: cluster.journal.isAlive }), tw, tEnd);
  failures.push(...overlaps.map((o) => `OVERLAP: ${o.detail}`));
  const writes = await checkData(cluster, st.branch, tEnd);
  const lost = inWindow(writes.problems, tw, tEnd);
  failures.push(...lost.map((p) => `lost write (${(p as { kind?: string }).kind ?? '?'}): ${p.detail}`));
  const result: FaultResult = {
    n: f.n,
    kind: f.kind,
    t0: inj.t0,
    note: inj.expect ? `${inj.note}; judged as: ${inj.expect.why}` : inj.note,
    recoveryMs: verdict.recoveryMs === null ? null : Math.round(verdict.recoveryMs),
    boundMs: bound.ms,
    settleMs: after ? Math.round(after.at - inj.t0) : -1,
    overlaps: overlaps.length,
    needless: verdict.needless,
    lostWrites: lost.length,
    failures,
  };
  if (isOverBound(result)) {
    failures.push(result.recoveryMs === null ? 'no ready Jenkins again' : `recovery ${result.recoveryMs} ms is over its bound ${bound.ms} ms (${bound.formula})`);
  }
  const rec = result.recoveryMs === null ? 'never' : `${result.recoveryMs} ms`;
  say(
    `fault ${f.n}/${st.args.faults} ${f.kind}: ${result.note ?? inj.note}; recovery ${rec} (bound ${bound.ms}); settled after ${result.settleMs} ms` +
      `${restored.length ? `; restored: ${restored.join(', ')}` : ''}; leader ${before.leader.id}/${before.leader.epoch} -> ${after ? `${after.leader.id}/${after.leader.epoch}` : '?'}` +
      `; ${failures.length === 0 ? 'ok' : `FAILED:\n    ${failures.join('\n    ')}`}`,
  );
  st.windowStart = tEnd;
  return { result, settled: after };
}

function saveArtifacts(out: string, cluster: ChaosCluster, doc: unknown): void {
  fs.mkdirSync(out, { recursive: true });
  const lines: string[] = [];
  for (const n of cluster.processes) {
    for (const l of n.logs) lines.push(JSON.stringify({ node: n.id, controllerPid: n.pid, ...l }));
  }
  fs.writeFileSync(path.join(out, 'controllers.jsonl'), lines.join('\n') + '\n');
  for (const [dir, f] of [[cluster.stateDir, 'standin-journal.jsonl'], [cluster.repo === null ? cluster.sharedData : cluster.stateDir, WRITES_FILE]] as const) {
    const src = path.join(dir, f);
    if (fs.existsSync(src)) fs.copyFileSync(src, path.join(out, f));
  }
  if (cluster.repo !== null) {
    for (const id of ['a', 'b', 'c'] as const) {
      const src = path.join(cluster.homeOf(id), WRITES_FILE);
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(out, `${WRITES_FILE}.${id}`));
    }
  }
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify(doc, null, 2) + '\n');
}

async function main(): Promise<number> {
  let args: ChaosArgs;
  try {
    args = parseChaosArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`chaos: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    say(USAGE);
    return 0;
  }
  if (!fs.existsSync(CLI)) {
    process.stderr.write(`chaos: ${CLI} is missing: run npm run build first\n`);
    return 2;
  }
  const schedule = buildSchedule(args.seed, args.faults, args.kinds);
  const out = args.out ?? path.join(REPO, '.run', 'chaos', `${args.seed}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const t0 = mono();
  say(
    `chaos: seed ${args.seed}, ${args.faults} faults, session timeout ${args.sessionTimeoutMs} ms, ` +
      `${args.sync === 'git' ? `sync.mode git (a home per node, sync every ${args.syncIntervalMs} ms)` : 'one shared JENKINS_HOME'}; artifacts in ${out}`,
  );
  say(`chaos: schedule ${schedule.map((f) => f.kind).join(' ')}`);
  process.on('SIGINT', () => {
    interrupted = true;
    say('chaos: interrupted; finishing the current fault, then cleaning up');
  });

  const cluster = await ChaosCluster.start({
    sessionTimeoutMs: args.sessionTimeoutMs,
    writesMs: args.writesMs,
    logLevel: args.logLevel,
    sync: args.sync,
    syncIntervalMs: args.syncIntervalMs,
    tls: args.tls,
    // The storage kinds need the home behind per-node mounts (disk-full: on a small tmpfs), the
    // clock kinds every controller under libfaketime; runs without them keep the plain bed.
    storage: args.kinds.some((k) => STORAGE_KINDS.includes(k)) ? { tmpfsMiB: args.kinds.includes('disk-full') ? TMPFS_MIB : null } : null,
    clocks: args.kinds.some((k) => CLOCK_KINDS.includes(k)),
  });
  const branch = cluster.repo === null ? null : new BranchReader(cluster.repo, SYNC_BRANCH, WRITES_FILE);
  const results: FaultResult[] = [];
  const extra: string[] = [];
  let bounds: Record<FaultKind, Bound> | null = null;
  let writes: { records: number; acked: number; replication?: DataCheck['replication'] } = { records: 0, acked: 0 };
  try {
    const a = cluster.startNode('a');
    await a.waitLeaderReady(60000);
    cluster.startNode('b');
    await cluster.node('b').waitRole('standby', 60000);
    cluster.startNode('c');
    let settled = await cluster.waitSettled(SETTLE_TIMEOUT_MS);
    const inputs = boundInputs(await cluster.effectiveConfig());
    const negotiated = (await cluster.node(settled.leader.id).status())?.zookeeper.sessionTimeoutMs;
    if (negotiated !== undefined && negotiated !== inputs.sessionTimeoutMs) {
      say(`chaos: ZooKeeper negotiated a session timeout of ${negotiated} ms (requested ${inputs.sessionTimeoutMs})`);
      inputs.sessionTimeoutMs = negotiated;
    }
    bounds = recoveryBounds(inputs, { zkTickMs: 200, coordMs: args.coordAllowanceMs, launchMs: args.launchAllowanceMs });
    say(`chaos: settled in ${Math.round(settled.at - t0)} ms; leader ${settled.leader.id}, epoch ${settled.leader.epoch}`);
    say(`chaos: recovery bounds (ms): ${Object.entries(bounds).map(([k, b]) => `${k} ${b.ms}`).join(', ')}`);
    const st: RunState = { cluster, args, bounds, inputs, T: inputs.sessionTimeoutMs, settled, windowStart: settled.at, branch };
    const startupEnd = settled.at;
    for (const f of schedule) {
      if (interrupted) {
        extra.push(`interrupted after ${results.length} of ${args.faults} faults`);
        break;
      }
      const r = await runFault(f, st);
      results.push(r.result);
      if (!r.settled) {
        extra.push(`stopped after fault ${f.n}: the cluster did not settle`);
        break;
      }
      settled = r.settled;
      st.settled = settled;
      if (args.failFast && r.result.failures.length > 0) {
        extra.push(`--fail-fast: stopped after fault ${f.n}`);
        break;
      }
    }
    // Whatever no window claimed (start-up, the end) must be clean too.
    const entries = cluster.journal.read();
    const end = mono();
    const check = await checkData(cluster, branch, end);
    writes = { records: check.records, acked: check.acked, ...(check.replication ? { replication: check.replication } : {}) };
    const outside = (i: Incident): boolean => i.mono <= startupEnd || i.mono > st.windowStart;
    extra.push(...findOverlaps(entries, { isAlive: cluster.journal.isAlive }).filter(outside).map((o) => `OVERLAP outside the fault windows: ${o.detail}`));
    extra.push(...check.problems.filter(outside).map((p) => `lost write outside the fault windows: ${p.detail}`));
    extra.push(...cluster.journal.malformed.map((m) => `malformed journal line: ${m}`));
    if (check.acked === 0) extra.push('self-check: the stand-in acknowledged no writes (STANDIN_WRITES_MS not in effect?)');
    if (check.replication) {
      // A broken harness (writes file not in sync.include, nothing pushed) must not pass as green.
      if (check.replication.commits === 0 || check.records === 0) extra.push('self-check: git mode, but the branch holds no pushed records');
      // The takeover check's floor is what the controllers logged as recorded: without those lines it has none.
      if (check.replication.recorded === 0) extra.push('self-check: git mode, but no controller logged a recorded push (sync.pushed; --log-level above info?)');
      if (check.replication.takeovers < 2) extra.push(`self-check: git mode, but only ${check.replication.takeovers} takeover(s) restored a writes file`);
    }
  } catch (e) {
    extra.push(`harness error: ${(e as Error).stack ?? String(e)}`);
  }
  const summary = summarize(args.seed, results, mono() - t0, extra, writes);
  try {
    saveArtifacts(out, cluster, { args, bounds, schedule, results, summary });
  } finally {
    await cluster.close(args.keepHome);
  }
  say('');
  say(renderTable(results));
  say('');
  if (bounds) say(`bounds: ${[...new Set(Object.values(bounds).map((b) => b.formula))].join('; ')}`);
  for (const f of summary.failures) say(`FAILURE: ${f}`);
  say(JSON.stringify({ chaos: summary }));
  return summary.ok ? 0 : 1;
}

// Exit explicitly: idle keep-alive sockets of fetch() would hold the process for seconds.
const exit = (code: number): void => {
  process.stdout.write('', () => process.exit(code));
};
main().then(exit, (e: unknown) => {
  process.stderr.write(`chaos: ${(e as Error).stack ?? String(e)}\n`);
  exit(1);
});
