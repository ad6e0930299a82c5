#!/usr/bin/env node
/**
 * The benchmark suite: runs every scenario in sequence (each a script of its own, in a process of
 * its own), passes its tables through, checks its JSON lines, and ends with a summary of every
 * target (met / missed, with the measured number). Builds nothing: `npm run bench` builds first.
 *
 *   node bench/run.js [--quick] [--only failover,herd,...] [--list]
 *
 * --quick runs tiny sizes (a smoke test of the whole suite, used by test/integration/bench.test.ts);
 * its numbers mean nothing. Exit code: 0 when every scenario ran and passed its self-checks and
 * the runner's checks of its JSON lines; 1 otherwise. A missed target is reported, not an error.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { CLI, arg, fmt, loadNow, machine, mono, printTable, target } = require('./lib');

const QUICK = arg('quick', false) === true;

const num = (x) => typeof x === 'number' && Number.isFinite(x);
const statsOk = (s, n) => s && s.n === n && num(s.median) && num(s.max);

/**
 * Each scenario: the script and its arguments (full and quick), the JSON lines it must print, and
 * a check of each line's fields (a broken scenario must not print a green summary).
 */
const SCENARIOS = [
  {
    name: 'failover',
    script: 'failover.js',
    full: ['--rounds', '20'],
    quick: ['--rounds', '1', '--settle-ms', '300'],
    expect: {
      graceful_handover: (j, a) => statsOk(j.gap, rounds(a)) && j.overlaps === 0,
      crash_failover: (j, a) => statsOk(j.controller, rounds(a)) && statsOk(j.detection, rounds(a)) && j.metrics_phase_count >= 1 && j.overlaps === 0,
      startup_rss: (j) => j.startup_ms.n > 0 && j.rss_leader_mb.median > 10,
    },
  },
  {
    name: 'failover-ensemble',
    script: 'failover.js',
    full: ['--ensemble', '--rounds', '10', '--zk-leader-kills', '5'],
    quick: ['--ensemble', '--rounds', '1', '--zk-leader-kills', '1', '--settle-ms', '300'],
    expect: {
      graceful_handover_ensemble: (j, a) => statsOk(j.gap, rounds(a)) && j.overlaps === 0,
      crash_failover_ensemble: (j, a) => statsOk(j.controller, rounds(a)) && j.overlaps === 0,
      startup_rss_ensemble: (j) => j.startup_ms.n > 0,
      zk_leader_kill: (j, a) => j.rounds === Number(argOf(a, 'zk-leader-kills')) && j.disconnected_ms.n === 2 * j.rounds && j.disconnected_ms.max > 0,
    },
  },
  {
    name: 'herd',
    script: 'herd.js',
    full: ['--sizes', '10,50,100', '--changes', '10'],
    quick: ['--sizes', '3,6', '--changes', '2'],
    expect: {
      herd: (j) => j.results.length === 3 * j.sizes.length && j.results.every((r) => r.changes > 0 && r.woken.n === r.changes && r.requests.median >= 1),
    },
  },
  {
    name: 'clusters',
    script: 'clusters.js',
    full: ['--clusters', '100', '--storm', '10', '--single-rounds', '10', '--storm-rounds', '3', '--idle-s', '30'],
    quick: ['--clusters', '4', '--storm', '2', '--single-rounds', '2', '--storm-rounds', '1', '--idle-s', '2'],
    expect: {
      clusters: (j) => j.single_gap_ms.n > 0 && j.storm_gap_ms.n === j.storm * Number(j.storms.length) && j.idle.probes_per_s_per_node > 0 && j.idle.sessions >= j.sessions,
    },
  },
  {
    name: 'footprint',
    script: 'footprint.js',
    full: ['--idle-s', '60', '--startups', '5'],
    quick: ['--idle-s', '2', '--startups', '1', '--settle-ms', '500'],
    expect: {
      footprint: (j) => j.leader.rss_mb.n > 0 && j.standby.rss_mb.n > 0 && num(j.leader.cpu_pct) && j.startup_joined_ms.n > 0,
    },
  },
  {
    name: 'status-load',
    script: 'status-load.js',
    full: ['--duration', '10', '--rounds', '10'],
    quick: ['--duration', '1', '--rounds', '1', '--settle-ms', '300'],
    expect: {
      status_load: (j) => j.requests > 0 && j.rps > 0 && num(j.latency_ms.p99),
      graceful_handover_under_load: (j, a) => statsOk(j.gap, rounds(a)) && j.overlaps === 0 && j.load.requests > 0,
    },
    // status-load.js predates the suite's target format: derive its targets here.
    targets: {
      status_load: (j) => [target('status API GET /status requests/s', j.rps, '>=', j.target.rps), target('status API latency p99', j.latency_ms.p99, '<=', j.target.p99Ms, 'ms')],
    },
  },
];

function argOf(args, name) {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
}
function rounds(args) {
  return Number(argOf(args, 'rounds'));
}

function runScenario(sc) {
  const args = QUICK ? sc.quick : sc.full;
  const load0 = loadNow();
  const t0 = mono();
  process.stderr.write(`\n== ${sc.name}: node bench/${sc.script} ${args.join(' ')} (load ${load0.load1}) ==\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, sc.script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = [];
    readline.createInterface({ input: child.stdout }).on('line', (l) => {
      console.log(l);
      if (l.startsWith('{')) {
        try {
          lines.push(JSON.parse(l));
        } catch {
          /* not a result line */
        }
      }
    });
    child.on('close', (code, signal) => resolve({ sc, args, code: code ?? 128, signal, lines, seconds: (mono() - t0) / 1000, load0, load1: loadNow() }));
  });
}

/** The runner's own checks of a scenario's output; returns a list of problems. */
function verify(run) {
  const problems = [];
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
      problems.push(`${name}: ${err.message}`);
      continue;
    }
    if (!good) problems.push(`${name}: implausible fields (counters did not move or samples missing)`);
    if (j.self_checks && j.self_checks.failed.length > 0) problems.push(`${name}: self-checks failed: ${j.self_checks.failed.join('; ')}`);
  }
  return problems;
}

async function main() {
  if (arg('list', false) === true) {
    for (const sc of SCENARIOS) console.log(`${sc.name}\tnode bench/${sc.script} ${sc.full.join(' ')}`);
    return;
  }
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js missing: run `npm run build` first (npm run bench does)');
  const only = arg('only', null);
  const wanted = typeof only === 'string' ? only.split(',') : null;
  const unknown = (wanted ?? []).filter((w) => !SCENARIOS.some((s) => s.name === w));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}; see --list`);
  const selected = SCENARIOS.filter((s) => !wanted || wanted.includes(s.name));
  const started = mono();
  const m = machine();
  const runs = [];
  for (const sc of selected) runs.push(await runScenario(sc));
  const totalS = (mono() - started) / 1000;

  const targets = [];
  let broken = 0;
  const runRows = [];
  for (const r of runs) {
    r.problems = verify(r);
    if (r.problems.length > 0) broken += 1;
    runRows.push([r.sc.name, r.problems.length === 0 ? 'ok' : `**BROKEN**: ${r.problems.join('; ')}`, fmt(r.seconds, 0), `${r.load0.load1} -> ${r.load1.load1}`, r.lines.length]);
    for (const j of r.lines) {
      const ts = j.targets ?? r.sc.targets?.[j.scenario]?.(j) ?? [];
      for (const t of ts) targets.push({ scenario: j.scenario, ...t });
    }
  }
  console.log(`\n# jenkins-ha benchmark suite${QUICK ? ' (--quick: tiny sizes, the numbers mean nothing)' : ''}`);
  console.log(`${m.cpus} cpus (${m.cpu}), node ${m.node}, zookeeper ${m.zookeeper}; load at start ${m.load1} / ${m.load5} / ${m.load15}; total ${fmt(totalS / 60, 1)} min`);
  printTable('Scenarios', ['scenario', 'status', 'seconds', 'load (1 min) before -> after', 'JSON lines'], runRows);
  printTable(
    'Targets',
    ['scenario', 'target', 'measured', 'verdict'],
    targets.map((t) => [t.scenario, t.target, t.value === null ? '-' : `${t.value}${t.unit && t.unit !== '%' && t.unit !== '/s' ? ` ${t.unit}` : t.unit}`, t.met ? 'met' : '**missed**']),
  );
  console.log(
    JSON.stringify({
      scenario: 'summary',
      quick: QUICK,
      total_s: Math.round(totalS),
      scenarios: runs.map((r) => ({ name: r.sc.name, ok: r.problems.length === 0, problems: r.problems, seconds: Math.round(r.seconds), load_before: r.load0, load_after: r.load1, json_lines: r.lines.length })),
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
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { SCENARIOS, verify };
