/**
 * Recovery bounds per fault kind, derived from the controllers' effective configuration (as
 * printed by `jenkins-ha config`) and three allowances of the test bed. Recovery is measured from
 * the fault (for a ZooKeeper quorum loss: from the moment the quorum serves again) to the `ready`
 * line of the next Jenkins in the stand-in's journal. docs/reliability.md documents the formulas.
 */
import { resolveIoTimeoutMs, resolveLockTimings } from '../../src/config/derived';
import type { Config } from '../../src/config/types';
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
  /**
   * The effective storage-lease timings (src/config/derived.ts, the controller's own arithmetic):
   * heartbeat period, lease and the deadline of every call on JENKINS_HOME.
   */
  lock: { heartbeatMs: number; leaseMs: number; ioTimeoutMs: number };
  /** election.resignCooldownMs: a node that yielded for a hung home stays out this long. */
  resignCooldownMs: number;
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
    lock: effectiveLock(cfg),
    resignCooldownMs: num(cfg, 'election.resignCooldownMs', false),
  };
}

/** lock.* as the controller resolves them (0 = derived from T), through src/config/derived.ts. */
function effectiveLock(cfg: Record<string, unknown>): BoundInputs['lock'] {
  const view = {
    zk: { sessionTimeoutMs: num(cfg, 'zk.sessionTimeoutMs', true) },
    lock: { leaseMs: num(cfg, 'lock.leaseMs', false), heartbeatMs: num(cfg, 'lock.heartbeatMs', false), ioTimeoutMs: num(cfg, 'lock.ioTimeoutMs', false) },
    fencing: { marginMs: num(cfg, 'fencing.marginMs', false) },
  } as unknown as Config;
  return { ...resolveLockTimings(view), ioTimeoutMs: resolveIoTimeoutMs(view) };
}

/**
 * The longest storage stall that must cause nothing: every call on JENKINS_HOME has
 * lock.ioTimeoutMs to answer, so a stall shorter than that by a scheduling slack (the helper
 * process and the event loop on a loaded machine) never reads as a hung home.
 */
export const STALL_SLACK_MS = 300;
export function maxStallMs(c: BoundInputs): number {
  return Math.max(0, c.lock.ioTimeoutMs - STALL_SLACK_MS);
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
  const { heartbeatMs: hb, leaseMs: lease, ioTimeoutMs: io } = c.lock;
  // A hung home: the leader's next heartbeat (<= heartbeatMs away) misses its deadline (ioTimeoutMs),
  // Jenkins is SIGKILLed and the leader yields; the successor waits until the last heartbeat,
  // written before the hang, has been unchanged for lock.leaseMs; then coordination + launch.
  const homeTakeover = hb + io + lease + a.coordMs + a.launchMs;
  // Every mount back (counted from the heal): the yielded nodes stay out for the cool-down, the
  // home must answer a heartbeat again, then the lease and the launch as above.
  const homeBack = c.resignCooldownMs + hb + io + lease + a.coordMs + a.launchMs;
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
    'storage-hang': { ms: homeTakeover, formula: 'lock.heartbeatMs + lock.ioTimeoutMs + lock.leaseMs + coord + launch' },
    'storage-hang-all': { ms: homeBack, formula: 'election.resignCooldownMs + lock.heartbeatMs + lock.ioTimeoutMs + lock.leaseMs + coord + launch (from the heal)' },
    'storage-stall': { ms: 0, formula: `Jenkins keeps running (stall <= lock.ioTimeoutMs - ${STALL_SLACK_MS})` },
    // Whatever the full disk made the controller do (nothing, or fence and yield for a lost
    // lease), Jenkins is back within a hung-home recovery counted from the moment space is freed.
    'disk-full': { ms: homeBack, formula: 'election.resignCooldownMs + lock.heartbeatMs + lock.ioTimeoutMs + lock.leaseMs + coord + launch (from the freeing)' },
    'clock-jump': { ms: 0, formula: 'Jenkins keeps running' },
    'clock-skew': { ms: c.stopTimeoutMs + a.coordMs + a.launchMs, formula: 'stopTimeoutMs + coord + launch (a switchover to the skewed node)' },
    // The leader's znodes vanish: it fences (SIGTERM, stopTimeoutMs), the next leader takes an
    // epoch above the lock file's and waits out the storage lease of the fenced term.
    'zk-state-loss': { ms: c.stopTimeoutMs + lease + a.coordMs + a.launchMs, formula: 'stopTimeoutMs + lock.leaseMs + coord + launch' },
  };
}
