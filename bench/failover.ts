/**
 * Failover benchmark: real ZooKeeper (scripts/zk.sh), two real controllers (dist/cli.js), the
 * Jenkins stand-in. Prints a table and one JSON line per scenario.
 *
 *   node -r ./scripts/dev/register-ts.js bench/failover.ts [--rounds 20] [--graceful-rounds N] [--crash-rounds N] [--session-ms 2000]
 *                          [--ensemble] [--zk-leader-kills 5] [--force-sync yes|no] [--breakdown] [--trace] [--tls] [--no-reference]
 *
 * --tls: ZooKeeper speaks TLS only (zk.sh start --tls: secureClientPort, ssl.clientAuth=need) and
 * the controllers (and the observer) connect with the test PKI's client certificate, so every
 * reconnect pays a TLS handshake; the scenario names get a `_tls` suffix.
 *
 * Scenarios
 * - graceful_handover: SIGTERM to the leader's controller. Gap = the standby's Jenkins spawned
 *   minus the old Jenkins' exit (its journal's last line). Also the total from SIGTERM.
 * - crash_failover: SIGKILL of the leader's controller AND its Jenkins group. Total = new Jenkins
 *   spawned minus the kill, split into (where the time goes):
 *     detection    kill -> session expired on the server (an observer client's watch on the old
 *                  leader's znode fires; includes the ~1 ms delivery to that observer)
 *     notification expiry -> the standby's predecessor watch fired (its `takeover.phases` log)
 *     decision     watch -> fencing epoch taken (list, owner check, epoch transaction)
 *     launch       epoch -> Jenkins spawned (lock file written, armed shim told to start)
 *     readiness    spawned -> GET /login ready (the stand-in; probed every 250 ms while starting)
 *   The controller's share = notification + decision + launch (target: median <= 20 ms, p95 <= 60 ms).
 * - zk_leader_kill (--ensemble): kill -9 of the ZooKeeper *leader server* while a jenkins-ha
 *   leader runs. Nothing may fail over (no new epoch, no Jenkins start or stop, no fencing); it
 *   measures how long each controller's client was disconnected.
 * - startup: controller process spawned -> its znode created (joined the election).
 * - rss: controllers' resident memory while idle (leader and standby).
 *
 * The reference election (kazoo's Election, bench/reference.ts) runs beside jenkins-ha on the same
 * ZooKeeper (over TLS too with --tls), with its own home and stand-in: each graceful and each crash
 * round of jenkins-ha has one of the reference's, the two alternating (which goes first alternates
 * as well, as in bench/versus.ts). Where the reference has the same measure (gap and total of the
 * handover; total, detection and "expired -> new spawned" of the crash; start-up; the controller
 * process's RSS: the python process) the table shows its median (p95) and jenkins-ha / reference
 * (median over median), and the JSON lines carry `reference` and `ratios`. The phases inside
 * jenkins-ha's takeover (decision, launch, ...) have no counterpart. The reference stops before the
 * ZooKeeper leader kills. --no-reference: jenkins-ha alone (the runner refuses such lines).
 * Times come from CLOCK_MONOTONIC stamps (`mono`) in the controllers' logs, the stand-in's
 * journal and this process, which share the clock.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zookeeper from 'node-zookeeper-client';
import type { StatusSnapshot } from '../src/controller/status';
import type { ZkTlsSettings } from '../src/coordination/zk-tls';
import {
  CLI,
  Checks,
  dist,
  ControllerProcess,
  arg,
  fmt,
  freePort,
  gracefulHandover,
  journal,
  machine,
  mono,
  overlaps,
  pairEnv,
  printTable,
  runMain,
  sleep,
  startZk,
  stats,
  target,
  waitFor,
  watchDeletion,
  type ControllerLogEvent,
  type Stats,
} from './lib';
import { ReferencePair, ensureKazoo, ratio } from './reference';

type NodeId = 'a' | 'b';

const { useTls } = dist<typeof import('../src/coordination/zk-socket')>('coordination/zk-socket');
const { tlsOptions } = dist<typeof import('../src/coordination/zk-tls')>('coordination/zk-tls');

const ROUNDS = Number(arg('rounds', 20));
const GRACEFUL_ROUNDS = Number(arg('graceful-rounds', ROUNDS));
const CRASH_ROUNDS = Number(arg('crash-rounds', ROUNDS));
const SESSION_MS = Number(arg('session-ms', 2000));
const ENSEMBLE = arg('ensemble', false) === true;
const ZK_LEADER_KILLS = ENSEMBLE ? Number(arg('zk-leader-kills', 5)) : 0;
const FORCE_SYNC = String(arg('force-sync', 'yes'));
const BREAKDOWN = arg('breakdown', false) === true;
/** --trace: debug logs, and every log event of both controllers around each graceful handover. */
const TRACE = arg('trace', false) === true;
const TLS = arg('tls', false) === true;
const SETTLE_MS = Number(arg('settle-ms', 1000));
/** --no-reference: jenkins-ha alone (quicker, e.g. with --breakdown); the tables lose their reference columns. */
const REFERENCE = arg('no-reference', false) !== true;
const TARGET = { controllerMedianMs: 20, controllerP95Ms: 60, crashTotalMedianMs: SESSION_MS + 300 };

/** A numeric field of a `takeover.phases` log line. */
function phase(ev: ControllerLogEvent, key: 'decisionMs' | 'launchMs' | 'readinessMs' | 'wokeAt' | 'spawnedAt'): number {
  const v = ev[key];
  if (typeof v !== 'number') throw new Error(`takeover.phases without a numeric ${key}: ${JSON.stringify(ev)}`);
  return v;
}

/** The test PKI of zk.sh --tls as the client's TLS settings (null without --tls). */
function tlsOf(pki: string | null): ZkTlsSettings | null {
  if (!TLS || pki === null) return null;
  return { caFile: path.join(pki, 'ca.pem'), certFile: path.join(pki, 'client.pem'), keyFile: path.join(pki, 'client-key.pem'), serverName: '', minVersion: 'TLSv1.2' };
}

/** The controllers' zk.tls env (empty without --tls). */
function tlsEnv(pki: string | null): Record<string, string> {
  const s = tlsOf(pki);
  if (!s) return {};
  return { JHA_ZK_TLS_ENABLED: 'true', JHA_ZK_TLS_CA_FILE: s.caFile, JHA_ZK_TLS_CERT_FILE: s.certFile, JHA_ZK_TLS_KEY_FILE: s.keyFile };
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js missing: run `npm run build` first');
  const kazoo = REFERENCE ? ensureKazoo() : null;
  const started = mono();
  const m0 = machine();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-bench-'));
  const home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  const zk = await startZk({ ensemble: ENSEMBLE, forceSync: FORCE_SYNC === 'yes', tls: TLS });
  const jenkinsPort = await freePort();
  const apiPorts: Record<NodeId, number> = { a: await freePort(), b: await freePort() };
  const cluster = 'bench';
  const env = { ...pairEnv({ cluster, zkConnect: zk.connect, sessionMs: SESSION_MS, home, jenkinsPort }), ...tlsEnv(zk.pki), ...(TRACE ? { JHA_LOG_LEVEL: 'debug' } : {}) };
  const nodes = {} as Record<NodeId, ControllerProcess>;
  const startNode = (id: NodeId): ControllerProcess => (nodes[id] = new ControllerProcess(id, { ...env, JHA_API_PORT: String(apiPorts[id]) }));
  const observer = zookeeper.createClient(zk.connect, { sessionTimeout: 10000, spinDelay: 100, retries: 0 });
  const tlsSettings = tlsOf(zk.pki);
  if (tlsSettings) useTls(observer, { options: (host) => tlsOptions(tlsSettings, host), onFailure: () => undefined, onSecure: () => undefined });
  observer.connect();
  await new Promise<void>((r) => observer.once('connected', () => r()));

  const roleOf = async (id: NodeId): Promise<string | undefined> => (await nodes[id].status(apiPorts[id]))?.node.role;
  const leaderReady = async (id: NodeId): Promise<StatusSnapshot | null> => {
    const s = await nodes[id].status(apiPorts[id]);
    return s && s.node.role === 'leader' && s.jenkins.ready ? s : null;
  };
  const statusOf = async (id: NodeId): Promise<StatusSnapshot> => {
    const s = await nodes[id].status(apiPorts[id]);
    if (!s) throw new Error(`${id}: GET /status did not answer`);
    return s;
  };

  const startup: number[] = [];
  const record = (c: ControllerProcess): void => {
    const joined = c.find('election.joined');
    if (joined) startup.push(joined.mono - c.spawnedAt);
  };

  startNode('a');
  await waitFor(() => leaderReady('a'), { timeoutMs: 30000, what: 'a leading' });
  startNode('b');
  await waitFor(async () => (await roleOf('b')) === 'standby', { timeoutMs: 30000, what: 'b standby' });
  record(nodes.a);
  record(nodes.b);

  // The reference election (kazoo's Election, bench/reference.ts) on the same ZooKeeper with its own
  // home and stand-in, its rounds alternating with jenkins-ha's (which pair goes first alternates
  // too, as in bench/versus.ts): the reference columns of the table.
  const ref = kazoo === null ? null : new ReferencePair({ zkConnect: zk.connect, electionPath: '/reference/failover/election', sessionMs: SESSION_MS, home: path.join(tmp, 'home-ref'), jenkinsPort: await freePort(), tls: tlsOf(zk.pki) });
  if (ref) {
    fs.mkdirSync(ref.home);
    await ref.up();
  }
  const refS = { gap: [] as number[], total: [] as number[], crashTotal: [] as number[], detection: [] as number[], controller: [] as number[], rssLeader: [] as number[], rssStandby: [] as number[] };
  /** Round i of jenkins-ha and, beside it, the reference's: which goes first alternates by round. */
  const alternate = async (i: number, jha: () => Promise<void>, reference: (r: ReferencePair) => Promise<void>): Promise<void> => {
    if (!ref) return jha();
    for (const turn of i % 2 === 0 ? [jha, () => reference(ref)] : [() => reference(ref), jha]) await turn();
  };

  const rss = { leader: [] as number[], standby: [] as number[] };
  const sampleRss = async (leader: NodeId, standby: NodeId): Promise<void> => {
    await sleep(300);
    rss.leader.push(nodes[leader].rssKb() / 1024);
    rss.standby.push(nodes[standby].rssKb() / 1024);
    if (ref) {
      refS.rssLeader.push(ref.nodes[ref.leader].rssKb() / 1024);
      refS.rssStandby.push(ref.nodes[ref.standby].rssKb() / 1024);
    }
  };

  // The old leader comes back as a standby, so every round starts from an idle pair.
  const restartOld = async (id: NodeId): Promise<void> => {
    startNode(id);
    await waitFor(async () => (await roleOf(id)) === 'standby', { timeoutMs: 20000, what: `${id} back as standby` });
    record(nodes[id]);
  };

  let leader: NodeId = 'a';
  let standby: NodeId = 'b';
  let epochsTaken = 0;
  const graceful = { gap: [] as number[], total: [] as number[], decision: [] as number[], launch: [] as number[] };
  const gracefulRound = async (i: number): Promise<void> => {
    // Measure an idle pair, as in production: let the controller and Jenkins that just started
    // finish their start-up work before the next handover.
    await sleep(SETTLE_MS);
    const old = nodes[leader];
    const h = await gracefulHandover(old, nodes[standby], home);
    const { t0, spawned: s, oldExit } = h;
    graceful.gap.push(h.gap);
    graceful.total.push(h.total);
    await waitFor(() => leaderReady(standby), { timeoutMs: 20000, what: 'new leader ready' });
    const ph = await waitFor(() => nodes[standby].find('takeover.phases', t0), { timeoutMs: 5000, what: 'takeover.phases logged' });
    graceful.decision.push(phase(ph, 'decisionMs'));
    graceful.launch.push(phase(ph, 'launchMs'));
    epochsTaken += 1;
    if (BREAKDOWN) {
      const nw = nodes[standby];
      const at = (c: ControllerProcess, e: string): number => (c.find(e, t0)?.mono ?? NaN) - oldExit.mono;
      console.error(
        `round ${i}: +${at(old, 'jenkins.stopped').toFixed(1)} old saw exit, +${at(old, 'demoted').toFixed(1)} old leaving, ` +
          `+${(phase(ph, 'wokeAt') - oldExit.mono).toFixed(1)} watch fired, +${at(nw, 'elected').toFixed(1)} elected, ` +
          `+${at(nw, 'epoch.taken').toFixed(1)} epoch, +${(s.mono - oldExit.mono).toFixed(1)} spawned (old Jenkins exited at mono ${oldExit.mono.toFixed(3)})`,
      );
    }
    if (TRACE) {
      const lines = [old, nodes[standby]].flatMap((c) => c.events.filter((e) => e.mono >= t0 && e.mono <= s.mono + 1).map((e) => ({ id: c.id, e })));
      lines.sort((x, y) => x.e.mono - y.e.mono);
      for (const { id, e } of lines) console.error(`  ${(e.mono - oldExit.mono).toFixed(1).padStart(7)} ${id} ${e.event} ${String(e.message ?? '').slice(0, 110)}`);
    }
    await restartOld(leader);
    [leader, standby] = [standby, leader];
  };
  const refGracefulRound = async (r: ReferencePair): Promise<void> => {
    await sleep(SETTLE_MS);
    const h = await r.graceful();
    refS.gap.push(h.gap);
    refS.total.push(h.total);
  };
  process.stderr.write(`graceful handover x${GRACEFUL_ROUNDS}${ref ? ' each, alternating with the reference' : ''} `);
  for (let i = 0; i < GRACEFUL_ROUNDS; i++) {
    if (i === 0) await sampleRss(leader, standby);
    await alternate(i, () => gracefulRound(i), refGracefulRound);
    process.stderr.write('.');
  }
  process.stderr.write('\n');

  const crash = { total: [] as number[], detection: [] as number[], notification: [] as number[], decision: [] as number[], launch: [] as number[], readiness: [] as number[], controller: [] as number[] };
  const crashRound = async (i: number): Promise<void> => {
    await sleep(SETTLE_MS);
    const st = await statusOf(leader);
    const sb = await statusOf(standby);
    const expired = await watchDeletion(observer, `/jenkins-ha/${cluster}/election/${sb.election.predecessor}`);
    const t0 = mono();
    nodes[leader].proc.kill('SIGKILL');
    try {
      if (st.jenkins.pid !== null) process.kill(-st.jenkins.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    const s = await waitFor(() => nodes[standby].find('jenkins.started', t0), { timeoutMs: SESSION_MS * 5, what: 'new Jenkins after crash' });
    await waitFor(() => expired() > 0, { timeoutMs: 5000, what: 'observer saw the expiry' });
    const expiredAt = expired();
    await nodes[leader].exited;
    await waitFor(() => leaderReady(standby), { timeoutMs: 20000, what: 'new leader ready' });
    const ph = await waitFor(() => nodes[standby].find('takeover.phases', t0), { timeoutMs: 5000, what: 'takeover.phases logged' });
    epochsTaken += 1;
    crash.total.push(s.mono - t0);
    crash.detection.push(expiredAt - t0);
    crash.notification.push(phase(ph, 'wokeAt') - expiredAt);
    crash.decision.push(phase(ph, 'decisionMs'));
    crash.launch.push(phase(ph, 'launchMs'));
    crash.readiness.push(phase(ph, 'readinessMs'));
    crash.controller.push(phase(ph, 'spawnedAt') - expiredAt);
    if (BREAKDOWN) {
      console.error(
        `round ${i}: detection ${(expiredAt - t0).toFixed(1)}, notification ${(phase(ph, 'wokeAt') - expiredAt).toFixed(1)}, decision ${phase(ph, 'decisionMs')}, ` +
          `launch ${phase(ph, 'launchMs')}, readiness ${phase(ph, 'readinessMs')}`,
      );
    }
    await restartOld(leader);
    [leader, standby] = [standby, leader];
  };
  const refCrashRound = async (r: ReferencePair): Promise<void> => {
    await sleep(SETTLE_MS);
    const c = await r.crash(observer, SESSION_MS * 5);
    refS.crashTotal.push(c.total);
    refS.detection.push(c.detection);
    refS.controller.push(c.controller);
  };
  process.stderr.write(`crash failover x${CRASH_ROUNDS}${ref ? ' each, alternating with the reference' : ''} `);
  for (let i = 0; i < CRASH_ROUNDS; i++) {
    await alternate(i, () => crashRound(i), refCrashRound);
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  await sampleRss(leader, standby);
  // The reference has no counterpart of the ZooKeeper leader kill below: it stops here.
  if (ref) await ref.stop();
  const refOverlaps = ref ? overlaps(ref.home) : null;

  // The same split as the controller exposes it: /metrics of the current leader, which took over
  // after a crash in the last round (when there was one).
  let metricsPhaseCount: number | null = null;
  if (CRASH_ROUNDS > 0) {
    const text = await (await fetch(`http://127.0.0.1:${apiPorts[leader]}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('jenkins_ha_takeover_phase_seconds_count{phase="decision",kind="unplanned"}'));
    metricsPhaseCount = line ? Number(line.split(' ').pop()) : null;
  }

  const zkKill = { rounds: 0, disconnectedMs: [] as number[], unavailableMs: [] as number[], failovers: 0, fenced: 0, jenkinsStops: 0, leaderKept: 0, killedServers: [] as number[] };
  if (ZK_LEADER_KILLS > 0) {
    process.stderr.write(`ZooKeeper leader server kill -9 x${ZK_LEADER_KILLS} `);
    for (let i = 0; i < ZK_LEADER_KILLS; i++) {
      await sleep(SETTLE_MS);
      const zkLeader = await waitFor(() => zk.leaderServer(), { timeoutMs: 20000, what: 'a ZooKeeper leader server' });
      const journalStarts = journal(home).filter((e) => e.ev === 'start').length;
      const t0 = mono();
      await zk.killServer(zkLeader);
      zkKill.killedServers.push(zkLeader);
      // Both controllers back in touch with ZooKeeper: a reply heard after the kill.
      await waitFor(
        async () => {
          const all = await Promise.all((['a', 'b'] as const).map((id) => nodes[id].status(apiPorts[id])));
          return all.every((x) => x && x.zookeeper.state === 'connected' && x.zookeeper.msSinceHeard !== null && x.zookeeper.msSinceHeard < mono() - t0);
        },
        { timeoutMs: SESSION_MS * 10, what: 'both controllers hear ZooKeeper again' },
      );
      const back = mono();
      // Nothing happening cannot be awaited: watch one more session timeout for a late failover.
      await sleep(SESSION_MS);
      for (const id of ['a', 'b'] as const) {
        const n = nodes[id];
        const d = n.find('zk.disconnected', t0);
        const c = d ? n.find('zk.connected', d.mono) : null;
        zkKill.disconnectedMs.push(d ? (c ? c.mono : back) - d.mono : 0);
        zkKill.failovers += n.findAll('epoch.taken', t0).length;
        zkKill.fenced += n.findAll('fenced', t0).length;
        zkKill.jenkinsStops += n.findAll('jenkins.stopping', t0).length;
      }
      zkKill.unavailableMs.push(back - t0);
      const still = await leaderReady(leader);
      if (still && journal(home).filter((e) => e.ev === 'start').length === journalStarts) zkKill.leaderKept += 1;
      await zk.startServer(zkLeader);
      zkKill.rounds += 1;
      process.stderr.write('.');
    }
    process.stderr.write('\n');
  }

  const nOverlaps = overlaps(home);
  for (const n of Object.values(nodes)) n.proc.kill('SIGTERM');
  await Promise.all(Object.values(nodes).map((n) => n.exited));
  observer.close();
  await zk.stop();
  fs.rmSync(tmp, { recursive: true, force: true });

  const mach = machine({
    zk_mode: ENSEMBLE ? 'ensemble-3' : 'standalone',
    zk_transport: TLS ? 'tls' : 'tcp',
    force_sync: FORCE_SYNC,
    session_timeout_ms: SESSION_MS,
    reference: kazoo === null ? null : `kazoo Election, python3-kazoo ${kazoo}`,
    load_at_start: { load1: m0.load1, load5: m0.load5 },
    duration_s: Math.round((mono() - started) / 100) / 10,
  });
  const S = (xs: readonly number[]): Stats => stats(xs);
  const cs = S(crash.controller);
  const ct = S(crash.total);
  // The reference's figures of the same measures, from its rounds of this run (null with --no-reference).
  const rs = ref && {
    gap: S(refS.gap),
    total: S(refS.total),
    crashTotal: S(refS.crashTotal),
    detection: S(refS.detection),
    controller: S(refS.controller),
    startup: S(ref.startup),
    rssLeader: S(refS.rssLeader),
    rssStandby: S(refS.rssStandby),
  };

  // Self-checks: every round produced its samples, every takeover logged its phases, the epoch
  // moved once per takeover, and /metrics counted the unplanned takeovers.
  const checks = new Checks(ENSEMBLE ? 'failover(ensemble)' : 'failover');
  checks.check(graceful.gap.length === GRACEFUL_ROUNDS && graceful.decision.length === GRACEFUL_ROUNDS, `graceful samples ${graceful.gap.length} of ${GRACEFUL_ROUNDS}`);
  checks.check(crash.total.length === CRASH_ROUNDS && crash.notification.every(Number.isFinite), `crash samples ${crash.total.length} of ${CRASH_ROUNDS}`);
  checks.check(crash.detection.every((x) => x > SESSION_MS * 0.5 && x < SESSION_MS * 2), 'detection within 0.5..2 x the session timeout');
  checks.check(epochsTaken === GRACEFUL_ROUNDS + CRASH_ROUNDS, `leader changes ${epochsTaken}`);
  checks.check(startup.length > 0 && rss.leader.length > 0, 'startup and rss samples');
  if (CRASH_ROUNDS > 0) checks.check(metricsPhaseCount !== null && metricsPhaseCount >= 1, `/metrics takeover phase count moved (${metricsPhaseCount})`);
  if (ZK_LEADER_KILLS > 0) {
    checks.check(zkKill.rounds === ZK_LEADER_KILLS && zkKill.disconnectedMs.length === 2 * ZK_LEADER_KILLS, 'zk leader kill rounds');
    checks.check(zkKill.disconnectedMs.some((x) => x > 0), 'the ZooKeeper leader kill disconnected at least one client (the kill happened)');
  }
  checks.check(nOverlaps === 0, `${nOverlaps} overlap(s) of two Jenkins`);
  if (ref && rs) {
    checks.check(rs.gap.n === GRACEFUL_ROUNDS && rs.crashTotal.n === CRASH_ROUNDS, `reference samples: graceful ${rs.gap.n} of ${GRACEFUL_ROUNDS}, crash ${rs.crashTotal.n} of ${CRASH_ROUNDS}`);
    checks.check(rs.startup.n === 2 + GRACEFUL_ROUNDS + CRASH_ROUNDS && rs.rssLeader.n > 0, `reference start-up samples ${rs.startup.n} of ${2 + GRACEFUL_ROUNDS + CRASH_ROUNDS}, rss ${rs.rssLeader.n}`);
    checks.check(refOverlaps === 0, `${refOverlaps} overlap(s) of two Jenkins (reference)`);
  }

  // Each row: jenkins-ha's figures and, where the reference has the same measure, its figures of
  // this run and jenkins-ha / reference (median over median).
  const rows: [string, string, Stats, Stats | null][] = [
    ['graceful_handover', 'gap: old Jenkins exited -> new spawned', S(graceful.gap), rs?.gap ?? null],
    ['graceful_handover', 'total: SIGTERM -> new spawned', S(graceful.total), rs?.total ?? null],
    ['graceful_handover', 'decision: watch fired -> epoch taken', S(graceful.decision), null],
    ['graceful_handover', 'launch: epoch -> Jenkins spawned', S(graceful.launch), null],
    ['crash_failover', 'total: kill -9 -> new spawned', ct, rs?.crashTotal ?? null],
    ['crash_failover', 'detection: kill -> session expired', S(crash.detection), rs?.detection ?? null],
    ['crash_failover', 'notification: expired -> standby watch fired', S(crash.notification), null],
    ['crash_failover', 'decision: watch fired -> epoch taken', S(crash.decision), null],
    ['crash_failover', 'launch: epoch -> Jenkins spawned', S(crash.launch), null],
    ['crash_failover', 'controller share: expired -> new spawned', cs, rs?.controller ?? null],
    ['crash_failover', 'readiness: spawned -> /login ready (stand-in)', S(crash.readiness), null],
    ['startup', 'process spawned -> joined election', S(startup), rs?.startup ?? null],
    ['rss', 'leader controller RSS (MB)', S(rss.leader), rs?.rssLeader ?? null],
    ['rss', 'standby controller RSS (MB)', S(rss.standby), rs?.rssStandby ?? null],
  ];
  if (ZK_LEADER_KILLS > 0) {
    rows.push(['zk_leader_kill', 'controller client disconnected (ms)', S(zkKill.disconnectedMs), null]);
    rows.push(['zk_leader_kill', 'kill -> both controllers heard again (ms)', S(zkKill.unavailableMs), null]);
  }
  const title =
    `jenkins-ha failover benchmark: ${GRACEFUL_ROUNDS} graceful + ${CRASH_ROUNDS} crash rounds; ${mach.zk_mode}, ${TLS ? 'TLS (mutual)' : 'plain TCP'}, forceSync=${FORCE_SYNC}, ` +
    `session ${SESSION_MS} ms; ${mach.cpus} cpus, node ${mach.node}, zookeeper ${mach.zookeeper}; load ${m0.load1} -> ${mach.load1}; overlaps: ${nOverlaps}; ` +
    (kazoo === null ? 'no reference (--no-reference)' : `reference: kazoo Election (python3-kazoo ${kazoo}), rounds alternating, overlaps: ${refOverlaps}`);
  const x = (r: number | null): string => (r === null ? '-' : `${r.toFixed(2)}x`);
  printTable(
    title,
    ['scenario', 'measure', 'n', 'median', 'p95', 'max', 'reference median (p95)', 'jenkins-ha / reference'],
    rows.map(([sc, what, s, r]) => [sc, what, s.n, fmt(s.median), fmt(s.p95), fmt(s.max), r ? `${fmt(r.median)} (${fmt(r.p95)})` : '-', r ? x(ratio(s, r)) : '-']),
  );
  if (ZK_LEADER_KILLS > 0) {
    console.log(
      `zk_leader_kill: ${zkKill.rounds} kills of the ZooKeeper leader server (servers ${zkKill.killedServers.join(',')}): ` +
        `failovers ${zkKill.failovers}, fenced ${zkKill.fenced}, Jenkins stops ${zkKill.jenkinsStops}, leader kept its Jenkins in ${zkKill.leaderKept}/${zkKill.rounds}\n`,
    );
  }

  const suffix = `${ENSEMBLE ? '_ensemble' : ''}${TLS ? '_tls' : ''}`;
  const self = checks.finish();
  const emit = (o: Record<string, unknown>): void => console.log(JSON.stringify({ ...o, overlaps: nOverlaps, reference_overlaps: refOverlaps, self_checks: self, machine: mach }));
  emit({
    scenario: `graceful_handover${suffix}`,
    unit: 'ms',
    rounds: GRACEFUL_ROUNDS,
    gap: S(graceful.gap),
    total: S(graceful.total),
    decision: S(graceful.decision),
    launch: S(graceful.launch),
    reference: rs && { gap: rs.gap, total: rs.total },
    ratios: rs && { gap: ratio(S(graceful.gap), rs.gap), total: ratio(S(graceful.total), rs.total) },
    targets: [target('graceful handover gap median', S(graceful.gap).median, '<=', 10, 'ms'), target('graceful handover gap p95', S(graceful.gap).p95, '<=', 30, 'ms')],
  });
  emit({
    scenario: `crash_failover${suffix}`,
    unit: 'ms',
    rounds: CRASH_ROUNDS,
    total: ct,
    detection: S(crash.detection),
    notification: S(crash.notification),
    decision: S(crash.decision),
    launch: S(crash.launch),
    readiness: S(crash.readiness),
    controller: cs,
    metrics_phase_count: metricsPhaseCount,
    reference: rs && { total: rs.crashTotal, detection: rs.detection, controller: rs.controller },
    ratios: rs && { total: ratio(ct, rs.crashTotal), detection: ratio(S(crash.detection), rs.detection), controller: ratio(cs, rs.controller) },
    targets: [
      target('crash failover total median', ct.median, '<=', TARGET.crashTotalMedianMs, 'ms'),
      target("controller's share (notification+decision+launch) median", cs.median, '<=', TARGET.controllerMedianMs, 'ms'),
      target("controller's share p95", cs.p95, '<=', TARGET.controllerP95Ms, 'ms'),
    ],
  });
  emit({
    scenario: `startup_rss${suffix}`,
    startup_ms: S(startup),
    rss_leader_mb: S(rss.leader),
    rss_standby_mb: S(rss.standby),
    reference: rs && { startup_ms: rs.startup, rss_leader_mb: rs.rssLeader, rss_standby_mb: rs.rssStandby },
    ratios: rs && { startup: ratio(S(startup), rs.startup), rss_leader: ratio(S(rss.leader), rs.rssLeader), rss_standby: ratio(S(rss.standby), rs.rssStandby) },
  });
  if (ZK_LEADER_KILLS > 0) {
    emit({
      scenario: `zk_leader_kill${TLS ? '_tls' : ''}`,
      rounds: zkKill.rounds,
      killed_servers: zkKill.killedServers,
      disconnected_ms: S(zkKill.disconnectedMs),
      until_heard_again_ms: S(zkKill.unavailableMs),
      failovers: zkKill.failovers,
      fenced: zkKill.fenced,
      jenkins_stops: zkKill.jenkinsStops,
      leader_kept: zkKill.leaderKept,
      targets: [
        target('failovers when the ZooKeeper leader server dies', zkKill.failovers, '==', 0),
        target('kills after which the leader had fenced or restarted its Jenkins', zkKill.rounds - zkKill.leaderKept, '==', 0),
      ],
    });
  }
}

runMain(main);
