/**
 * Helpers shared by the benchmarks: arguments, a real controller process (dist/cli.js run) with
 * its JSON events, stats, targets, self-checks and tables. ZooKeeper, polling and the journal
 * check are the tests' own (test/helpers/zk.ts, wait.ts, journal.ts). Times are CLOCK_MONOTONIC
 * ms (`mono`), shared with the controllers' logs and the stand-in's journal.
 *
 * The benchmarks run as TypeScript in place (scripts/dev/register-ts.js, as the chaos suite does);
 * the project's own code they exercise is the build in dist/ (`npm run bench` builds first).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as zookeeper from 'node-zookeeper-client';
import type { StatusSnapshot } from '../src/controller/status';
import { findOverlaps, monoNow, readJournal, type JournalEntry } from '../test/helpers/journal';
import { waitFor } from '../test/helpers/wait';
import { fourLetter, freePortBlock, startZk, type ZkCluster } from '../test/helpers/zk';

export { waitFor };

/**
 * A deployed controller runs with the environment of its systemd unit or container, not of a login
 * shell. Hosts (this VM among them) may export NODE_EXTRA_CA_CERTS pointing at the whole system
 * bundle: Node 20 parses it at every start, ~100 ms of CPU per node process here (an empty
 * `node -e 0`: 0.15 s with it, 0.05 s without), which would be charged to every start-up and every
 * session closer the benchmarks measure. No benchmarked process needs it (plain HTTP, ZooKeeper's
 * CA comes from zk.tls.caFile), so it is removed from this process before anything is spawned,
 * and every JSON line's machine record says so. docs/operating.md has the advice for hosts.
 */
export const EXTRA_CA_CERTS_REMOVED = process.env.NODE_EXTRA_CA_CERTS ?? process.env.BENCH_REMOVED_NODE_EXTRA_CA_CERTS ?? null;
if (EXTRA_CA_CERTS_REMOVED !== null) process.env.BENCH_REMOVED_NODE_EXTRA_CA_CERTS = EXTRA_CA_CERTS_REMOVED; // scenarios run by run.ts say it too
delete process.env.NODE_EXTRA_CA_CERTS;

export const REPO = path.resolve(__dirname, '..');
export const CLI = path.join(REPO, 'dist', 'cli.js');
/** node's flags in the installed `jenkins-ha` wrappers (scripts/install.sh, docker/Dockerfile): a benchmarked controller runs as a deployed one. */
export const CONTROLLER_NODE_FLAGS: readonly string[] = [];
export const STANDIN = path.join(REPO, 'test', 'fixtures', 'jenkins-standin.js');
/** The TypeScript loader the benchmarks run under (`node -r <it> bench/x.ts`). */
export const REGISTER_TS = path.join(REPO, 'scripts', 'dev', 'register-ts.js');

/** Node arguments that run one of the benchmark scripts (bench/<script>.ts) with its arguments. */
export function benchScriptArgs(script: string, args: readonly string[] = []): string[] {
  return ['--require', REGISTER_TS, path.join(__dirname, script), ...args];
}

/** `--name value` on the command line: the value, true for a bare flag, dflt when absent. */
export function arg<T extends string | number | boolean | null>(name: string, dflt: T): string | true | T {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? true : v;
}

export const mono = monoNow;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A free port on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return freePortBlock(1);
}

/** One JSON log line of a benchmarked process (a controller, a reference member) that carries an `event`. */
export interface LogEvent {
  event: string;
  mono: number;
  [k: string]: unknown;
}
/** A controller's log event. */
export type ControllerLogEvent = LogEvent;

/**
 * A process of the benchmark that logs one JSON object per line on stdout: its events (those with
 * `event` and `mono`) as they arrive, and its /proc figures. `onStderr` sees its stderr (drained
 * unread without it).
 */
/** Every process the bench started, for the post-mortem runMain prints when a scenario fails. */
const started: EventProcess[] = [];

export class EventProcess {
  readonly events: LogEvent[] = [];
  /** The exit code (or signal) once the process has exited; undefined while it runs. */
  exit: number | string | undefined;
  /** The last lines of its stderr (a stack trace, a fatal error). */
  private stderrTail = '';
  readonly spawnedAt = mono();
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(
    readonly id: string,
    readonly kind: string,
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    onStderr?: (d: Buffer) => void,
  ) {
    this.proc = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((r) =>
      this.proc.on('exit', (code, signal) => {
        this.exit = code ?? signal ?? undefined;
        r(code);
      }),
    );
    started.push(this);
    if (this.proc.stdout) {
      readline.createInterface({ input: this.proc.stdout }).on('line', (l) => {
        try {
          const j = JSON.parse(l) as Record<string, unknown>;
          if (typeof j.event === 'string' && typeof j.mono === 'number') this.events.push(j as LogEvent);
        } catch {
          /* Jenkins output or a stack trace: not an event */
        }
      });
    }
    this.proc.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
      onStderr?.(d);
    });
  }

  /** Its state, last events and stderr tail: what a failed wait for it needs to be understood. */
  postMortem(): string {
    const last = this.events.slice(-8).map((e) => `    ${e.event}${typeof e.message === 'string' ? ` ${e.message}` : ''}`);
    const stderr = this.stderrTail.trim() ? [`  stderr: ${this.stderrTail.trim().split('\n').slice(-5).join('\n          ')}`] : [];
    return [`${this.kind} ${this.id} (pid ${this.proc.pid ?? '?'}): ${this.exit === undefined ? 'running' : `exited ${this.exit}`}; last events:`, ...last, ...stderr].join('\n');
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error(`${this.kind} ${this.id} did not start`);
    return this.proc.pid;
  }

  find(event: string, after = 0): LogEvent | undefined {
    return this.events.find((e) => e.event === event && e.mono >= after);
  }

  findAll(event: string, after = 0): LogEvent[] {
    return this.events.filter((e) => e.event === event && e.mono >= after);
  }

  /** utime + stime of the process in clock ticks (/proc/<pid>/stat fields 14 and 15). */
  cpuTicks(): number {
    return procCpuTicks(this.pid);
  }

  rssKb(): number {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  }
}

/** A real controller process (dist/cli.js run), its JSON events as they arrive, and its /proc figures. */
export class ControllerProcess extends EventProcess {
  constructor(id: string, env: Record<string, string>) {
    super(id, 'controller', process.execPath, [...CONTROLLER_NODE_FLAGS, CLI, 'run'], { ...process.env, ...env, JHA_NODE_ID: id });
  }

  /** GET /status on the node's API, or null when it does not answer (in 1 s) or answers non-2xx. */
  async status(port: number): Promise<StatusSnapshot | null> {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(1000) });
      return r.ok ? ((await r.json()) as StatusSnapshot) : null;
    } catch {
      return null;
    }
  }
}

/** The stand-in's journal in `home`, read while it is being written (a half-written last line is skipped quietly). */
export function journal(home: string): JournalEntry[] {
  return readJournal(home, { onMalformed: () => undefined });
}

/** The last stop/exit line of a Jenkins before `mono`: the old Jenkins' exit in a handover. */
export function lastExitBefore(home: string, before: number): JournalEntry {
  const e = journal(home)
    .filter((x) => x.mono < before && (x.ev === 'stop' || x.ev === 'exit'))
    .pop();
  if (!e) throw new Error(`no Jenkins exit in the journal before mono ${before.toFixed(3)}`);
  return e;
}

/** The figures of one graceful handover (gracefulHandover). */
export interface Handover {
  /** When the SIGTERM was sent. */
  t0: number;
  /** The new leader's `jenkins.started`. */
  spawned: LogEvent;
  /** The old Jenkins' exit: its journal's last stop/exit line before the spawn. */
  oldExit: JournalEntry;
  /** old Jenkins exited -> new one spawned (ms). */
  gap: number;
  /** SIGTERM -> new Jenkins spawned (ms). */
  total: number;
}

/**
 * One graceful handover of a pair sharing the Jenkins home `home`: SIGTERM to the leader's
 * controller `old`, until `next` logs `jenkins.started` (both jenkins-ha and the reference do).
 */
export async function gracefulHandover(old: EventProcess, next: EventProcess, home: string, timeoutMs = 20000): Promise<Handover> {
  const t0 = mono();
  old.proc.kill('SIGTERM');
  await old.exited;
  const spawned = await waitFor(() => next.find('jenkins.started', t0), { timeoutMs, what: `${next.kind} ${next.id}: new Jenkins spawned` });
  const oldExit = lastExitBefore(home, spawned.mono);
  return { t0, spawned, oldExit, gap: spawned.mono - oldExit.mono, total: spawned.mono - t0 };
}

/**
 * Sets a watch on `znode` (which must exist) through `client`; resolves, once the watch is set, to
 * a function that tells when the watch saw the znode deleted (mono ms; 0 until then): the moment a
 * session's ephemeral znode went (closed, or expired), as an observer sees it.
 */
export function watchDeletion(client: zookeeper.Client, znode: string): Promise<() => number> {
  let goneAt = 0;
  return new Promise((resolve, reject) =>
    client.exists(
      znode,
      (ev) => {
        if (ev.type === zookeeper.Event.NODE_DELETED) goneAt = mono();
      },
      (err, stat) => (err ? reject(err) : stat ? resolve(() => goneAt) : reject(new Error(`${znode} missing`))),
    ),
  );
}

/**
 * Times two Jenkins were alive at once on `home` (test/helpers/journal.ts's check: overlap lines
 * and intersecting lives); each one is printed on stderr.
 */
export function overlaps(home: string): number {
  const found = findOverlaps(readJournal(home));
  for (const o of found) console.error(`OVERLAP: ${o.detail}`);
  return found.length;
}

/** Summary of samples: n, median, p95, max, min (rounded to the µs); undefined fields when there are none. */
export interface Stats {
  n: number;
  median: number | undefined;
  p95: number | undefined;
  max: number | undefined;
  min: number | undefined;
}

export function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number | undefined => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  const r = (x: number | undefined): number | undefined => (x === undefined ? undefined : Math.round(x * 1000) / 1000);
  return { n: s.length, median: r(q(0.5)), p95: r(q(0.95)), max: r(s[s.length - 1]), min: r(s[0]) };
}

export function zkVersion(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'zookeeper']).toString();
  } catch {
    return 'unknown';
  }
}

export { startZk, type ZkCluster };

/** ZooKeeper's `mntr` of one server: numbers where numeric (zk_packets_received, ...), else strings (zk_server_state). */
export async function mntr(port: number): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  for (const line of (await fourLetter(port, 'mntr', 1000)).split('\n')) {
    const [k, v] = line.split('\t');
    if (k && v !== undefined && v !== '') out[k] = Number.isNaN(Number(v)) ? v : Number(v);
  }
  return out;
}

/** A numeric `mntr` field (NaN when absent or not a number). */
export function mntrNum(m: Record<string, number | string>, key: string): number {
  const v = m[key];
  return typeof v === 'number' ? v : NaN;
}

/** utime + stime of a process in clock ticks. */
export function procCpuTicks(pid: number): number {
  const t = procCpuTimes(pid);
  return t.user + t.system;
}

/** utime and stime of a process in clock ticks, apart (/proc/<pid>/stat). */
export function procCpuTimes(pid: number): { user: number; system: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]), system: Number(f[12]) };
}

/** Clock ticks per second (getconf CLK_TCK; 100 on Linux). */
export function clkTck(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
}

/** One target of a scenario, as printed in the runner's Targets table. */
export interface Target {
  target: string;
  value: number | null;
  unit: string;
  met: boolean;
}

/** One target: { target, value, unit, met }; `cmp` is '<=' or '>=' or '=='. */
export function target(name: string, value: number | null | undefined, cmp: '<=' | '>=' | '==', limit: number, unit = ''): Target {
  const ok = typeof value === 'number' && Number.isFinite(value);
  const met = ok && (cmp === '<=' ? value <= limit : cmp === '>=' ? value >= limit : value === limit);
  return { target: `${name} ${cmp} ${limit}${unit ? ` ${unit}` : ''}`, value: ok ? Math.round(value * 1000) / 1000 : null, unit, met };
}

/** What Checks.finish() returns, printed as a JSON line's `self_checks`. */
export interface SelfChecks {
  passed: number;
  failed: string[];
}

/**
 * Self-checks of a scenario: a broken scenario (no samples, counters that did not move) must not
 * print a green table. check() records; finish() prints the failures and sets exit code 1.
 */
export class Checks {
  readonly failed: string[] = [];
  passed = 0;

  constructor(readonly scenario: string) {}

  check(ok: boolean, what: string): boolean {
    if (ok) this.passed += 1;
    else this.failed.push(what);
    return ok;
  }

  finish(): SelfChecks {
    for (const f of this.failed) console.error(`SELF-CHECK FAILED (${this.scenario}): ${f}`);
    if (this.failed.length > 0) process.exitCode = 1;
    return { passed: this.passed, failed: this.failed };
  }
}

export interface Load {
  load1: number;
  load5: number;
  load15: number;
}

/** Load average, to print next to every run (the machine is shared). */
export function loadNow(): Load {
  const [l1 = 0, l5 = 0, l15 = 0] = os.loadavg();
  return { load1: Math.round(l1 * 100) / 100, load5: Math.round(l5 * 100) / 100, load15: Math.round(l15 * 100) / 100 };
}

export type Cell = string | number | undefined;

/** Prints a markdown table: header row, then rows (arrays of cells). */
export function printTable(title: string, header: readonly string[], rows: readonly (readonly Cell[])[]): void {
  console.log(`\n${title}`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('');
}

export const fmt = (x: number | null | undefined, d = 1): string => (x === undefined || x === null || Number.isNaN(x) ? '-' : Number(x).toFixed(d));

/** Environment of a bench controller pair (session timeout, stand-in Jenkins on `jenkinsPort`). */
export function pairEnv(o: { cluster: string; zkConnect: string; sessionMs: number; home: string; jenkinsPort: number }): Record<string, string> {
  return {
    JHA_CLUSTER: o.cluster,
    JHA_ZK_CONNECT: o.zkConnect,
    JHA_ZK_SESSION_TIMEOUT_MS: String(o.sessionMs),
    // scripts/zk.sh's servers tick every 200 ms; at T = 2 s the fencing rule (with the follower
    // refresh lag, docs/safety.md) needs a liveness probe every T/8 rather than the default T/6.
    JHA_ZK_TICK_TIME_MS: '200',
    JHA_ZK_PING_INTERVAL_MS: String(Math.floor(o.sessionMs / 8)),
    JENKINS_HOME: o.home,
    JHA_JENKINS_COMMAND: `exec node ${STANDIN} --httpPort=${o.jenkinsPort}`,
    JHA_JENKINS_URL: `http://127.0.0.1:${o.jenkinsPort}`,
    JHA_JENKINS_HEALTH_INTERVAL_MS: '1000',
    JHA_API_HOST: '127.0.0.1',
    JHA_LOG_FORMAT: 'json',
    JHA_LOG_LEVEL: 'info',
    STANDIN_HEARTBEAT_MS: '200',
  };
}

export interface Machine extends Load {
  cpus: number;
  cpu: string;
  node: string;
  zookeeper: string;
  [k: string]: unknown;
}

export function machine(extra: Record<string, unknown> = {}): Machine {
  return {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? '',
    node: process.version,
    zookeeper: zkVersion(),
    nodeExtraCaCertsRemoved: EXTRA_CA_CERTS_REMOVED,
    ...loadNow(),
    ...extra,
  };
}

/**
 * Loads a compiled module of the project (dist/<rel>.js): the benchmarks run the real build. T is
 * its source's type, e.g. dist<typeof import('../src/election/election')>('election/election').
 */
export function dist<T>(rel: string): T {
  const file = path.join(REPO, 'dist', `${rel}.js`);
  if (!fs.existsSync(file)) throw new Error(`${file} missing: run \`npm run build\` first`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the build's module, typed by its source
  return require(file) as T;
}

/** Runs a benchmark's main(): an error is printed and exits 1. */
export function runMain(main: () => Promise<void>, exitWhenDone = false): void {
  main().then(
    () => {
      if (exitWhenDone) process.exit();
    },
    (err: unknown) => {
      console.error(err);
      // Which of the processes died, and of what (a wait that timed out says only what it waited for).
      for (const p of started) console.error(p.postMortem());
      process.exit(1);
    },
  );
}
