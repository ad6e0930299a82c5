/**
 * Values derived from a loaded configuration: the effective timings (from the configured or the
 * negotiated session timeout), the storage lease, the advertised API URL, the git directory, and
 * a redacted copy safe to log or serve. Pure functions of the config.
 */
import path from 'node:path';
import { ConfigError } from '../errors';
import type { SafetySettings } from '../util/safety-settings';
import type { Config, ResolvedTimings } from './types';

/** zk.pingIntervalMs = 0: a sixth of session timeout `t`. */
function defaultPingIntervalMs(t: number): number {
  return Math.floor(t / 6);
}

/** zk.requestTimeoutMs = 0: a third of session timeout `t`. */
function defaultRequestTimeoutMs(t: number): number {
  return Math.floor(t / 3);
}

/** Effective liveness interval for session timeout `t`: configured, or t/6 when 0. */
export function effectivePingIntervalMs(cfg: Config, t: number): number {
  return cfg.zk.pingIntervalMs > 0 ? cfg.zk.pingIntervalMs : defaultPingIntervalMs(t);
}

/** Effective ZooKeeper call timeout for session timeout `t`: configured, or t/3 when 0. */
export function effectiveRequestTimeoutMs(cfg: Config, t: number): number {
  return cfg.zk.requestTimeoutMs > 0 ? cfg.zk.requestTimeoutMs : defaultRequestTimeoutMs(t);
}

/**
 * How much earlier than lastHeard + T the session can expire at the ZooKeeper leader: a follower
 * serving our session passes its activity on to the leader only with its own next ping (every
 * tickTime / 2), and our last request may itself be up to one liveness interval old. So the
 * earliest expiry is lastHeard - max(pingInterval, tickTime / 2) + T.
 */
export function sessionRefreshLagMs(cfg: Config, t: number): number {
  return Math.max(effectivePingIntervalMs(cfg, t), Math.ceil(cfg.zk.tickTimeMs / 2));
}

/**
 * Effective timings for a session timeout: the configured one, or the timeout the ZooKeeper
 * server negotiated (it clamps the request to [2, 20] * tickTime).
 *
 * - fenceAfterMs = floor(T * deadlineRatio), lowered if needed so that
 *   fenceAfterMs + jenkins.fenceKillAfterMs + fencing.marginMs + sessionRefreshLagMs <= T still
 *   holds (the lag: max(pingInterval, zk.tickTimeMs / 2), see `sessionRefreshLagMs`);
 * - pingIntervalMs = configured, or T/6 when 0; at most fenceAfterMs / 2;
 * - requestTimeoutMs = configured, or T/3 when 0; at most fenceAfterMs.
 *
 * With the configured timeout the caps never bite (`loadConfig` enforced the rules); with a
 * shorter negotiated timeout they keep the invariants. Throws ConfigError (key
 * zk.sessionTimeoutMs) if T leaves no time to fence at all.
 */
export function resolveTimings(cfg: Config, negotiatedTimeoutMs?: number): ResolvedTimings {
  const t = negotiatedTimeoutMs ?? cfg.zk.sessionTimeoutMs;
  if (!Number.isFinite(t) || t <= 0) {
    throw new ConfigError(`zk.sessionTimeoutMs: invalid session timeout ${t}`, 'zk.sessionTimeoutMs');
  }
  const lag = sessionRefreshLagMs(cfg, t);
  const budget = t - cfg.jenkins.fenceKillAfterMs - cfg.fencing.marginMs - lag;
  const fenceAfterMs = Math.min(Math.floor(t * cfg.fencing.deadlineRatio), budget);
  if (fenceAfterMs < 2) {
    throw new ConfigError(
      `zk.sessionTimeoutMs: session timeout ${t} ms${negotiatedTimeoutMs === undefined ? '' : ' (negotiated)'} ` +
        `leaves no time to fence: it must exceed jenkins.fenceKillAfterMs + fencing.marginMs + ` +
        `max(zk.pingIntervalMs, zk.tickTimeMs / 2) = ${cfg.jenkins.fenceKillAfterMs} + ${cfg.fencing.marginMs} + ${lag} ms`,
      'zk.sessionTimeoutMs',
    );
  }
  return {
    sessionTimeoutMs: t,
    pingIntervalMs: Math.max(1, Math.min(effectivePingIntervalMs(cfg, t), Math.floor(fenceAfterMs / 2))),
    requestTimeoutMs: Math.max(1, Math.min(effectiveRequestTimeoutMs(cfg, t), fenceAfterMs)),
    fenceAfterMs,
  };
}

/**
 * The ZooKeeper client's liveness interval and call timeout for a (negotiated) session timeout
 * `t`: those of `resolveTimings`; when `t` leaves no time to fence (resolveTimings throws, and
 * Jenkins is never started on such a session) the defaults t/6 and t/3, at least 20 and 50 ms,
 * so that the session still serves the election and the status.
 */
export function clientTimings(cfg: Config, t: number): { pingIntervalMs: number; requestTimeoutMs: number } {
  try {
    const r = resolveTimings(cfg, t);
    return { pingIntervalMs: r.pingIntervalMs, requestTimeoutMs: r.requestTimeoutMs };
  } catch {
    return { pingIntervalMs: Math.max(20, defaultPingIntervalMs(t)), requestTimeoutMs: Math.max(50, defaultRequestTimeoutMs(t)) };
  }
}

/**
 * Effective storage lease timings: lock.leaseMs, or zk.sessionTimeoutMs / 2 when 0 (a crashed
 * leader's last heartbeat is older than that when its session expires, so a crash adds no wait);
 * lock.heartbeatMs, or a quarter of the lease when 0.
 */
export function resolveLockTimings(cfg: Config): { heartbeatMs: number; leaseMs: number } {
  const leaseMs = cfg.lock.leaseMs > 0 ? cfg.lock.leaseMs : Math.floor(cfg.zk.sessionTimeoutMs / 2);
  const heartbeatMs = cfg.lock.heartbeatMs > 0 ? cfg.lock.heartbeatMs : Math.max(1, Math.floor(leaseMs / 4));
  return { heartbeatMs, leaseMs };
}

/** Effective lock.ioTimeoutMs: configured, or min(2000, leaseMs - heartbeatMs - fencing.marginMs) when 0. */
export function resolveIoTimeoutMs(cfg: Config): number {
  if (cfg.lock.ioTimeoutMs > 0) return cfg.lock.ioTimeoutMs;
  const { heartbeatMs, leaseMs } = resolveLockTimings(cfg);
  return Math.min(2000, leaseMs - heartbeatMs - cfg.fencing.marginMs);
}

/**
 * The URL of this node's API as the controller advertises it in its election znode: api.host
 * (node.host when it listens on every address), api.port, https when api.tls is set. The CLI uses
 * it to find this host's controller when it is out of the election.
 */
export function advertisedApiUrl(cfg: Config): string {
  const host = cfg.api.host === '0.0.0.0' || cfg.api.host === '::' ? cfg.node.host : cfg.api.host;
  const scheme = cfg.api.tls.cert !== '' && cfg.api.tls.key !== '' ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${cfg.api.port}`;
}

/**
 * The git directory of sync mode git: sync.gitDir, else a sibling of JENKINS_HOME
 * (`/var/lib/jenkins` -> `/var/lib/.jenkins.jenkins-ha.git`), so Jenkins never sees it.
 */
export function resolveGitDir(cfg: Config): string {
  if (cfg.sync.gitDir !== '') return path.resolve(cfg.sync.gitDir);
  const home = path.resolve(cfg.jenkins.home);
  return path.join(path.dirname(home), `.${path.basename(home)}.jenkins-ha.git`);
}

/** A copy safe to log or serve: api.token, api.readToken, jenkins.apiToken, zk.auth and zk.sasl.password become "***" when set. */
export function redactedConfig(cfg: Config): Config {
  const copy = JSON.parse(JSON.stringify(cfg)) as Config;
  const mask = (v: string): string => (v === '' ? '' : '***');
  return deepFreeze({
    ...copy,
    jenkins: { ...copy.jenkins, apiToken: mask(cfg.jenkins.apiToken) },
    zk: { ...copy.zk, auth: mask(cfg.zk.auth), sasl: { ...copy.zk.sasl, password: mask(cfg.zk.sasl.password) } },
    api: { ...copy.api, token: mask(cfg.api.token), readToken: mask(cfg.api.readToken) },
  });
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The effective safety settings this node publishes in its member record (util/safety-settings.ts). */
export function safetySettingsOf(cfg: Config): SafetySettings {
  const t = cfg.zk.sessionTimeoutMs;
  const { heartbeatMs, leaseMs } = resolveLockTimings(cfg);
  let fenceAfterMs: number;
  try {
    fenceAfterMs = resolveTimings(cfg).fenceAfterMs;
  } catch {
    fenceAfterMs = 0;
  }
  return {
    sessionTimeoutMs: t,
    deadlineRatio: cfg.fencing.deadlineRatio,
    fenceAfterMs,
    fenceKillAfterMs: cfg.jenkins.fenceKillAfterMs,
    marginMs: cfg.fencing.marginMs,
    pingIntervalMs: effectivePingIntervalMs(cfg, t),
    tickTimeMs: cfg.zk.tickTimeMs,
    lockLeaseMs: leaseMs,
    lockLeaseDerived: cfg.lock.leaseMs === 0,
    lockHeartbeatMs: heartbeatMs,
    lockIoTimeoutMs: resolveIoTimeoutMs(cfg),
    watchdog: cfg.fencing.watchdog.mode,
    syncMode: cfg.sync.mode,
  };
}
