/**
 * Controller-crash benchmark (issue 15 item 2): real ZooKeeper (scripts/zk.sh), two real
 * controllers (dist/cli.js), the Jenkins stand-in. SIGKILL of the leader's controller ALONE (the
 * host and the shim live): the shim kills Jenkins' group, its closer closes the dead session
 * (docs/safety.md), the standby takes over. Prints a table and one JSON line (`controller_crash`).
 *
 *   node -r ./scripts/dev/register-ts.js bench/crash.ts [--rounds 10] [--session-ms 10000] [--settle-ms 1000]
 *
 * Per round, from the kill (CLOCK_MONOTONIC, shared by this process, the controllers' logs and the
 * stand-in's journal):
 *   jenkins_gone   the old stand-in's last journal line (its SIGTERM exit)
 *   session_gone   an observer's watch on the old leader's election znode fired (closed, or expired)
 *   spawned        the standby's `jenkins.started` (the total; target: median <= 1.5 s at T = 10 s)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zookeeper from 'node-zookeeper-client';
import type { StatusSnapshot } from '../src/controller/status';
import { CLI, Checks, ControllerProcess, arg, fmt, freePort, journal, machine, mono, overlaps, pairEnv, printTable, runMain, sleep, startZk, stats, target, waitFor, watchDeletion } from './lib';

type NodeId = 'a' | 'b';

const ROUNDS = Number(arg('rounds', 10));
const SESSION_MS = Number(arg('session-ms', 10000));
const SETTLE_MS = Number(arg('settle-ms', 1000));
const TARGET_MEDIAN_MS = 1500;

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js missing: run `npm run build` first');
  const m0 = machine();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-bench-crash-'));
  const home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  const zk = await startZk({ ensemble: false, forceSync: true });
  const jenkinsPort = await freePort();
  const apiPorts: Record<NodeId, number> = { a: await freePort(), b: await freePort() };
  const cluster = 'bench';
  const env = pairEnv({ cluster, zkConnect: zk.connect, sessionMs: SESSION_MS, home, jenkinsPort });
  const nodes = {} as Record<NodeId, ControllerProcess>;
  const startNode = (id: NodeId): ControllerProcess => (nodes[id] = new ControllerProcess(id, { ...env, JHA_API_PORT: String(apiPorts[id]) }));
  const observer = zookeeper.createClient(zk.connect, { sessionTimeout: 30000, spinDelay: 100, retries: 0 });
  observer.connect();
  await new Promise<void>((r) => observer.once('connected', () => r()));
  const status = (id: NodeId): Promise<StatusSnapshot | null> => nodes[id].status(apiPorts[id]);
  const leaderReady = async (id: NodeId): Promise<StatusSnapshot | null> => {
    const s = await status(id);
    return s && s.node.role === 'leader' && s.jenkins.ready ? s : null;
  };
  const standbyOf = async (id: NodeId): Promise<StatusSnapshot | null> => {
    const s = await status(id);
    return s && s.node.role === 'standby' ? s : null;
  };

  startNode('a');
  await waitFor(() => leaderReady('a'), { timeoutMs: 30000, what: 'a leading' });
  startNode('b');
  await waitFor(() => standbyOf('b'), { timeoutMs: 30000, what: 'b standby' });

  let leader: NodeId = 'a';
  let standby: NodeId = 'b';
  const r = { total: [] as number[], jenkinsGone: [] as number[], sessionGone: [] as number[], afterSession: [] as number[] };
  process.stderr.write(`controller crash (controller alone, T = ${SESSION_MS} ms) x${ROUNDS} `);
  for (let i = 0; i < ROUNDS; i++) {
    await sleep(SETTLE_MS);
    const sb = await waitFor(() => standbyOf(standby), { timeoutMs: 20000, what: `${standby} standby` });
    const predPath = `/jenkins-ha/${cluster}/election/${sb.election.predecessor}`;
    const goneAt = await watchDeletion(observer, predPath);
    const t0 = mono();
    nodes[leader].proc.kill('SIGKILL');
    const s = await waitFor(() => nodes[standby].find('jenkins.started', t0), { timeoutMs: SESSION_MS * 3, what: 'new Jenkins after the controller crash' });
    await waitFor(() => goneAt() > 0, { timeoutMs: 5000, what: 'observer saw the old znode go' });
    await nodes[leader].exited;
    // The old stand-in's last journal line (its stdout is the dead controller's pipe: it may die of
    // EPIPE on SIGTERM before writing its `stop` line, so its last line of any kind).
    const lines = journal(home);
    const oldPid = lines.filter((e) => e.ev === 'start' && e.mono < t0).pop()?.pid;
    const oldLast = Math.max(...lines.filter((e) => e.pid === oldPid).map((e) => e.mono));
    r.total.push(s.mono - t0);
    r.jenkinsGone.push(oldLast - t0);
    r.sessionGone.push(goneAt() - t0);
    r.afterSession.push(s.mono - goneAt());
    await waitFor(() => leaderReady(standby), { timeoutMs: 20000, what: 'new leader ready' });
    startNode(leader);
    await waitFor(() => standbyOf(leader), { timeoutMs: 20000, what: `${leader} back as standby` });
    [leader, standby] = [standby, leader];
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  observer.close();
  for (const n of Object.values(nodes)) n.proc.kill('SIGTERM');
  await Promise.all(Object.values(nodes).map((n) => n.exited));
  const nOverlaps = overlaps(home);
  await zk.stop();
  fs.rmSync(tmp, { recursive: true, force: true });

  const S = stats;
  const checks = new Checks('controller_crash');
  checks.check(r.total.length === ROUNDS, `${r.total.length} of ${ROUNDS} rounds measured`);
  checks.check(r.jenkinsGone.every((x, k) => x <= (r.sessionGone[k] ?? 0)), 'the old Jenkins was gone before its session');
  checks.check(nOverlaps === 0, `${nOverlaps} overlaps`);
  const mach = machine();
  printTable(
    `controller SIGKILL alone -> new Jenkins spawned (ms); T = ${SESSION_MS} ms, ${ROUNDS} rounds; load ${m0.load1} -> ${mach.load1}; overlaps: ${nOverlaps}`,
    ['phase (from the kill)', 'median', 'p95', 'max', 'min'],
    [
      ['old Jenkins gone', ...cells(S(r.jenkinsGone))],
      ['session gone (closed by the shim)', ...cells(S(r.sessionGone))],
      ['session gone -> spawned', ...cells(S(r.afterSession))],
      ['new Jenkins spawned (total)', ...cells(S(r.total))],
    ],
  );
  console.log(
    JSON.stringify({
      scenario: 'controller_crash',
      session_ms: SESSION_MS,
      total: S(r.total),
      jenkins_gone: S(r.jenkinsGone),
      session_gone: S(r.sessionGone),
      after_session: S(r.afterSession),
      overlaps: nOverlaps,
      targets: [target('controller crash -> new Jenkins spawned, median', S(r.total).median, '<=', TARGET_MEDIAN_MS, 'ms')],
      self_checks: checks.finish(),
      machine: mach,
    }),
  );
}

function cells(s: { median?: number; p95?: number; max?: number; min?: number }): string[] {
  return [fmt(s.median), fmt(s.p95), fmt(s.max), fmt(s.min)];
}

runMain(main, true);
