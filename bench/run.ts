/**
 * The benchmark suite: runs every scenario in sequence (each a script of its own, in a process of
 * its own), passes its tables through, checks its JSON lines, and ends with a summary of every
 * target (met / missed, with the measured number). Builds nothing: `npm run bench` builds first.
 *
 *   npm run bench -- [--quick] [--only failover,herd,...] [--skip failover-ensemble-tls,...] [--list]
 *   (= node -r ./scripts/dev/register-ts.js bench/run.ts ...)
 *
 * --quick runs tiny sizes (a smoke test of the whole suite, used by test/integration/bench.test.ts);
 * its numbers mean nothing. Exit code: 0 when every scenario ran and passed its self-checks and
 * the runner's checks of its JSON lines; 1 otherwise. A missed target is reported, not an error.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { CLI, arg, benchScriptArgs, fmt, loadNow, machine, mono, printTable, target, type Load, type Target } from './lib';

/** A scenario's JSON line as the runner reads it (fields vary by scenario). */
export type Line = Record<string, unknown>;
type Json = Record<string, unknown>;

export interface Scenario {
  name: string;
  /** bench/<script>, run with the TypeScript loader. */
  script: string;
  full: string[];
  quick: string[];
  /** For each JSON line the scenario must print (by its `scenario` field): a check of its fields. */
  expect: Record<string, (j: Json, args: readonly string[]) => boolean>;
  /** Targets derived here, for a scenario whose lines carry none of their own. */
  targets?: Record<string, (j: Json) => Target[]>;
}

export interface Run {
  sc: Scenario;
  args: string[];
  code: number;
  signal: string | null;
  lines: Line[];
}

interface TimedRun extends Run {
  seconds: number;
  load0: Load;
  load1: Load;
}

// The lines are untyped JSON. A check reads a field with at()/list(), which throw on a line of the
// wrong shape (verify() reports that as a problem of the scenario).
const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const obj = (x: unknown): Json => (isObj(x) ? x : {});
function at(x: unknown, ...keys: string[]): unknown {
  let o = x;
  for (const [i, k] of keys.entries()) {
    if (!isObj(o) || !(k in o)) throw new Error(`no field ${keys.slice(0, i + 1).join('.')}`);
    o = o[k];
  }
  return o;
}
function list(x: unknown): unknown[] {
  if (!Array.isArray(x)) throw new Error('a list field is not a list');
  return x;
}
const statsOk = (s: unknown, n: number): boolean => isObj(s) && s.n === n && num(s.median) && num(s.max);
const gt = (x: unknown, limit: number): boolean => num(x) && x > limit;
/**
 * bench/failover.ts's lines: the reference ran beside jenkins-ha (no overlap of two Jenkins either)
 * and each measure it shares has its ratio, jenkins-ha / reference (null: a side without samples).
 */
const ratiosOk = (j: Json, keys: readonly string[]): boolean => j.reference_overlaps === 0 && keys.every((k) => num(at(j, 'ratios', k)));
const GRACEFUL_RATIOS = ['gap', 'total'];
const CRASH_RATIOS = ['total', 'detection', 'controller'];
const STARTUP_RATIOS = ['startup', 'rss_leader', 'rss_standby'];

function argOf(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
}
function rounds(args: readonly string[]): number {
  return Number(argOf(args, 'rounds'));
}

/**
 * Each scenario: the script and its arguments (full and quick), the JSON lines it must print, and
 * a check of each line's fields (a broken scenario must not print a green summary).
 */
export const SCENARIOS: Scenario[] = [
  {
    name: 'failover',
    script: 'failover.ts',
    full: ['--rounds', '20'],
    quick: ['--rounds', '1', '--settle-ms', '300'],
    expect: {
      graceful_handover: (j, a) => statsOk(j.gap, rounds(a)) && j.overlaps === 0 && ratiosOk(j, GRACEFUL_RATIOS),
      crash_failover: (j, a) =>
        statsOk(j.controller, rounds(a)) && statsOk(j.detection, rounds(a)) && num(j.metrics_phase_count) && j.metrics_phase_count >= 1 && j.overlaps === 0 && ratiosOk(j, CRASH_RATIOS),
      startup_rss: (j) => gt(at(j, 'startup_ms', 'n'), 0) && gt(at(j, 'rss_leader_mb', 'median'), 10) && ratiosOk(j, STARTUP_RATIOS),
    },
  },
  {
    name: 'failover-ensemble',
    script: 'failover.ts',
    full: ['--ensemble', '--rounds', '10', '--zk-leader-kills', '5'],
    quick: ['--ensemble', '--rounds', '1', '--zk-leader-kills', '1', '--settle-ms', '300'],
    expect: {
      graceful_handover_ensemble: (j, a) => statsOk(j.gap, rounds(a)) && j.overlaps === 0 && ratiosOk(j, GRACEFUL_RATIOS),
      crash_failover_ensemble: (j, a) => statsOk(j.controller, rounds(a)) && j.overlaps === 0 && ratiosOk(j, CRASH_RATIOS),
      startup_rss_ensemble: (j) => gt(at(j, 'startup_ms', 'n'), 0) && ratiosOk(j, STARTUP_RATIOS),
      zk_leader_kill: (j, a) =>
        num(j.rounds) && j.rounds === Number(argOf(a, 'zk-leader-kills')) && at(j, 'disconnected_ms', 'n') === 2 * j.rounds && gt(at(j, 'disconnected_ms', 'max'), 0),
    },
  },
  {
    name: 'crash',
    script: 'crash.ts',
    full: ['--rounds', '10'],
    quick: ['--rounds', '1', '--settle-ms', '300'],
    expect: {
      controller_crash: (j, a) => statsOk(j.total, rounds(a)) && statsOk(j.session_gone, rounds(a)) && j.overlaps === 0,
    },
  },
  {
    // The same over TLS (zk.sh start --tls, mutual TLS): the handshake is on every (re)connect.
    name: 'failover-tls',
    script: 'failover.ts',
    full: ['--tls', '--rounds', '20'],
    quick: ['--tls', '--rounds', '1', '--settle-ms', '300'],
    expect: {
      graceful_handover_tls: (j, a) => statsOk(j.gap, rounds(a)) && j.overlaps === 0 && ratiosOk(j, GRACEFUL_RATIOS),
      crash_failover_tls: (j, a) => statsOk(j.controller, rounds(a)) && statsOk(j.detection, rounds(a)) && j.overlaps === 0 && ratiosOk(j, CRASH_RATIOS),
      startup_rss_tls: (j) => gt(at(j, 'startup_ms', 'n'), 0) && ratiosOk(j, STARTUP_RATIOS),
    },
  },
  {
    name: 'failover-ensemble-tls',
    script: 'failover.ts',
    full: ['--tls', '--ensemble', '--rounds', '10', '--zk-leader-kills', '5'],
    quick: ['--tls', '--ensemble', '--rounds', '1', '--zk-leader-kills', '1', '--settle-ms', '300'],
    expect: {
      graceful_handover_ensemble_tls: (j, a) => statsOk(j.gap, rounds(a)) && j.overlaps === 0 && ratiosOk(j, GRACEFUL_RATIOS),
      crash_failover_ensemble_tls: (j, a) => statsOk(j.controller, rounds(a)) && j.overlaps === 0 && ratiosOk(j, CRASH_RATIOS),
      startup_rss_ensemble_tls: (j) => gt(at(j, 'startup_ms', 'n'), 0) && ratiosOk(j, STARTUP_RATIOS),
      zk_leader_kill_tls: (j, a) =>
        num(j.rounds) && j.rounds === Number(argOf(a, 'zk-leader-kills')) && at(j, 'disconnected_ms', 'n') === 2 * j.rounds && gt(at(j, 'disconnected_ms', 'max'), 0),
    },
  },
  {
    name: 'herd',
    script: 'herd.ts',
    full: ['--sizes', '10,50,100', '--changes', '10'],
    quick: ['--sizes', '3,6', '--changes', '2'],
    expect: {
      herd: (j) => {
        const results = list(at(j, 'results'));
        return (
          results.length === 3 * list(at(j, 'sizes')).length &&
          results.every((r) => gt(at(r, 'changes'), 0) && at(r, 'woken', 'n') === at(r, 'changes') && num(at(r, 'requests', 'median')) && (at(r, 'requests', 'median') as number) >= 1)
        );
      },
    },
  },
  {
    name: 'clusters',
    script: 'clusters.ts',
    full: ['--clusters', '100', '--storm', '10', '--single-rounds', '10', '--storm-rounds', '3', '--idle-s', '30'],
    quick: ['--clusters', '4', '--storm', '2', '--single-rounds', '2', '--storm-rounds', '1', '--idle-s', '2'],
    expect: {
      clusters: (j) =>
        gt(at(j, 'single_gap_ms', 'n'), 0) &&
        num(j.storm) &&
        at(j, 'storm_gap_ms', 'n') === j.storm * list(at(j, 'storms')).length &&
        gt(at(j, 'idle', 'probes_per_s_per_node'), 0) &&
        num(at(j, 'idle', 'sessions')) &&
        num(j.sessions) &&
        (at(j, 'idle', 'sessions') as number) >= j.sessions,
    },
  },
  {
    name: 'footprint',
    script: 'footprint.ts',
    full: ['--idle-s', '60', '--startups', '5'],
    quick: ['--idle-s', '2', '--startups', '1', '--settle-ms', '500'],
    expect: {
      footprint: (j) =>
        gt(at(j, 'leader', 'rss_mb', 'n'), 0) &&
        gt(at(j, 'standby', 'rss_mb', 'n'), 0) &&
        num(at(j, 'leader', 'cpu_pct')) &&
        gt(at(j, 'startup_joined_ms', 'n'), 0) &&
        num(at(j, 'ratios', 'startup_joined')) &&
        num(at(j, 'ratios', 'leader_tree_rss')) &&
        num(at(j, 'ratios', 'standby_tree_pss')),
    },
  },
  {
    name: 'status-load',
    script: 'status-load.ts',
    full: ['--duration', '10', '--rounds', '10'],
    quick: ['--duration', '1', '--rounds', '1', '--settle-ms', '300'],
    expect: {
      status_load: (j) => gt(j.requests, 0) && gt(j.rps, 0) && num(at(j, 'latency_ms', 'p99')),
      graceful_handover_under_load: (j, a) => statsOk(j.gap, rounds(a)) && j.overlaps === 0 && gt(at(j, 'load', 'requests'), 0),
    },
    // status-load predates the suite's target format: derive its targets here.
    targets: {
      status_load: (j) => [
        target('status API GET /status requests/s', j.rps as number, '>=', at(j, 'target', 'rps') as number),
        target('status API latency p99', at(j, 'latency_ms', 'p99') as number, '<=', at(j, 'target', 'p99Ms') as number, 'ms'),
      ],
    },
  },
  {
    name: 'versus',
    script: 'versus.ts',
    full: ['--rounds', '20', '--kill-rounds', '5', '--idle-s', '10'],
    quick: ['--rounds', '1', '--kill-rounds', '1', '--kill-session-ms', '2000', '--idle-s', '1', '--idle-settle-s', '0', '--settle-ms', '300'],
    expect: {
      versus: (j) => {
        const results = list(at(j, 'results'));
        return results.length === 7 && results.every((r) => num(at(r, 'ratio')) && gt(at(r, 'jenkins_ha', 'n'), 0) && gt(at(r, 'reference', 'n'), 0)) && j.overlaps === 0;
      },
    },
  },
];

function runScenario(sc: Scenario, quick: boolean): Promise<TimedRun> {
  const args = quick ? sc.quick : sc.full;
  const load0 = loadNow();
  const t0 = mono();
  process.stderr.write(`\n== ${sc.name}: bench/${sc.script} ${args.join(' ')} (load ${load0.load1}) ==\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, benchScriptArgs(sc.script, args), { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Line[] = [];
    readline.createInterface({ input: child.stdout }).on('line', (l) => {
      console.log(l);
      if (l.startsWith('{')) {
        try {
          lines.push(obj(JSON.parse(l)));
        } catch {
          /* not a result line */
        }
      }
    });
    child.on('close', (code, signal) => resolve({ sc, args, code: code ?? 128, signal, lines, seconds: (mono() - t0) / 1000, load0, load1: loadNow() }));
  });
}

/** The runner's own checks of a scenario's output; returns a list of problems. */
export function verify(run: Run): string[] {
  const problems: string[] = [];
  if (run.code !== 0) problems.push(`exited with ${run.code}${run.signal ? ` (${run.signal})` : ''}`);
  for (const [name, ok] of Object.entries(run.sc.expect)) {
    const j = run.lines.find((l) => l.scenario === name);
    if (!j) {
      problems.push(`no JSON line for ${name}`);
      continue;
    }
    let good = false;
    try {
      good = ok(j, run.args) === true;
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
      continue;
    }
    if (!good) problems.push(`${name}: implausible fields (counters did not move or samples missing)`);
    const failed = obj(j.self_checks).failed;
    if (Array.isArray(failed) && failed.length > 0) problems.push(`${name}: self-checks failed: ${failed.join('; ')}`);
  }
  return problems;
}

/** The targets a line carries, or those the runner derives for it. */
function targetsOf(run: Run, j: Line): Target[] {
  if (Array.isArray(j.targets)) return j.targets as Target[];
  const derive = typeof j.scenario === 'string' ? run.sc.targets?.[j.scenario] : undefined;
  return derive ? derive(j) : [];
}

async function main(): Promise<void> {
  const quick = arg('quick', false) === true;
  if (arg('list', false) === true) {
    for (const sc of SCENARIOS) console.log(`${sc.name}\tbench/${sc.script} ${sc.full.join(' ')}`);
    return;
  }
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js missing: run `npm run build` first (npm run bench does)');
  const names = (key: string): string[] | null => {
    const v = arg(key, null);
    return typeof v === 'string' ? v.split(',') : null;
  };
  const wanted = names('only');
  const skipped = names('skip') ?? [];
  const unknown = [...(wanted ?? []), ...skipped].filter((w) => !SCENARIOS.some((s) => s.name === w));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}; see --list`);
  const selected = SCENARIOS.filter((s) => (!wanted || wanted.includes(s.name)) && !skipped.includes(s.name));
  const started = mono();
  const m = machine();
  const runs: TimedRun[] = [];
  for (const sc of selected) runs.push(await runScenario(sc, quick));
  const totalS = (mono() - started) / 1000;

  const targets: (Target & { scenario: unknown })[] = [];
  let broken = 0;
  const runRows: (string | number)[][] = [];
  const checked = runs.map((r) => ({ r, problems: verify(r) }));
  for (const { r, problems } of checked) {
    if (problems.length > 0) broken += 1;
    runRows.push([r.sc.name, problems.length === 0 ? 'ok' : `**BROKEN**: ${problems.join('; ')}`, fmt(r.seconds, 0), `${r.load0.load1} -> ${r.load1.load1}`, r.lines.length]);
    for (const j of r.lines) for (const t of targetsOf(r, j)) targets.push({ scenario: j.scenario, ...t });
  }
  console.log(`\n# jenkins-ha benchmark suite${quick ? ' (--quick: tiny sizes, the numbers mean nothing)' : ''}`);
  console.log(`${m.cpus} cpus (${m.cpu}), node ${m.node}, zookeeper ${m.zookeeper}; load at start ${m.load1} / ${m.load5} / ${m.load15}; total ${fmt(totalS / 60, 1)} min`);
  if (typeof m.nodeExtraCaCertsRemoved === 'string') {
    console.log(`NODE_EXTRA_CA_CERTS (${m.nodeExtraCaCertsRemoved}) was removed from every process the bench started, as a systemd unit or the container would not have it (bench/lib.ts; ~100 ms of CPU per node start here)`);
  }
  printTable('Scenarios', ['scenario', 'status', 'seconds', 'load (1 min) before -> after', 'JSON lines'], runRows);
  printTable(
    'Targets',
    ['scenario', 'target', 'measured', 'verdict'],
    targets.map((t) => [String(t.scenario), t.target, t.value === null ? '-' : `${t.value}${t.unit && t.unit !== '%' && t.unit !== '/s' ? ` ${t.unit}` : t.unit}`, t.met ? 'met' : '**missed**']),
  );
  console.log(
    JSON.stringify({
      scenario: 'summary',
      quick,
      total_s: Math.round(totalS),
      scenarios: checked.map(({ r, problems }) => ({ name: r.sc.name, ok: problems.length === 0, problems, seconds: Math.round(r.seconds), load_before: r.load0, load_after: r.load1, json_lines: r.lines.length })),
      targets,
      met: targets.filter((t) => t.met).length,
      missed: targets.filter((t) => !t.met).length,
      machine: m,
    }),
  );
  if (broken > 0) {
    console.error(`${broken} scenario(s) broken: see the Scenarios table`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
