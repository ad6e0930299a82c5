/**
 * Recovery bounds per fault kind, derived from the controllers' effective configuration (as
 * printed by `jenkins-ha config`) and three allowances of the test bed. Recovery is measured from
 * the fault (for a ZooKeeper quorum loss: from the moment the quorum serves again) to the `ready`
 * line of the next Jenkins in the stand-in's journal. docs/reliability.md documents the formulas.
 */
import type { FaultKind } from './schedule';

/** The configuration keys the bounds depend on. */
export interface BoundInputs {
  /** zk.sessionTimeoutMs (T). */
  sessionTimeoutMs: number;
  healthIntervalMs: number;
  healthTimeoutMs: number;
  livenessFailures: number;
  stopTimeoutMs: number;
  restartBackoffMaxMs: number;
  /** lock.leaseMs when that key exists (storage lease: a new leader may wait that long), else 0. */
  lockLeaseMs: number;
  /** jenkins.fenceKillAfterMs (the shim's SIGTERM -> SIGKILL grace), 0 when absent. */
  fenceKillAfterMs: number;
}

/** What the test bed adds: not the controller's doing, but it takes time on a loaded machine. */
export interface Allowances {
  /** ZooKeeper's tickTime (scripts/zk.sh: 200 ms): the server expires sessions in tick-sized buckets. */
  zkTickMs: number;
  /** Coordination: watch delivery, epoch transaction, lock-file fsync (ZooKeeper fsync stalls of 0.7 s were measured). */
  coordMs: number;
  /** Launch: stand-in spawned -> HTTP ready -> readiness probe seen (a Node start on a loaded 2-core VM). */
  launchMs: number;
  /** A crashed controller's closer (docs/safety.md): two Node start-ups on a loaded VM, a connect, a lock write. */
  closerMs?: number;
}

export const DEFAULT_ALLOWANCES: Allowances = { zkTickMs: 200, coordMs: 1000, launchMs: 3000, closerMs: 1500 };

export interface Bound {
  ms: number;
  formula: string;
}

function num(cfg: Record<string, unknown>, path: string, required: boolean): number {
  let v: unknown = cfg;
  for (const k of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (!required && v === undefined) return 0;
  throw new Error(`effective config: ${path} is ${JSON.stringify(v)}, expected a number >= 0`);
}

/** The inputs from `jenkins-ha config` output (parsed JSON). */
export function boundInputs(cfg: Record<string, unknown>): BoundInputs {
  return {
    sessionTimeoutMs: num(cfg, 'zk.sessionTimeoutMs', true),
    healthIntervalMs: num(cfg, 'jenkins.healthIntervalMs', true),
    healthTimeoutMs: num(cfg, 'jenkins.healthTimeoutMs', true),
    livenessFailures: num(cfg, 'jenkins.livenessFailures', true),
    stopTimeoutMs: num(cfg, 'jenkins.stopTimeoutMs', true),
    restartBackoffMaxMs: num(cfg, 'jenkins.restartBackoffMaxMs', true),
    lockLeaseMs: num(cfg, 'lock.leaseMs', false),
    fenceKillAfterMs: num(cfg, 'jenkins.fenceKillAfterMs', false),
  };
}

/** The recovery bound of every fault kind. */
export function recoveryBounds(c: BoundInputs, a: Allowances = DEFAULT_ALLOWANCES): Record<FaultKind, Bound> {
  const T = c.sessionTimeoutMs;
  // A new leader: the old session expires on the server <= T + tick after the last packet it heard
  // (which is before the fault), the storage lease (if any) runs out, then coordination + launch.
  const takeover = T + a.zkTickMs + c.lockLeaseMs + a.coordMs + a.launchMs;
  const takeoverF = `T + tick${c.lockLeaseMs > 0 ? ' + lock.leaseMs' : ''} + coord + launch`;
  // The leader's controller killed alone: its shim kills Jenkins' group (SIGKILL at the latest
  // fenceKillAfterMs later) and its closer closes the dead session and releases the lock: no T, no lease.
  const crash = c.fenceKillAfterMs + (a.closerMs ?? 1500) + a.coordMs + a.launchMs;
  const restart = c.restartBackoffMaxMs + a.coordMs + a.launchMs;
  const hang = c.livenessFailures * (c.healthIntervalMs + c.healthTimeoutMs) + c.stopTimeoutMs + restart;
  return {
    'kill-controller': { ms: crash, formula: 'fenceKillAfterMs + closer + coord + launch (the shim closes the dead session)' },
    'kill-controller-and-jenkins': { ms: takeover, formula: takeoverF },
    'stop-controller': { ms: takeover, formula: takeoverF },
    'blackhole-leader': { ms: takeover, formula: takeoverF },
    'zk-quorum-loss': { ms: takeover, formula: `${takeoverF} (from quorum back)` },
    'crash-jenkins': { ms: restart, formula: 'restartBackoffMaxMs + coord + launch' },
    'hang-jenkins': { ms: hang, formula: 'livenessFailures * (healthIntervalMs + healthTimeoutMs) + stopTimeoutMs + restartBackoffMaxMs + coord + launch' },
    switchover: { ms: c.stopTimeoutMs + a.coordMs + a.launchMs, formula: 'stopTimeoutMs + coord + launch' },
    'kill-zk-leader': { ms: 0, formula: 'Jenkins keeps running' },
    'kill-zk-follower': { ms: 0, formula: 'Jenkins keeps running' },
  };
}
