/**
 * The benchmark runner's own checks (bench/run.ts): a scenario that crashed, printed no result,
 * failed its self-checks or printed counters that did not move must show as BROKEN, never green.
 */
import { SCENARIOS, verify, type Run } from '../../../bench/run';

const herd = SCENARIOS.find((s) => s.name === 'herd')!;
const stat = (n: number, v = 1): Record<string, number> => ({ n, median: v, p95: v, max: v, min: v });
const herdResult = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ variant: 'election', n: 3, changes: 2, woken: stat(2), requests: stat(2, 2), ...over });
const herdLine = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  scenario: 'herd',
  sizes: [3],
  results: [herdResult(), herdResult({ variant: 'controller' }), herdResult({ variant: 'naive' })],
  self_checks: { passed: 9, failed: [] },
  ...over,
});
const run = (over: Partial<Run> = {}): Run => ({ sc: herd, args: herd.quick, code: 0, signal: null, lines: [herdLine()], ...over });

test('a scenario that ran, printed its line and passed its self-checks is ok', () => {
  expect(verify(run())).toEqual([]);
});

test('a non-zero exit is broken', () => {
  expect(verify(run({ code: 1 }))).toEqual(['exited with 1']);
});

test('a missing JSON line is broken', () => {
  expect(verify(run({ lines: [] }))).toEqual(['no JSON line for herd']);
});

test('failed self-checks are broken even when the scenario exited 0', () => {
  const problems = verify(run({ lines: [herdLine({ self_checks: { passed: 8, failed: ['naive n=6 woke everyone'] } })] }));
  expect(problems).toEqual(['herd: self-checks failed: naive n=6 woke everyone']);
});

test('counters that did not move are broken (no leader changes, no samples)', () => {
  const noChanges = herdLine({ results: [herdResult({ changes: 0, woken: stat(0) }), herdResult({ variant: 'controller' }), herdResult({ variant: 'naive' })] });
  expect(verify(run({ lines: [noChanges] }))).toEqual(['herd: implausible fields (counters did not move or samples missing)']);
  const missingVariant = herdLine({ results: [herdResult()] });
  expect(verify(run({ lines: [missingVariant] }))).toHaveLength(1);
});

test('a line with the wrong shape is reported, not thrown', () => {
  expect(verify(run({ lines: [{ scenario: 'herd' }] }))[0]).toMatch(/^herd: /);
});

test('every scenario has full and quick settings and expects at least one JSON line', () => {
  expect(SCENARIOS.map((s) => s.name)).toEqual(['failover', 'failover-ensemble', 'crash', 'failover-tls', 'failover-ensemble-tls', 'herd', 'clusters', 'footprint', 'status-load', 'versus']);
  for (const s of SCENARIOS) {
    expect(s.full.length).toBeGreaterThan(0);
    expect(s.quick.length).toBeGreaterThan(0);
    expect(Object.keys(s.expect).length).toBeGreaterThan(0);
  }
});

test('versus: a comparison row without a ratio (the reference gave no sample) is broken', () => {
  const versus = SCENARIOS.find((s) => s.name === 'versus')!;
  const result = (ratio: number | null): Record<string, unknown> => ({ measure: 'gap', unit: 'ms', jenkins_ha: stat(1, 5), reference: stat(1, 2), ratio });
  const line = (ratio: number | null): Record<string, unknown> => ({ scenario: 'versus', results: [...Array(6).fill(result(2.5)), result(ratio)], overlaps: 0, self_checks: { passed: 6, failed: [] } });
  const runOf = (l: Record<string, unknown>): Run => ({ sc: versus, args: versus.quick, code: 0, signal: null, lines: [l] });
  expect(verify(runOf(line(2.5)))).toEqual([]);
  expect(verify(runOf(line(null)))).toEqual(['versus: implausible fields (counters did not move or samples missing)']);
});

describe('failover: every table beside the reference (issue 15)', () => {
  const failover = SCENARIOS.find((s) => s.name === 'failover')!;
  const base = { overlaps: 0, reference_overlaps: 0, self_checks: { passed: 9, failed: [] } };
  const lines = (over: Record<string, Record<string, unknown>> = {}): Record<string, unknown>[] => [
    { scenario: 'graceful_handover', gap: stat(1, 90), ratios: { gap: 2.7, total: 1.4 }, ...base, ...over.graceful_handover },
    { scenario: 'crash_failover', controller: stat(1, 15), detection: stat(1, 2100), metrics_phase_count: 1, ratios: { total: 1.01, detection: 1, controller: 1.5 }, ...base, ...over.crash_failover },
    { scenario: 'startup_rss', startup_ms: stat(3, 300), rss_leader_mb: stat(2, 60), ratios: { startup: 2, rss_leader: 3, rss_standby: 3 }, ...base, ...over.startup_rss },
  ];
  const runOf = (l: Record<string, unknown>[]): Run => ({ sc: failover, args: failover.quick, code: 0, signal: null, lines: l });
  const implausible = (name: string): string => `${name}: implausible fields (counters did not move or samples missing)`;

  test('lines with a ratio for each shared measure are ok', () => {
    expect(verify(runOf(lines()))).toEqual([]);
  });

  test('a measure without its ratio (the reference gave no sample) is broken', () => {
    expect(verify(runOf(lines({ graceful_handover: { ratios: { gap: null, total: 1.4 } } })))).toEqual([implausible('graceful_handover')]);
    expect(verify(runOf(lines({ crash_failover: { ratios: { total: 1, detection: 1 } } })))).toEqual(['crash_failover: no field ratios.controller']);
  });

  test('a run without the reference (--no-reference) is broken: its tables have no ratio', () => {
    const problems = verify(runOf(lines({ graceful_handover: { ratios: null }, crash_failover: { ratios: null }, startup_rss: { ratios: null } })));
    expect(problems).toEqual(['graceful_handover: no field ratios.gap', 'crash_failover: no field ratios.total', 'startup_rss: no field ratios.startup']);
  });

  test('two Jenkins at once on the reference home is broken', () => {
    expect(verify(runOf(lines({ startup_rss: { reference_overlaps: 1 } })))).toEqual([implausible('startup_rss')]);
  });
});
