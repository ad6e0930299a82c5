/**
 * Rules between keys, checked once the schema has validated each key alone, and what the `run`
 * command needs beyond a valid config. Each violation is a ConfigError that names the key, shows
 * the arithmetic and suggests the fix.
 */
import path from 'node:path';
import { ConfigError } from '../errors';
import { effectivePingIntervalMs, effectiveRequestTimeoutMs, resolveGitDir, resolveIoTimeoutMs, resolveLockTimings, sessionRefreshLagMs } from './derived';
import { envName, flagName } from './schema';
import type { Config } from './types';

/** At most `n` characters of `s` (long keys and values from hostile files stay readable). */
export function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}... (${s.length} characters)`;
}

/** Rules between keys; each violation is a ConfigError naming the keys involved. */
export function checkCrossFieldRules(cfg: Config): void {
  const t = cfg.zk.sessionTimeoutMs;
  const ratio = cfg.fencing.deadlineRatio;
  const deadline = t * ratio;
  const kill = cfg.jenkins.fenceKillAfterMs;
  const margin = cfg.fencing.marginMs;
  const lag = sessionRefreshLagMs(cfg, t);
  const ping = effectivePingIntervalMs(cfg, t);

  if (deadline + kill + margin + lag > t) {
    const room = t - kill - margin - lag;
    // A ratio is only worth suggesting when two liveness probes still fit in its deadline.
    const fix =
      room > 0 && room >= 2 * ping
        ? `set fencing.deadlineRatio to at most ${Math.floor((room / t) * 1000) / 1000}, lower jenkins.fenceKillAfterMs, fencing.marginMs or zk.pingIntervalMs, or raise zk.sessionTimeoutMs`
        : `raise zk.sessionTimeoutMs, or lower jenkins.fenceKillAfterMs, fencing.marginMs or zk.pingIntervalMs`;
    throw new ConfigError(
      `fencing budget exceeds the session timeout: zk.sessionTimeoutMs * fencing.deadlineRatio + ` +
        `jenkins.fenceKillAfterMs + fencing.marginMs + max(zk.pingIntervalMs, zk.tickTimeMs / 2) = ` +
        `${t} * ${ratio} + ${kill} + ${margin} + max(${ping}${cfg.zk.pingIntervalMs === 0 ? ` (0 = ${t} / 6)` : ''}, ` +
        `${cfg.zk.tickTimeMs} / 2) = ${deadline + kill + margin + lag} ms > zk.sessionTimeoutMs = ${t} ms. ` +
        `The leader must have stopped Jenkins before its ZooKeeper session can expire (and the other node ` +
        `can take over), and a session served by a follower can expire up to max(zk.pingIntervalMs, ` +
        `zk.tickTimeMs / 2) before lastHeard + zk.sessionTimeoutMs: ${fix} ` +
        `(zk.tickTimeMs must be the servers' tickTime from zoo.cfg)`,
      'fencing.deadlineRatio',
    );
  }

  if (ping * 2 > deadline) {
    throw new ConfigError(
      `zk.pingIntervalMs: effective liveness interval ${ping} ms` +
        `${cfg.zk.pingIntervalMs === 0 ? ` (0 = zk.sessionTimeoutMs / 6 = ${t} / 6)` : ''}` +
        ` leaves fewer than two liveness probes before self-fencing: 2 * ${ping} > ` +
        `zk.sessionTimeoutMs * fencing.deadlineRatio = ${t} * ${ratio} = ${deadline} ms; ` +
        `set zk.pingIntervalMs to at most ${Math.floor(deadline / 2)}`,
      'zk.pingIntervalMs',
    );
  }

  const request = effectiveRequestTimeoutMs(cfg, t);
  if (request > deadline) {
    throw new ConfigError(
      `zk.requestTimeoutMs: effective ZooKeeper call timeout ${request} ms` +
        `${cfg.zk.requestTimeoutMs === 0 ? ` (0 = zk.sessionTimeoutMs / 3 = ${t} / 3)` : ''}` +
        ` exceeds the fencing deadline zk.sessionTimeoutMs * fencing.deadlineRatio = ${t} * ${ratio} = ` +
        `${deadline} ms; set zk.requestTimeoutMs to at most ${Math.floor(deadline)}`,
      'zk.requestTimeoutMs',
    );
  }

  if (cfg.jenkins.restartBackoffMs > cfg.jenkins.restartBackoffMaxMs) {
    throw new ConfigError(
      `jenkins.restartBackoffMs (${cfg.jenkins.restartBackoffMs}) must not exceed ` +
        `jenkins.restartBackoffMaxMs (${cfg.jenkins.restartBackoffMaxMs})`,
      'jenkins.restartBackoffMs',
    );
  }

  if (cfg.fencing.retryBackoffMs > cfg.fencing.retryBackoffMaxMs) {
    throw new ConfigError(
      `fencing.retryBackoffMs (${cfg.fencing.retryBackoffMs}) must not exceed fencing.retryBackoffMaxMs (${cfg.fencing.retryBackoffMaxMs})`,
      'fencing.retryBackoffMs',
    );
  }

  const lock = resolveLockTimings(cfg);
  if (lock.heartbeatMs >= lock.leaseMs) {
    throw new ConfigError(
      `lock.heartbeatMs: effective heartbeat ${lock.heartbeatMs} ms must be less than the effective lock.leaseMs ` +
        `${lock.leaseMs} ms${cfg.lock.leaseMs === 0 ? ` (0 = zk.sessionTimeoutMs / 2)` : ''}: a live leader must refresh its ` +
        `heartbeat before the lease it gives can run out (several heartbeats per lease is best)`,
      'lock.heartbeatMs',
    );
  }

  checkIoTimeout(cfg);

  if (cfg.lock.flockWaitMs >= cfg.jenkins.startupGraceMs) {
    throw new ConfigError(
      `lock.flockWaitMs (${cfg.lock.flockWaitMs}) must be less than jenkins.startupGraceMs (${cfg.jenkins.startupGraceMs}): ` +
        `the shim waits for the flock inside Jenkins' start-up time`,
      'lock.flockWaitMs',
    );
  }

  const { cert, key } = cfg.api.tls;
  if (cert !== '' && key === '') {
    throw new ConfigError(`api.tls.key must be set when api.tls.cert is set (${JSON.stringify(clip(cert, 200))}): HTTPS needs both`, 'api.tls.key');
  }
  if (key !== '' && cert === '') {
    throw new ConfigError(`api.tls.cert must be set when api.tls.key is set: HTTPS needs both`, 'api.tls.cert');
  }

  checkJenkinsRules(cfg);
  checkZkTlsRules(cfg);
  checkZkSaslRules(cfg);

  // Also enforced by the schema format; kept here so hand-built configs are checked too.
  if (!isHttpUrl(cfg.jenkins.url)) {
    throw new ConfigError(`jenkins.url must be an http:// or https:// URL: ${JSON.stringify(clip(cfg.jenkins.url, 200))}`, 'jenkins.url');
  }
}

/** zk.tls: files only with TLS on, certificate and key together, ACL identities need a certificate. */
function checkZkTlsRules(cfg: Config): void {
  const t = cfg.zk.tls;
  const set = (['caFile', 'certFile', 'keyFile'] as const).filter((k) => t[k] !== '');
  if (!t.enabled && set.length > 0) {
    throw new ConfigError(
      `zk.tls.${set[0]} is set but zk.tls.enabled is false: jenkins-ha would talk plain TCP to ZooKeeper; set zk.tls.enabled=true (env ${envName('zk.tls.enabled')}) or clear zk.tls.${set[0]}`,
      'zk.tls.enabled',
    );
  }
  if ((t.certFile === '') !== (t.keyFile === '')) {
    const missing = t.certFile === '' ? 'zk.tls.certFile' : 'zk.tls.keyFile';
    throw new ConfigError(`${missing} must be set too: mutual TLS needs zk.tls.certFile and zk.tls.keyFile together`, missing);
  }
  if (t.aclIdentities.length > 0 && t.certFile === '') {
    throw new ConfigError('zk.tls.aclIdentities needs a client certificate (zk.tls.certFile): without one the servers see no certificate identity', 'zk.tls.aclIdentities');
  }
}

/** zk.sasl: user and password together (SASL DIGEST-MD5 needs both). */
function checkZkSaslRules(cfg: Config): void {
  const { user, password } = cfg.zk.sasl;
  if (user !== '' && password === '') {
    throw new ConfigError(
      `zk.sasl.password must be set when zk.sasl.user is set (${JSON.stringify(clip(user, 200))}): SASL DIGEST-MD5 needs both (env ${envName('zk.sasl.password')})`,
      'zk.sasl.password',
    );
  }
  if (password !== '' && user === '') {
    throw new ConfigError(`zk.sasl.user must be set when zk.sasl.password is set: SASL DIGEST-MD5 needs both (env ${envName('zk.sasl.user')})`, 'zk.sasl.user');
  }
}

/** Service mode needs its commands; the Jenkins credentials come in pairs. */
function checkJenkinsRules(cfg: Config): void {
  const j = cfg.jenkins;
  if (j.mode === 'service') {
    for (const k of ['startCommand', 'stopCommand', 'servicePidCommand'] as const) {
      if (j[k].trim() === '') {
        throw new ConfigError(`jenkins.${k} must be set when jenkins.mode is service`, `jenkins.${k}`);
      }
    }
  }
  if ((j.user === '') !== (j.apiToken === '')) {
    const missing = j.user === '' ? 'jenkins.user' : 'jenkins.apiToken';
    throw new ConfigError(`${missing} must be set too: jenkins.user and jenkins.apiToken are set together or not at all`, missing);
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * What the `run` command needs beyond a valid config: jenkins.home must be a non-empty
 * absolute path. (`status` and other read-only commands do not call this.)
 */
export function requireRunnable(cfg: Config): void {
  const home = cfg.jenkins.home;
  if (home === '') {
    throw new ConfigError(
      `jenkins.home is not set: set env ${envName('jenkins.home')}, flag ${flagName('jenkins.home')} ` +
        `or "jenkins": { "home": ... } in the config file (an absolute path on the shared storage)`,
      'jenkins.home',
    );
  }
  if (!path.isAbsolute(home)) {
    throw new ConfigError(`jenkins.home must be an absolute path: ${JSON.stringify(clip(home, 200))}`, 'jenkins.home');
  }
  if (cfg.sync.mode === 'git') requireSyncRunnable(cfg);
}

function requireSyncRunnable(cfg: Config): void {
  if (cfg.sync.repo.trim() === '') {
    throw new ConfigError(
      `sync.repo is not set: sync.mode is git, so the configuration needs a repository (env ${envName('sync.repo')}, flag ${flagName('sync.repo')})`,
      'sync.repo',
    );
  }
  if (cfg.sync.gitDir !== '' && !path.isAbsolute(cfg.sync.gitDir)) {
    throw new ConfigError(`sync.gitDir must be an absolute path: ${JSON.stringify(cfg.sync.gitDir)}`, 'sync.gitDir');
  }
  const home = path.resolve(cfg.jenkins.home);
  const gitDir = resolveGitDir(cfg);
  const rel = path.relative(home, gitDir);
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
    throw new ConfigError(`sync.gitDir must be outside jenkins.home (${home}): ${gitDir}`, 'sync.gitDir');
  }
  if (cfg.sync.include.length === 0) {
    throw new ConfigError('sync.include is empty: sync.mode git needs at least one glob to replicate', 'sync.include');
  }
}

/**
 * lock.ioTimeoutMs against the storage lease: a leader whose heartbeat does not land notices it
 * heartbeatMs + ioTimeoutMs after the start of the last one that did and kills Jenkins at once
 * (SIGKILL; fencing.marginMs covers the kill): all before the lease it gave runs out at a reader.
 */
function checkIoTimeout(cfg: Config): void {
  const { heartbeatMs, leaseMs } = resolveLockTimings(cfg);
  const io = resolveIoTimeoutMs(cfg);
  const margin = cfg.fencing.marginMs;
  if (io < 1 || heartbeatMs + io + margin > leaseMs) {
    const derived = cfg.lock.ioTimeoutMs === 0 ? ` (0 = min(2000, lock.leaseMs - lock.heartbeatMs - fencing.marginMs))` : '';
    throw new ConfigError(
      `lock.ioTimeoutMs: effective ${io} ms${derived} breaks the storage lease rule lock.heartbeatMs + lock.ioTimeoutMs + ` +
        `fencing.marginMs <= lock.leaseMs: ${heartbeatMs} + ${io} + ${margin} = ${heartbeatMs + io + margin} ms > ${leaseMs} ms. ` +
        `A leader whose JENKINS_HOME hangs must have killed Jenkins before the lease it last wrote runs out at another node: ` +
        `set lock.ioTimeoutMs to at most ${Math.max(0, leaseMs - heartbeatMs - margin)}, or raise lock.leaseMs`,
      'lock.ioTimeoutMs',
    );
  }
}
