/**
 * Start-up A/B (docs/benchmarks.md, start-up): one ZooKeeper (scripts/zk.sh), and per variant a
 * leader that stays up and a standby restarted --n times, the variants alternating (which goes
 * first alternates too), so both see the same load. Each standby runs under
 * scripts/dev/startup-probe.js; per start-up one line, then the medians per variant: wall ms from
 * spawn to `started` / `zk.session` / `election.joined`, and CPU ms (user + system) at node's boot,
 * at `started` and at `election.joined`.
 *
 *   node scripts/dev/startup-ab.js [--n 10] [--variant NAME=REPO[,NODE_ARGS]] ...
 *
 * A variant is a tree with a built dist/ (default: this repository), e.g. a `git worktree` of
 * another commit; NODE_ARGS are extra node arguments of its standby, space-separated.
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const REPO = path.resolve(__dirname, '../..');
const PROBE = path.join(__dirname, 'startup-probe.js');
const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const N = Number(opt('n', 10));
const variants = argv
  .flatMap((a, i) => (a === '--variant' ? [argv[i + 1]] : []))
  .map((v) => {
    // Split at the first '=' and the first ',' only: node flags may carry values (--max-semi-space-size=1).
    const eq = v.indexOf('=');
    const [name, rest] = [v.slice(0, eq), v.slice(eq + 1)];
    const comma = rest.indexOf(',');
    const [repo, nodeArgs] = comma < 0 ? [rest, ''] : [rest.slice(0, comma), rest.slice(comma + 1)];
    return { name, repo: path.resolve(repo), nodeArgs: nodeArgs ? nodeArgs.split(' ') : [] };
  });
if (variants.length === 0) variants.push({ name: 'this', repo: REPO, nodeArgs: [] });

const mono = () => Number(process.hrtime.bigint() / 1000n) / 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
async function waitFor(f, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r1 = (x) => Math.round(x * 10) / 10;

function start(v, id, env, probe) {
  const args = [...(probe ? [...v.nodeArgs, '-r', PROBE] : []), path.join(v.repo, 'dist', 'cli.js'), 'run'];
  const spawnedAt = mono();
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env, JHA_NODE_ID: id }, stdio: ['ignore', 'pipe', 'pipe'] });
  const m = { proc, spawnedAt, events: [], probe: null, exited: new Promise((r) => proc.on('exit', r)) };
  readline.createInterface({ input: proc.stdout }).on('line', (l) => {
    try {
      const j = JSON.parse(l);
      if (typeof j.event === 'string') m.events.push(j);
    } catch {
      /* not a log line */
    }
  });
  readline.createInterface({ input: proc.stderr }).on('line', (l) => {
    if (l.startsWith('PROBE ')) m.probe = JSON.parse(l.slice(6));
  });
  return m;
}

async function main() {
  const zkDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-startup-zk-'));
  const zkOut = execFileSync('bash', [path.join(REPO, 'scripts/zk.sh'), 'start', '--dir', zkDir, '--port', String(await freePort())], { encoding: 'utf8' });
  const connect = zkOut.trim().split('\n').pop();
  const rows = Object.fromEntries(variants.map((v) => [v.name, []]));
  try {
    for (const v of variants) {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-startup-home-'));
      fs.chmodSync(home, 0o755);
      const jenkinsPort = await freePort();
      v.env = {
        JHA_CLUSTER: `startup-${v.name}`,
        JHA_ZK_CONNECT: connect,
        JHA_ZK_SESSION_TIMEOUT_MS: '2000',
        JHA_ZK_TICK_TIME_MS: '200',
        JHA_ZK_PING_INTERVAL_MS: '250',
        JENKINS_HOME: home,
        JHA_JENKINS_COMMAND: `exec node ${path.join(REPO, 'test/fixtures/jenkins-standin.js')} --httpPort=${jenkinsPort}`,
        JHA_JENKINS_URL: `http://127.0.0.1:${jenkinsPort}`,
        JHA_API_HOST: '127.0.0.1',
        JHA_LOG_FORMAT: 'json',
        JHA_LOG_LEVEL: 'info',
      };
      v.apiB = String(await freePort());
      v.leader = start(v, 'a', { ...v.env, JHA_API_PORT: String(await freePort()) }, false);
      await waitFor(() => v.leader.events.find((e) => e.event === 'jenkins.started'), 30000, `${v.name}: leader`);
    }
    for (let i = 0; i < N; i++) {
      for (const v of i % 2 ? [...variants].reverse() : variants) {
        await sleep(300);
        const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
        const b = start(v, 'b', { ...v.env, JHA_API_PORT: v.apiB }, true);
        // A standby, or a leader when the variant's leader resigned (its stand-in found its port taken:
        // ports are picked by binding port 0 and releasing it); both joined the same way.
        await waitFor(() => b.events.find((e) => e.event === 'role' && (e.to === 'standby' || e.to === 'leader')) && b.probe, 30000, `${v.name}: standby`);
        const at = (e) => {
          const x = b.events.find((y) => y.event === e);
          return x ? r1(x.mono - b.spawnedAt) : null;
        };
        const m = b.probe.marks;
        const row = {
          load: Number(load),
          started: at('started'),
          session: at('zk.session'),
          joined: at('election.joined'),
          cpuBoot: r1(m.preload.cpu),
          cpuStarted: r1(m.started.cpu),
          cpuJoined: r1(m['election.joined'].cpu),
          mods: b.probe.mods,
        };
        rows[v.name].push(row);
        const { mods, ...shown } = row;
        void mods;
        console.log(v.name, JSON.stringify(shown));
        b.proc.kill('SIGTERM');
        await b.exited;
      }
    }
  } finally {
    for (const v of variants) {
      if (!v.leader) continue;
      v.leader.proc.kill('SIGTERM');
      await v.leader.exited;
    }
    execFileSync('bash', [path.join(REPO, 'scripts/zk.sh'), 'kill', '--dir', zkDir]);
  }
  for (const v of variants) {
    const rs = rows[v.name];
    const med = Object.fromEntries(['load', 'started', 'session', 'joined', 'cpuBoot', 'cpuStarted', 'cpuJoined'].map((k) => [k, median(rs.map((r) => r[k]))]));
    console.log(`median ${v.name} (n ${rs.length})`, JSON.stringify(med));
    const owners = [...new Set(rs.flatMap((r) => Object.keys(r.mods)))];
    const byOwner = owners.map((o) => [o, median(rs.map((r) => r.mods[o] ?? 0))]).sort((a, b) => b[1] - a[1]);
    console.log(`median ${v.name} module-loading CPU ms, total ${r1(median(rs.map((r) => Object.values(r.mods).reduce((s, x) => s + x, 0))))}:`);
    for (const [o, ms] of byOwner.slice(0, 25)) console.log(`  ${ms.toFixed(1).padStart(6)}  ${o}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
