/**
 * Helpers shared by the benchmarks (same patterns as bench/failover.js): ports, polling, a real
 * controller process (dist/cli.js run) with its JSON events, the stand-in's journal, stats, and a
 * ZooKeeper started by scripts/zk.sh. Times are CLOCK_MONOTONIC ms (`mono`), shared with the
 * controllers' logs and the stand-in's journal.
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const readline = require('node:readline');

const REPO = path.resolve(__dirname, '..');
const CLI = path.join(REPO, 'dist', 'cli.js');
const STANDIN = path.join(REPO, 'test', 'fixtures', 'jenkins-standin.js');
const ZK_SH = path.join(REPO, 'scripts', 'zk.sh');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? true : v;
}

const mono = () => Number(process.hrtime.bigint() / 1000n) / 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function freeBlock(size) {
  for (let i = 0; i < 50; i++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    let ok = true;
    for (let p = base; p < base + size && ok; p++) {
      ok = await new Promise((resolve) => {
        const s = net.createServer();
        s.once('error', () => resolve(false));
        s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
      });
    }
    if (ok) return base;
  }
  throw new Error('no free port block');
}

class Controller {
  constructor(id, env) {
    this.id = id;
    this.events = [];
    this.spawnedAt = mono();
    this.proc = spawn(process.execPath, [CLI, 'run'], { env: { ...process.env, ...env, JHA_NODE_ID: id }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((r) => this.proc.on('exit', r));
    readline.createInterface({ input: this.proc.stdout }).on('line', (l) => {
      try {
        const j = JSON.parse(l);
        if (j.event) this.events.push(j);
      } catch {
        /* Jenkins output or a stack trace: not an event */
      }
    });
    this.proc.stderr.resume();
  }
  find(event, after = 0) {
    return this.events.find((e) => e.event === event && e.mono >= after);
  }
  findAll(event, after = 0) {
    return this.events.filter((e) => e.event === event && e.mono >= after);
  }
  /** utime + stime of the process in clock ticks (/proc/<pid>/stat fields 14 and 15). */
  cpuTicks() {
    return procCpuTicks(this.proc.pid);
  }
  rssKb() {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${this.proc.pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  }
  async status(port) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(1000) });
      return r.ok ? await r.json() : null;
    } catch {
      return null;
    }
  }
}

function readJournal(home) {
  const f = path.join(home, 'standin-journal.jsonl');
  if (!fs.existsSync(f)) return [];
  return fs
    .readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return null;
      }
    })
    .filter(Boolean);
}

/** Count overlaps: explicit presence-socket hits plus intersecting [start, last line] intervals. */
function overlaps(home) {
  const j = readJournal(home);
  let n = j.filter((e) => e.ev === 'overlap').length;
  const lives = new Map();
  for (const e of j) {
    const l = lives.get(e.pid) ?? { start: e.mono, end: e.mono };
    l.start = Math.min(l.start, e.mono);
    l.end = Math.max(l.end, e.mono);
    lives.set(e.pid, l);
  }
  const ls = [...lives.values()].sort((a, b) => a.start - b.start);
  for (let i = 1; i < ls.length; i++) if (ls[i].start <= ls[i - 1].end) n += 1;
  return n;
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  const r = (x) => (x === undefined ? undefined : Math.round(x * 1000) / 1000);
  return { n: s.length, median: r(q(0.5)), p95: r(q(0.95)), max: r(s[s.length - 1]), min: r(s[0]) };
}

function zkVersion() {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'zookeeper']).toString();
  } catch {
    return 'unknown';
  }
}

/**
 * Starts ZooKeeper with scripts/zk.sh in `dir`; returns its connect string, client ports, stop(),
 * and per-server controls for an ensemble: kill(n) (SIGKILL), start(n) (waits until it serves),
 * leader() (the server number whose `srvr` says `Mode: leader`, or null).
 */
async function startZk(dir, { ensemble = false, forceSync = 'yes' } = {}) {
  const port = await freeBlock(ensemble ? 24 : 1);
  const args = ['start', '--dir', dir, '--port', String(port), '--force-sync', forceSync];
  if (ensemble) args.push('--ensemble');
  const connect = execFileSync('bash', [ZK_SH, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    .toString()
    .trim()
    .split('\n')
    .pop();
  const ports = connect.split(',').map((hp) => Number(hp.split(':')[1]));
  const zkSh = (...a) => execFileSync('bash', [ZK_SH, ...a, '--dir', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    connect,
    ports,
    dir,
    stop: () => execFileSync('bash', [ZK_SH, 'stop', '--dir', dir], { stdio: 'ignore' }),
    kill: (n) => zkSh('kill', '--server', String(n)),
    start: (n) => zkSh('start', '--server', String(n)),
    async leader() {
      for (let i = 0; i < ports.length; i++) if (/^Mode: leader/m.test(await fourLetter(ports[i], 'srvr'))) return i + 1;
      return null;
    },
  };
}

/** Sends a four-letter word to 127.0.0.1:port; resolves with the reply ('' if none in timeoutMs). */
function fourLetter(port, word, timeoutMs = 1000) {
  return new Promise((resolve) => {
    let data = '';
    const sock = net.connect({ port, host: '127.0.0.1' });
    const done = () => {
      clearTimeout(t);
      sock.destroy();
      resolve(data);
    };
    const t = setTimeout(done, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(word));
    sock.on('data', (d) => (data += d));
    sock.on('close', done);
    sock.on('error', done);
  });
}

/** ZooKeeper's `mntr` of one server: numbers where numeric (zk_packets_received, ...), else strings (zk_server_state). */
async function mntr(port) {
  const out = {};
  for (const line of (await fourLetter(port, 'mntr')).split('\n')) {
    const [k, v] = line.split('\t');
    if (k && v !== undefined && v !== '') out[k] = Number.isNaN(Number(v)) ? v : Number(v);
  }
  return out;
}

/** utime + stime of a process in clock ticks. */
function procCpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Clock ticks per second (getconf CLK_TCK; 100 on Linux). */
function clkTck() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
}

/** One target of the issue: { target, value, unit, met }; `cmp` is '<=' or '>=' or '=='. */
function target(name, value, cmp, limit, unit = '') {
  const ok = typeof value === 'number' && Number.isFinite(value);
  const met = ok && (cmp === '<=' ? value <= limit : cmp === '>=' ? value >= limit : value === limit);
  return { target: `${name} ${cmp} ${limit}${unit ? ` ${unit}` : ''}`, value: ok ? Math.round(value * 1000) / 1000 : null, unit, met };
}

/**
 * Self-checks of a scenario: a broken scenario (no samples, counters that did not move) must not
 * print a green table. check() records; finish() prints the failures and sets exit code 1.
 */
class Checks {
  constructor(scenario) {
    this.scenario = scenario;
    this.failed = [];
    this.passed = 0;
  }
  check(ok, what) {
    if (ok) this.passed += 1;
    else this.failed.push(what);
    return ok;
  }
  finish() {
    for (const f of this.failed) console.error(`SELF-CHECK FAILED (${this.scenario}): ${f}`);
    if (this.failed.length > 0) process.exitCode = 1;
    return { passed: this.passed, failed: this.failed };
  }
}

/** Load average and uptime, to print next to every run (the machine is shared). */
function loadNow() {
  const [l1, l5, l15] = os.loadavg();
  return { load1: Math.round(l1 * 100) / 100, load5: Math.round(l5 * 100) / 100, load15: Math.round(l15 * 100) / 100 };
}

/** Prints a markdown table: header row, then rows (arrays of cells). */
function printTable(title, header, rows) {
  console.log(`\n${title}`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('');
}

const fmt = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? '-' : Number(x).toFixed(d));

/** Environment of a bench controller pair (session timeout, stand-in Jenkins on `jenkinsPort`). */
function pairEnv({ cluster, zkConnect, sessionMs, home, jenkinsPort }) {
  return {
    JHA_CLUSTER: cluster,
    JHA_ZK_CONNECT: zkConnect,
    JHA_ZK_SESSION_TIMEOUT_MS: String(sessionMs),
    JENKINS_HOME: home,
    JHA_JENKINS_COMMAND: `exec node ${STANDIN} --httpPort=${jenkinsPort}`,
    JHA_JENKINS_URL: `http://127.0.0.1:${jenkinsPort}`,
    JHA_JENKINS_HEALTH_INTERVAL_MS: '1000',
    JHA_API_HOST: '127.0.0.1',
    JHA_LOG_FORMAT: 'json',
    JHA_LOG_LEVEL: 'info',
    STANDIN_HEARTBEAT_MS: '200',
  };
}

function machine(extra = {}) {
  return { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', node: process.version, zookeeper: zkVersion(), ...loadNow(), ...extra };
}

/** Loads a compiled module of the project (dist/<rel>.js): the benchmarks run the real code. */
function dist(rel) {
  const file = path.join(REPO, 'dist', `${rel}.js`);
  if (!fs.existsSync(file)) throw new Error(`${file} missing: run \`npm run build\` first`);
  return require(file);
}

module.exports = {
  REPO,
  CLI,
  STANDIN,
  arg,
  mono,
  sleep,
  waitFor,
  freePort,
  freeBlock,
  Controller,
  readJournal,
  overlaps,
  stats,
  zkVersion,
  startZk,
  pairEnv,
  machine,
  fourLetter,
  mntr,
  procCpuTicks,
  clkTck,
  target,
  Checks,
  loadNow,
  printTable,
  fmt,
  dist,
};
