/** GET /metrics: prom-client text from a registry of our own, gauges from the snapshot, counters from events. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { register as globalRegistry } from 'prom-client';
import { createHandler } from '../../../src/api/app';
import perfHooks from 'node:perf_hooks';
import { EVENT_LOOP_SAMPLE_MS, createMetrics } from '../../../src/api/metrics';
import { FakeCommands, FakeSource, snapshot } from './fakes';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const FAMILIES = [
  'jenkins_ha_role',
  'jenkins_ha_leader_changes_total',
  'jenkins_ha_failovers_total',
  'jenkins_ha_failover_duration_seconds',
  'jenkins_ha_takeover_phase_seconds',
  'jenkins_ha_jenkins_restarts_total',
  'jenkins_ha_jenkins_ready',
  'jenkins_ha_jenkins_up',
  'jenkins_ha_fenced_total',
  'jenkins_ha_split_brain_detected_total',
  'jenkins_ha_zookeeper_connected',
  'jenkins_ha_zookeeper_ms_since_heard',
  'jenkins_ha_paused',
  'jenkins_ha_epoch',
  'jenkins_ha_watchdog_armed',
  'jenkins_ha_watchdog_errors_total',
  'jenkins_ha_service_unproven',
  'jenkins_ha_priority_yields_total',
  'jenkins_ha_forced_failovers_total',
];

test('GET /metrics serves every family plus the default process metrics, in the Prometheus text format', async () => {
  const source = new FakeSource();
  const app = createHandler(source, new FakeCommands(), { token: 't', readToken: '', stallAfterMs: 1000 });
  const res = await request(app).get('/metrics');
  expect(res.status).toBe(200);
  expect(res.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  for (const f of FAMILIES) expect({ f, typed: res.text.includes(`# TYPE ${f} `) }).toEqual({ f, typed: true });
  expect(res.text).toMatch(/^process_cpu_user_seconds_total /m);
  expect(res.text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  // Our registry, not the global one.
  expect(await globalRegistry.metrics()).not.toMatch(/jenkins_ha_/);
});

test('gauges always show the current snapshot', async () => {
  const source = new FakeSource();
  const m = createMetrics(source, { defaultMetrics: false });
  let t = await m.text();
  expect(value(t, 'jenkins_ha_role{role="leader"}')).toBe(1);
  expect(value(t, 'jenkins_ha_role{role="standby"}')).toBe(0);
  expect(value(t, 'jenkins_ha_jenkins_ready')).toBe(1);
  expect(value(t, 'jenkins_ha_jenkins_up')).toBe(1);
  expect(value(t, 'jenkins_ha_zookeeper_connected')).toBe(1);
  expect(value(t, 'jenkins_ha_zookeeper_ms_since_heard')).toBe(12);
  expect(value(t, 'jenkins_ha_paused')).toBe(0);
  expect(value(t, 'jenkins_ha_epoch')).toBe(7);

  const s = snapshot();
  source.snap = snapshot({
    node: { ...s.node, role: 'standby' },
    jenkins: { ...s.jenkins, state: 'stopped', ready: false, pid: null },
    zookeeper: { ...s.zookeeper, state: 'disconnected', msSinceHeard: null },
    paused: { paused: true, by: 'api@x', reason: '', since: s.node.since, until: null },
    epoch: null,
  });
  t = await m.text();
  expect(value(t, 'jenkins_ha_role{role="leader"}')).toBe(0);
  expect(value(t, 'jenkins_ha_role{role="standby"}')).toBe(1);
  expect(value(t, 'jenkins_ha_jenkins_ready')).toBe(0);
  expect(value(t, 'jenkins_ha_jenkins_up')).toBe(0);
  expect(value(t, 'jenkins_ha_zookeeper_connected')).toBe(0);
  expect(value(t, 'jenkins_ha_zookeeper_ms_since_heard')).toBeNaN();
  expect(value(t, 'jenkins_ha_paused')).toBe(1);
  expect(value(t, 'jenkins_ha_epoch')).toBe(0);
});

test('counters and the failover histogram follow the controller events', async () => {
  const source = new FakeSource();
  source.snap = snapshot({ leaderChanges: 2, jenkins: { ...snapshot().jenkins, restarts: 1 } });
  const m = createMetrics(source, { defaultMetrics: false });
  let t = await m.text();
  // Seeded from the snapshot: events before the API existed still count.
  expect(value(t, 'jenkins_ha_leader_changes_total')).toBe(2);
  expect(value(t, 'jenkins_ha_jenkins_restarts_total')).toBe(1);
  expect(value(t, 'jenkins_ha_failovers_total{kind="planned"}')).toBe(0);
  expect(value(t, 'jenkins_ha_failovers_total{kind="unplanned"}')).toBe(0);
  expect(value(t, 'jenkins_ha_failover_duration_seconds_count{kind="unplanned"}')).toBe(0);
  expect(value(t, 'jenkins_ha_fenced_total')).toBe(0);

  source.emit({ type: 'leader_change' });
  source.emit({ type: 'failover', kind: 'unplanned', durationMs: 1500 });
  source.emit({ type: 'failover', kind: 'unplanned', durationMs: 25000 });
  source.emit({ type: 'failover', kind: 'planned', durationMs: 300 });
  source.emit({ type: 'jenkins_restart' });
  source.emit({ type: 'fenced' });
  source.emit({ type: 'role', role: 'neutral' });
  t = await m.text();
  expect(value(t, 'jenkins_ha_leader_changes_total')).toBe(3);
  expect(value(t, 'jenkins_ha_failovers_total{kind="unplanned"}')).toBe(2);
  expect(value(t, 'jenkins_ha_failovers_total{kind="planned"}')).toBe(1);
  expect(value(t, 'jenkins_ha_jenkins_restarts_total')).toBe(2);
  expect(value(t, 'jenkins_ha_fenced_total')).toBe(1);
  expect(value(t, 'jenkins_ha_failover_duration_seconds_count{kind="unplanned"}')).toBe(2);
  expect(value(t, 'jenkins_ha_failover_duration_seconds_sum{kind="unplanned"}')).toBe(26.5);
  expect(value(t, 'jenkins_ha_failover_duration_seconds_bucket{le="1",kind="unplanned"}')).toBe(0);
  expect(value(t, 'jenkins_ha_failover_duration_seconds_bucket{le="2",kind="unplanned"}')).toBe(1);
  expect(value(t, 'jenkins_ha_failover_duration_seconds_bucket{le="30",kind="unplanned"}')).toBe(2);
  expect(value(t, 'jenkins_ha_failover_duration_seconds_bucket{le="0.5",kind="planned"}')).toBe(1);
});

test('the takeover phase histogram splits each takeover into decision, launch and readiness', async () => {
  const m = createMetrics(new FakeSource(), { defaultMetrics: false });
  const source = new FakeSource();
  const mm = createMetrics(source, { defaultMetrics: false });
  let t = await mm.text();
  for (const phase of ['decision', 'launch', 'readiness']) {
    for (const kind of ['planned', 'unplanned']) expect(value(t, `jenkins_ha_takeover_phase_seconds_count{phase="${phase}",kind="${kind}"}`)).toBe(0);
  }
  source.emit({ type: 'takeover_phases', kind: 'unplanned', decisionMs: 4, launchMs: 12, readinessMs: 800 });
  source.emit({ type: 'takeover_phases', kind: 'unplanned', decisionMs: 30, launchMs: 3, readinessMs: 1500 });
  source.emit({ type: 'takeover_phases', kind: 'planned', decisionMs: 9, launchMs: 2, readinessMs: 400 });
  t = await mm.text();
  const series = (name: string, phase: string, kind: string, le?: string): number | undefined =>
    value(t, `jenkins_ha_takeover_phase_seconds_${name}{${le === undefined ? '' : `le="${le}",`}phase="${phase}",kind="${kind}"}`);
  expect(series('count', 'decision', 'unplanned')).toBe(2);
  expect(series('sum', 'decision', 'unplanned')).toBeCloseTo(0.034, 6);
  expect(series('bucket', 'decision', 'unplanned', '0.005')).toBe(1);
  expect(series('bucket', 'decision', 'unplanned', '0.02')).toBe(1);
  expect(series('bucket', 'decision', 'unplanned', '0.05')).toBe(2);
  expect(series('bucket', 'launch', 'unplanned', '0.005')).toBe(1);
  expect(series('bucket', 'launch', 'unplanned', '0.02')).toBe(2);
  expect(series('sum', 'readiness', 'unplanned')).toBeCloseTo(2.3, 6);
  expect(series('bucket', 'readiness', 'unplanned', '1')).toBe(1);
  expect(series('count', 'decision', 'planned')).toBe(1);
  expect(series('count', 'readiness', 'planned')).toBe(1);
  // Other event types do not feed it; another registry is untouched.
  expect(value(await m.text(), 'jenkins_ha_takeover_phase_seconds_count{phase="decision",kind="unplanned"}')).toBe(0);
});

test('two apps in one process keep separate registries', async () => {
  const a = new FakeSource();
  const b = new FakeSource();
  const ma = createMetrics(a, { defaultMetrics: false });
  const mb = createMetrics(b, { defaultMetrics: false });
  a.emit({ type: 'fenced' });
  expect(value(await ma.text(), 'jenkins_ha_fenced_total')).toBe(1);
  expect(value(await mb.text(), 'jenkins_ha_fenced_total')).toBe(0);
});

test('split-brain alarms are counted', async () => {
  const source = new FakeSource();
  const m = createMetrics(source, { defaultMetrics: false });
  expect(value(await m.text(), 'jenkins_ha_split_brain_detected_total')).toBe(0);
  source.emit({ type: 'split_brain' });
  source.emit({ type: 'split_brain' });
  source.emit({ type: 'fenced' });
  const t = await m.text();
  expect(value(t, 'jenkins_ha_split_brain_detected_total')).toBe(2);
  expect(value(t, 'jenkins_ha_fenced_total')).toBe(1);
});

test('priority yields and forced failovers are counted by why and by result, from 0, with help text', async () => {
  const source = new FakeSource();
  const m = createMetrics(source, { defaultMetrics: false });
  let t = await m.text();
  for (const why of ['priority', 'no-failover']) expect(value(t, `jenkins_ha_priority_yields_total{why="${why}"}`)).toBe(0);
  for (const result of ['accepted', 'refused']) expect(value(t, `jenkins_ha_forced_failovers_total{result="${result}"}`)).toBe(0);
  expect(t).toMatch(/^# HELP jenkins_ha_priority_yields_total .*election\.priority.*election\.noFailover/m);
  expect(t).toMatch(/^# HELP jenkins_ha_forced_failovers_total .*jenkins-ha failover --confirm-fenced/m);
  source.emit({ type: 'priority_yield', why: 'priority' });
  source.emit({ type: 'priority_yield', why: 'priority' });
  source.emit({ type: 'priority_yield', why: 'no-failover' });
  source.emit({ type: 'forced_failover', result: 'accepted' });
  source.emit({ type: 'fenced' });
  t = await m.text();
  expect(value(t, 'jenkins_ha_priority_yields_total{why="priority"}')).toBe(2);
  expect(value(t, 'jenkins_ha_priority_yields_total{why="no-failover"}')).toBe(1);
  expect(value(t, 'jenkins_ha_forced_failovers_total{result="accepted"}')).toBe(1);
  expect(value(t, 'jenkins_ha_forced_failovers_total{result="refused"}')).toBe(0);
  // A forced failover is no fencing by this node.
  expect(value(t, 'jenkins_ha_fenced_total')).toBe(1);
});

test('every jenkins_ha_* family is listed in docs/api.md', async () => {
  const m = createMetrics(new FakeSource(), { defaultMetrics: false, hookStats: () => [] });
  const names = (await m.registry.getMetricsAsJSON()).map((f) => f.name).filter((n) => n.startsWith('jenkins_ha_'));
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'api.md'), 'utf8');
  const listed = new Set([...doc.matchAll(/^\| `(jenkins_ha_[a-z_]+)(?:\{[a-z,]+\})?` \|/gm)].map((x) => x[1]));
  expect(names.filter((n) => !listed.has(n))).toEqual([]);
});

test('hook counters follow the runner: runs, failures and coalesced per hook, from 0', async () => {
  const source = new FakeSource();
  const stats = [
    { hook: 'onLeader', runs: 0, failures: 0, coalesced: 0 },
    { hook: 'onStandby', runs: 0, failures: 0, coalesced: 0 },
  ];
  const m = createMetrics(source, { defaultMetrics: false, hookStats: () => stats });
  let t = await m.text();
  expect(t).toContain('# TYPE jenkins_ha_hook_failures_total counter');
  expect(value(t, 'jenkins_ha_hook_runs_total{hook="onLeader"}')).toBe(0);
  expect(value(t, 'jenkins_ha_hook_failures_total{hook="onStandby"}')).toBe(0);
  stats[0] = { hook: 'onLeader', runs: 3, failures: 1, coalesced: 2 };
  t = await m.text();
  expect(value(t, 'jenkins_ha_hook_runs_total{hook="onLeader"}')).toBe(3);
  expect(value(t, 'jenkins_ha_hook_failures_total{hook="onLeader"}')).toBe(1);
  expect(value(t, 'jenkins_ha_hook_coalesced_total{hook="onLeader"}')).toBe(2);
  t = await m.text(); // a second scrape adds nothing
  expect(value(t, 'jenkins_ha_hook_runs_total{hook="onLeader"}')).toBe(3);
  // Without hooks wired, no hook families.
  expect(await createMetrics(source, { defaultMetrics: false }).text()).not.toContain('jenkins_ha_hook_');
});

test('service mode: jenkins_ha_service_unproven is 1 while the service is not proven stopped, 0 before and after', async () => {
  const source = new FakeSource();
  const m = createMetrics(source, { defaultMetrics: false });
  expect(value(await m.text(), 'jenkins_ha_service_unproven')).toBe(0);
  const base = snapshot();
  source.snap = snapshot({ jenkins: { ...base.jenkins, state: 'stopping', serviceProof: 'the pid command failed; stop command exited 1' } });
  expect(value(await m.text(), 'jenkins_ha_service_unproven')).toBe(1);
  source.snap = snapshot({ jenkins: { ...base.jenkins, state: 'stopped', serviceProof: null } });
  expect(value(await m.text(), 'jenkins_ha_service_unproven')).toBe(0);
});

test('the host watchdog: armed gauge from the snapshot, write errors as a monotonic counter', async () => {
  const source = new FakeSource();
  const m = createMetrics(source, { defaultMetrics: false });
  let t = await m.text();
  // A node of an older version (no watchdog block) reads as unarmed, no errors.
  expect(value(t, 'jenkins_ha_watchdog_armed')).toBe(0);
  expect(value(t, 'jenkins_ha_watchdog_errors_total')).toBe(0);
  const wd = { mode: 'required' as const, device: '/dev/watchdog', armed: true, timeoutMs: 4000, errors: 2, lastError: 'keepalive failed' };
  source.snap = snapshot({ watchdog: wd });
  t = await m.text();
  expect(value(t, 'jenkins_ha_watchdog_armed')).toBe(1);
  expect(value(t, 'jenkins_ha_watchdog_errors_total')).toBe(2);
  source.snap = snapshot({ watchdog: { ...wd, armed: false, errors: 3 } });
  t = await m.text();
  expect(value(t, 'jenkins_ha_watchdog_armed')).toBe(0);
  expect(value(t, 'jenkins_ha_watchdog_errors_total')).toBe(3);
  t = await m.text(); // a second scrape adds nothing
  expect(value(t, 'jenkins_ha_watchdog_errors_total')).toBe(3);
});

test('the default metrics sample the event loop at most once a second, not every 10 ms (an idle controller woke 100 times a second for it)', () => {
  const spy = jest.spyOn(perfHooks, 'monitorEventLoopDelay');
  try {
    createMetrics(new FakeSource());
    expect(spy).toHaveBeenCalled();
    const resolutions = spy.mock.calls.map(([o]) => o?.resolution ?? 10);
    expect(resolutions.every((r) => r >= EVENT_LOOP_SAMPLE_MS)).toBe(true);
    expect(EVENT_LOOP_SAMPLE_MS).toBeGreaterThanOrEqual(1000);
  } finally {
    spy.mockRestore();
  }
});
