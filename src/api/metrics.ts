/**
 * Prometheus metrics in a registry of our own (never prom-client's global one, so two apps in one
 * process do not collide). Gauges read the status snapshot in `collect()`, so a scrape always sees
 * the current state; counters and the failover histogram are fed by the controller's events.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NodeRole, StatusSource } from '../controller/status';

/**
 * How often the default metrics sample the event loop's delay (prom-client's
 * eventLoopMonitoringPrecision, `nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`).
 * prom-client's own default, 10 ms, is a timer that wakes the process 100 times a second: on an
 * idle controller that was ~95 of its ~105 wake-ups a second and about half its idle CPU
 * (docs/benchmarks.md, "idle CPU, broken down"). Once a second still catches every stall longer than a
 * second and samples shorter ones; `nodejs_eventloop_lag_seconds` is measured at each scrape.
 */
export const EVENT_LOOP_SAMPLE_MS = 1000;

const ROLES: readonly NodeRole[] = ['leader', 'standby', 'neutral', 'joining', 'stopped'];

export interface Metrics {
  registry: Registry;
  /** Prometheus text exposition of every metric. */
  text(): Promise<string>;
  contentType: string;
}

/** Cumulative counters of the role-change hooks (src/hooks), read at each scrape. */
export interface HookCounts {
  hook: string;
  runs: number;
  failures: number;
  coalesced: number;
}

export function createMetrics(
  source: StatusSource,
  opts: { defaultMetrics?: boolean; hookStats?: () => readonly HookCounts[] } = {},
): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const registers = [registry];

  new Gauge({
    name: 'jenkins_ha_role',
    help: 'Role of this node: 1 for the current role, 0 for the others.',
    labelNames: ['role'],
    registers,
    collect() {
      const role = source.status().node.role;
      for (const r of ROLES) this.set({ role: r }, r === role ? 1 : 0);
    },
  });
  new Gauge({
    name: 'jenkins_ha_settings_drift',
    help: 'Safety settings of this node that differ from another member (one per key and member; 0 = all agree).',
    registers,
    collect() {
      this.set(source.status().settings?.drift.length ?? 0);
    },
  });
  new Gauge({
    name: 'jenkins_ha_settings_refused',
    help: '1 while this node refuses to lead because its safety settings would break the rule against a member, else 0.',
    registers,
    collect() {
      this.set((source.status().settings?.refusal.length ?? 0) > 0 ? 1 : 0);
    },
  });
  new Gauge({
    name: 'jenkins_ha_jenkins_ready',
    help: '1 when the local Jenkins answers its readiness probe, else 0.',
    registers,
    collect() {
      this.set(source.status().jenkins.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'jenkins_ha_jenkins_up',
    help: '1 when the local Jenkins process is running (started and not stopping), else 0.',
    registers,
    collect() {
      const st = source.status().jenkins.state;
      this.set(st === 'running' || st === 'starting' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'jenkins_ha_zookeeper_connected',
    help: '1 while the ZooKeeper session is connected, else 0.',
    registers,
    collect() {
      this.set(source.status().zookeeper.state === 'connected' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'jenkins_ha_zookeeper_ms_since_heard',
    help: 'Milliseconds since ZooKeeper last answered this node; NaN when nothing was heard in this session.',
    registers,
    collect() {
      this.set(source.status().zookeeper.msSinceHeard ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'jenkins_ha_paused',
    help: '1 while the cluster is in maintenance mode (paused), else 0.',
    registers,
    collect() {
      this.set(source.status().paused.paused ? 1 : 0);
    },
  });
  new Gauge({
    name: 'jenkins_ha_watchdog_armed',
    help: '1 while the host watchdog device (fencing.watchdog) is armed on this node, else 0.',
    registers,
    collect() {
      this.set(source.status().watchdog?.armed === true ? 1 : 0);
    },
  });
  new Gauge({
    name: 'jenkins_ha_service_unproven',
    help: 'Service mode: 1 while the Jenkins service is not proven stopped (Jenkins stays stopping; stop it by hand), else 0.',
    registers,
    collect() {
      this.set(typeof source.status().jenkins.serviceProof === 'string' ? 1 : 0);
    },
  });
  let watchdogErrorsSeen = 0;
  new Counter({
    name: 'jenkins_ha_watchdog_errors_total',
    help: 'Failed writes to the host watchdog device (keepalives and the disarming close).',
    registers,
    collect() {
      const n = source.status().watchdog?.errors ?? 0;
      if (n > watchdogErrorsSeen) this.inc(n - watchdogErrorsSeen);
      watchdogErrorsSeen = Math.max(watchdogErrorsSeen, n);
    },
  });
  new Gauge({
    name: 'jenkins_ha_epoch',
    help: 'Fencing epoch of the term this node holds; 0 when it holds none.',
    registers,
    collect() {
      this.set(source.status().epoch ?? 0);
    },
  });

  const initial = source.status();
  const leaderChanges = new Counter({
    name: 'jenkins_ha_leader_changes_total',
    help: 'Times this node took leadership (a new fencing epoch) since the process started.',
    registers,
  });
  const failovers = new Counter({
    name: 'jenkins_ha_failovers_total',
    help: 'Takeovers by this node that reached a ready Jenkins: planned (switchover) or unplanned. The first term of a cluster is none.',
    labelNames: ['kind'] as const,
    registers,
  });
  const failoverDuration = new Histogram({
    name: 'jenkins_ha_failover_duration_seconds',
    help: 'Takeovers by this node: time from being elected to its Jenkins being ready.',
    labelNames: ['kind'] as const,
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers,
  });
  for (const kind of ['planned', 'unplanned']) {
    failovers.labels(kind).inc(0);
    failoverDuration.zero({ kind });
  }
  const phases = new Histogram({
    name: 'jenkins_ha_takeover_phase_seconds',
    help: 'Takeovers by this node, split: decision (election woke us -> fencing epoch taken), launch (-> Jenkins spawned), readiness (-> Jenkins ready).',
    labelNames: ['phase', 'kind'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });
  for (const phase of ['decision', 'launch', 'readiness']) for (const kind of ['planned', 'unplanned']) phases.zero({ phase, kind });
  const restarts = new Counter({
    name: 'jenkins_ha_jenkins_restarts_total',
    help: 'Unexpected exits of the local Jenkins (crashes and unhealthy restarts).',
    registers,
  });
  const fenced = new Counter({
    name: 'jenkins_ha_fenced_total',
    help: 'Times this node fenced (force-stopped) its Jenkins because leadership could not be proven.',
    registers,
  });
  new Gauge({
    name: 'jenkins_ha_home_ok',
    help: '1 when JENKINS_HOME answers within lock.ioTimeoutMs and the storage lease is kept, 0 when it hangs, fails at mount level or the lease is lost.',
    registers,
    collect() {
      const h = source.status().home;
      this.set(!h || (h.state === 'ok' && !h.leaseLost) ? 1 : 0);
    },
  });
  const homeHung = new Counter({
    name: 'jenkins_ha_home_hung_total',
    help: 'Times JENKINS_HOME went from answering to hung (a call on it missed lock.ioTimeoutMs).',
    registers,
  });
  const homeYields = new Counter({
    name: 'jenkins_ha_home_yields_total',
    help: 'Times this node left the election because its JENKINS_HOME hung or failed (its Jenkins killed first; breadcrumb kept so the successor fences).',
    registers,
  });
  const splitBrain = new Counter({
    name: 'jenkins_ha_split_brain_detected_total',
    help: 'Times this node saw evidence of a second Jenkins (a listener on its Jenkins port before launch, or a newer epoch in the JENKINS_HOME lock while its Jenkins ran) and held back or fenced its own.',
    registers,
  });

  const priorityYields = new Counter({
    name: 'jenkins_ha_priority_yields_total',
    help: 'Times this node, first in line, stepped to the back of the line before taking an epoch: why="priority" for a standby of higher election.priority, why="no-failover" because election.noFailover is set here.',
    labelNames: ['why'] as const,
    registers,
  });
  const forcedFailovers = new Counter({
    name: 'jenkins_ha_forced_failovers_total',
    help: 'Forced failovers (jenkins-ha failover --confirm-fenced) this node acted on while held at the fencing gate: result="accepted" passed the gate on a person\'s word, result="refused" dropped it (the named node held a live session).',
    labelNames: ['result'] as const,
    registers,
  });
  for (const why of ['priority', 'no-failover']) priorityYields.labels(why).inc(0);
  for (const result of ['accepted', 'refused']) forcedFailovers.labels(result).inc(0);

  // Hooks count on their own (they may have run before the app existed); each scrape adds what
  // changed since the last one, so the series stay monotonic counters.
  const hookStats = opts.hookStats;
  if (hookStats) {
    const hookCounter = (name: string, help: string, field: 'runs' | 'failures' | 'coalesced'): void => {
      const seen = new Map<string, number>();
      new Counter({
        name,
        help,
        labelNames: ['hook'],
        registers,
        collect() {
          for (const s of hookStats()) {
            const delta = s[field] - (seen.get(s.hook) ?? 0);
            if (delta > 0 || !seen.has(s.hook)) this.inc({ hook: s.hook }, Math.max(0, delta));
            seen.set(s.hook, s[field]);
          }
        },
      });
    };
    hookCounter('jenkins_ha_hook_runs_total', 'Role-change hook runs started, by hook (onLeader, onStandby, onStopped).', 'runs');
    hookCounter('jenkins_ha_hook_failures_total', 'Role-change hook runs that exited non-zero, were killed at hooks.timeoutMs or could not start.', 'failures');
    hookCounter('jenkins_ha_hook_coalesced_total', 'Waiting hook runs dropped because a newer role transition replaced them.', 'coalesced');
  }

  // Events before the app existed (main loads the API after joining the election).
  leaderChanges.inc(initial.leaderChanges);
  restarts.inc(initial.jenkins.restarts);

  source.onEvent((e) => {
    switch (e.type) {
      case 'leader_change':
        leaderChanges.inc();
        return;
      case 'failover':
        failovers.labels(e.kind).inc();
        failoverDuration.labels(e.kind).observe(e.durationMs / 1000);
        return;
      case 'takeover_phases':
        phases.labels('decision', e.kind).observe(e.decisionMs / 1000);
        phases.labels('launch', e.kind).observe(e.launchMs / 1000);
        phases.labels('readiness', e.kind).observe(e.readinessMs / 1000);
        return;
      case 'jenkins_restart':
        restarts.inc();
        return;
      case 'fenced':
        fenced.inc();
        return;
      case 'split_brain':
        splitBrain.inc();
        return;
      case 'home_hung':
        homeHung.inc();
        return;
      case 'home_yield':
        homeYields.inc();
        return;
      case 'priority_yield':
        priorityYields.labels(e.why).inc();
        return;
      case 'forced_failover':
        forcedFailovers.labels(e.result).inc();
        return;
      case 'role':
        return;
    }
  });

  return { registry, contentType: registry.contentType, text: () => registry.metrics() };
}
