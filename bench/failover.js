#!/usr/bin/env node
/**
 * Failover benchmark: real ZooKeeper (scripts/zk.sh), two real controllers (dist/cli.js), the
 * Jenkins stand-in. Prints a table and one JSON line per scenario.
 *
 *   node bench/failover.js [--rounds 20] [--session-ms 2000] [--ensemble] [--force-sync yes|no] [--breakdown]
 *
 * Scenarios
 * - graceful_handover: SIGTERM to the leader's controller. Gap = the standby's Jenkins spawned
 *   minus the old Jenkins' exit (its journal's last line). Also the total from SIGTERM.
 * - crash_failover: SIGKILL of the leader's controller AND its Jenkins group. Total = new Jenkins
 *   spawned minus the kill; split into detection (kill -> session expired on the server, seen by
 *   an observer client's watch on the old leader's znode) and the controller's share
 *   (expired -> new Jenkins spawned).
 * - startup: controller process spawned -> its znode created (joined the election).
 * - rss: controllers' resident memory while idle (leader and standby).
 * Times come from CLOCK_MONOTONIC stamps (`mono`) in the controllers' logs, the stand-in's
 * journal and this process, which share the clock.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zookeeper = require('node-zookeeper-client');

const { CLI, STANDIN, arg, mono, sleep, waitFor, freePort, freeBlock, Controller, readJournal, overlaps, stats, zkVersion, REPO } = require('./lib');

const ROUNDS = Number(arg('rounds', 20));
const SESSION_MS = Number(arg('session-ms', 2000));
const ENSEMBLE = arg('ensemble', false) === true;
const FORCE_SYNC = String(arg('force-sync', 'yes'));
const BREAKDOWN = arg('breakdown', false) === true;
const SETTLE_MS = Number(arg('settle-ms', 1000));

async function main() {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js missing: run `npm run build` first');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-bench-'));
  const home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  const zkPort = await freeBlock(ENSEMBLE ? 24 : 1);
  const zkArgs = ['start', '--dir', path.join(tmp, 'zk'), '--port', String(zkPort), '--force-sync', FORCE_SYNC];
  if (ENSEMBLE) zkArgs.push('--ensemble');
  const zkConnect = execFileSync('bash', [path.join(REPO, 'scripts', 'zk.sh'), ...zkArgs], { stdio: ['ignore', 'pipe', 'inherit'] })
    .toString()
    .trim()
    .split('\n')
    .pop();
  const jenkinsPort = await freePort();
  const apiPorts = { a: await freePort(), b: await freePort() };
  const cluster = 'bench';
  const env = {
    JHA_CLUSTER: cluster,
    JHA_ZK_CONNECT: zkConnect,
    JHA_ZK_SESSION_TIMEOUT_MS: String(SESSION_MS),
    JENKINS_HOME: home,
    JHA_JENKINS_COMMAND: `exec node ${STANDIN} --httpPort=${jenkinsPort}`,
    JHA_JENKINS_URL: `http://127.0.0.1:${jenkinsPort}`,
    JHA_JENKINS_HEALTH_INTERVAL_MS: '1000',
    JHA_API_HOST: '127.0.0.1',
    JHA_LOG_FORMAT: 'json',
    JHA_LOG_LEVEL: 'info',
    STANDIN_HEARTBEAT_MS: '200',
  };
  const nodes = {};
  const startNode = (id) => {
    nodes[id] = new Controller(id, { ...env, JHA_API_PORT: String(apiPorts[id]) });
    return nodes[id];
  };
  const observer = zookeeper.createClient(zkConnect, { sessionTimeout: 10000, spinDelay: 100, retries: 0 });
  observer.connect();
  await new Promise((r) => observer.once('connected', r));

  const roleOf = async (id) => (await nodes[id].status(apiPorts[id]))?.node.role;
  const leaderReady = async (id) => {
    const s = await nodes[id].status(apiPorts[id]);
    return s && s.node.role === 'leader' && s.jenkins.ready ? s : null;
  };

  const startup = [];
  const record = (c) => {
    const joined = c.find('election.joined');
    if (joined) startup.push(joined.mono - c.spawnedAt);
  };

  startNode('a');
  await waitFor(() => leaderReady('a'), 30000, 'a leading');
  startNode('b');
  await waitFor(async () => (await roleOf('b')) === 'standby', 30000, 'b standby');
  record(nodes.a);
  record(nodes.b);

  const rss = { leader: [], standby: [] };
  const sampleRss = async (leader, standby) => {
    await sleep(300);
    rss.leader.push(nodes[leader].rssKb() / 1024);
    rss.standby.push(nodes[standby].rssKb() / 1024);
  };

  let leader = 'a';
  let standby = 'b';
  const graceful = { gap: [], total: [] };
  process.stderr.write(`graceful handover x${ROUNDS} `);
  for (let i = 0; i < ROUNDS; i++) {
    if (i === 0) await sampleRss(leader, standby);
    // Measure an idle pair, as in production: let the controller and Jenkins that just started
    // finish their start-up work before the next handover.
    await sleep(SETTLE_MS);
    const old = nodes[leader];
    const t0 = mono();
    old.proc.kill('SIGTERM');
    await old.exited;
    const s = await waitFor(() => nodes[standby].find('jenkins.started', t0), 20000, 'new Jenkins spawned');
    const oldExit = readJournal(home)
      .filter((e) => e.mono < s.mono && (e.ev === 'stop' || e.ev === 'exit'))
      .pop();
    graceful.gap.push(s.mono - oldExit.mono);
    graceful.total.push(s.mono - t0);
    if (BREAKDOWN) {
      const nw = nodes[standby];
      const at = (c, e) => (c.find(e, t0)?.mono ?? NaN) - oldExit.mono;
      console.error(
        `round ${i}: +${at(old, 'jenkins.stopped').toFixed(1)} old saw exit, +${at(old, 'demoted').toFixed(1)} old leaving, ` +
          `+${at(nw, 'elected').toFixed(1)} elected, +${at(nw, 'epoch.taken').toFixed(1)} epoch, +${(s.mono - oldExit.mono).toFixed(1)} spawned`,
      );
    }
    await waitFor(() => leaderReady(standby), 20000, 'new leader ready');
    startNode(leader);
    await waitFor(async () => (await roleOf(leader)) === 'standby', 20000, 'old leader back as standby');
    record(nodes[leader]);
    [leader, standby] = [standby, leader];
    process.stderr.write('.');
  }
  process.stderr.write('\n');

  const crash = { total: [], detection: [], controller: [] };
  process.stderr.write(`crash failover x${ROUNDS} `);
  for (let i = 0; i < ROUNDS; i++) {
    await sleep(SETTLE_MS);
    const st = await nodes[leader].status(apiPorts[leader]);
    const sb = await nodes[standby].status(apiPorts[standby]);
    const predPath = `/jenkins-ha/${cluster}/election/${sb.election.predecessor}`;
    let expiredAt = 0;
    await new Promise((resolve, reject) =>
      observer.exists(
        predPath,
        (ev) => {
          if (ev.type === zookeeper.Event.NODE_DELETED) expiredAt = mono();
        },
        (err, stat) => (err ? reject(err) : stat ? resolve() : reject(new Error(`${predPath} missing`))),
      ),
    );
    const t0 = mono();
    nodes[leader].proc.kill('SIGKILL');
    try {
      process.kill(-st.jenkins.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    const s = await waitFor(() => nodes[standby].find('jenkins.started', t0), SESSION_MS * 5, 'new Jenkins after crash');
    await waitFor(() => expiredAt > 0, 5000, 'observer saw the expiry');
    crash.total.push(s.mono - t0);
    crash.detection.push(expiredAt - t0);
    crash.controller.push(s.mono - expiredAt);
    await nodes[leader].exited;
    await waitFor(() => leaderReady(standby), 20000, 'new leader ready');
    startNode(leader);
    await waitFor(async () => (await roleOf(leader)) === 'standby', 20000, 'old leader back as standby');
    record(nodes[leader]);
    [leader, standby] = [standby, leader];
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  await sampleRss(leader, standby);

  const nOverlaps = overlaps(home);
  for (const n of Object.values(nodes)) n.proc.kill('SIGTERM');
  await Promise.all(Object.values(nodes).map((n) => n.exited));
  observer.close();
  execFileSync('bash', [path.join(REPO, 'scripts', 'zk.sh'), 'stop', '--dir', path.join(tmp, 'zk')], { stdio: 'ignore' });
  fs.rmSync(tmp, { recursive: true, force: true });

  const machine = {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? '',
    node: process.version,
    zookeeper: zkVersion(),
    zk_mode: ENSEMBLE ? 'ensemble-3' : 'standalone',
    force_sync: FORCE_SYNC,
    session_timeout_ms: SESSION_MS,
  };
  const rows = [
    ['graceful_handover', 'gap: old Jenkins exited -> new spawned', stats(graceful.gap)],
    ['graceful_handover', 'total: SIGTERM -> new spawned', stats(graceful.total)],
    ['crash_failover', 'total: kill -9 -> new spawned', stats(crash.total)],
    ['crash_failover', 'detection: kill -> session expired', stats(crash.detection)],
    ['crash_failover', 'controller: expired -> new spawned', stats(crash.controller)],
    ['startup', 'process spawned -> joined election', stats(startup)],
    ['rss', 'leader controller RSS (MB)', stats(rss.leader)],
    ['rss', 'standby controller RSS (MB)', stats(rss.standby)],
  ];
  const f = (x) => (x === undefined ? '-' : x.toFixed(1));
  console.log(`\njenkins-ha failover benchmark: ${ROUNDS} rounds each; ${machine.zk_mode}, forceSync=${FORCE_SYNC}, session ${SESSION_MS} ms; ` +
    `${machine.cpus} cpus, node ${machine.node}, zookeeper ${machine.zookeeper}; overlaps: ${nOverlaps}`);
  console.log('| scenario | measure | n | median | p95 | max |');
  console.log('|---|---|---|---|---|---|');
  for (const [sc, what, s] of rows) console.log(`| ${sc} | ${what} | ${s.n} | ${f(s.median)} | ${f(s.p95)} | ${f(s.max)} |`);
  console.log('');
  for (const [sc, what, s] of rows) {
    console.log(JSON.stringify({ scenario: sc, measure: what, unit: sc === 'rss' ? 'MB' : 'ms', ...s, overlaps: nOverlaps, machine }));
  }
  if (nOverlaps > 0) {
    console.error(`FAIL: ${nOverlaps} overlap(s) of two Jenkins`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
