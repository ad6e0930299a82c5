/**
 * Composition root: config in, wired parts out. The only module that reads the whole config;
 * every part gets a typed slice, from one named builder per part. Owns signals and exit codes.
 * Defaults and cross-field rules (both TLS files or neither, the derived timings) belong to
 * config/load.ts: nothing here restates them.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { advertisedApiUrl, clientTimings, resolveGitDir, resolveIoTimeoutMs, resolveLockTimings, resolveTimings, safetySettingsOf, sessionRefreshLagMs, type Config } from './config/load';
import type { ApiTlsConfig, HooksConfig, JenkinsConfig, LockConfig } from './config/types';
import { ZkCoordinator } from './coordination/zookeeper';
import { CrashHandoff } from './coordination/crash-handoff';
import { zkTlsSetup } from './coordination/zk-tls';
import { zkSaslSetup } from './coordination/zk-sasl-report';
import { ClusterView } from './controller/cluster-view';
import { NotesPublisher } from './controller/notes-publisher';
import { Controller, type ControllerOptions } from './controller/controller';
import { ZnodeAclGuard } from './controller/znode-acl';
import { Election } from './election/election';
import { ConfigError, errorMessage } from './errors';
import { EpochStore } from './fencing/epoch';
import { HookRunner } from './hooks/runner';
import { HookTrigger } from './hooks/trigger';
import { configSecrets } from './config/secrets';
import { redactSecrets, type SecretScrub } from './util/secrets';
import { JenkinsClient } from './jenkins/client';
import { EligibilityMonitor } from './jenkins/eligibility';
import { JenkinsSupervisor, SESSION_CLOSER, type ServiceCommands } from './jenkins/supervisor';
import { DrainTracker } from './controller/drain';
import { peerJenkinsVersion } from './controller/peer-version';
import { sharedHomeIo } from './fencing/home-io';
import { lockFloor } from './fencing/home-lock';
import { loadGitSync } from './sync/lazy';
import { checkJenkinsHome, flockPath } from './fencing/home-perms';
import { HostWatchdog } from './fencing/watchdog';
import { createLogger, type Logger } from './logging/logger';
import { monoNow } from './util/clock';
import { pick } from './util/pick';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json sits outside rootDir
export const VERSION: string = (require('../package.json') as { version: string }).version;

/** How often a drain polls Jenkins' running builds. */
const DRAIN_POLL_MS = 500;

/** Exit codes of `jenkins-ha run`. */
export const EXIT = { OK: 0, FATAL: 1, CONFIG: 2, USAGE: 64 } as const;

export interface Node {
  controller: Controller;
  server: http.Server | https.Server;
  logger: Logger;
  /** Resolves with the exit code when the node has stopped. */
  finished: Promise<number>;
  stop(reason: string): Promise<number>;
}

/** Jenkins as this node runs it: the HTTP client, the supervisor and, in service mode, its commands. */
interface JenkinsParts {
  client: JenkinsClient;
  supervisor: JenkinsSupervisor;
  service: ServiceCommands | null;
}

export async function startNode(cfg: Config, logger?: Logger): Promise<Node> {
  const log =
    logger ??
    createLogger({ level: cfg.log.level, format: cfg.log.format, base: { node: cfg.node.id, cluster: cfg.cluster.name } });
  const tls = readTls(cfg.api.tls);
  // Every call on JENKINS_HOME is bounded by lock.ioTimeoutMs (src/fencing/home-io.ts).
  sharedHomeIo().configure({ timeoutMs: resolveIoTimeoutMs(cfg), logger: log.child({ component: 'home' }) });
  // Refuse a JENKINS_HOME we cannot write or anyone can (ConfigError: exit 2); lock files 0600.
  for (const f of await checkJenkinsHome(cfg.jenkins.home)) {
    log.warn(`tightened the mode of ${f} to 0600`, { event: 'home.mode_fixed' });
  }
  const watchdog = buildWatchdog(cfg, log);
  const base = `${cfg.zk.root}/${cfg.cluster.name}`;
  const apiUrl = advertisedApiUrl(cfg);
  // The one list of secrets (the schema's sensitive keys): no child process inherits them.
  const secrets = configSecrets(cfg);

  // zk.tls: every file checked now (ConfigError naming the key: exit 2), re-read per connection.
  const zkTls = zkTlsSetup(cfg.zk.tls);
  const zkSasl = zkSaslSetup(cfg.zk.sasl); // zk.sasl: DIGEST-MD5 on every connection; sasl:<user> ACL without zk.auth
  const coordinator = new ZkCoordinator({
    ...pick(cfg.zk, 'connect', 'sessionTimeoutMs', 'spinDelayMs'),
    timings: (t) => clientTimings(cfg, t),
    logger: log.child({ component: 'zookeeper' }),
    access: { ...pick(cfg.zk, 'auth', 'worldRead'), x509: zkTls.x509, sasl: cfg.zk.sasl.user },
    sharedPath: cfg.zk.root,
    ...(zkTls.tls ? { tls: zkTls.tls } : {}),
    ...(zkSasl ? { sasl: zkSasl } : {}),
  });
  new ZnodeAclGuard(coordinator, coordinator, base, log.child({ component: 'zookeeper' })).start();
  // Subscribed before the cluster view: on connect the election's create is sent before its reads.
  const record = buildMemberRecord(cfg, coordinator, base, apiUrl, secrets, log);
  const election = buildElection(cfg, coordinator, base, record, log);
  const cluster = new ClusterView(coordinator, base, log.child({ component: 'cluster' }));
  // A crashed controller's session is closed by its shim (docs/safety.md): the shim learns it on its stdin.
  const handoff = new CrashHandoff(coordinator, {
    ...pick(cfg.zk, 'connect', 'auth'), tls: zkTls.tls ?? null, home: cfg.jenkins.home, nodeId: cfg.node.id,
    waitMs: cfg.jenkins.fenceKillAfterMs + 5000, ioTimeoutMs: resolveIoTimeoutMs(cfg),
  });
  const jenkins = buildJenkins(cfg.jenkins, cfg.lock, secrets, log, handoff);
  coordinator.on('session', () => jenkins.supervisor.refreshHandoff());
  // A new term's epoch is taken above the epoch the JENKINS_HOME lock names (ZooKeeper's state may have
  // been lost or restored meanwhile); in sync.mode git also above the newest epoch on the sync branch.
  const git = cfg.sync.mode === 'git' ? await loadGitSync() : null;
  const branchFloor = git ? git.createBranchFloor(cfg.sync, { home: cfg.jenkins.home, gitDir: resolveGitDir(cfg), nodeId: cfg.node.id, secrets }) : null;
  const floor = async () => (git && branchFloor ? git.combineFloors(...(await Promise.all([lockFloor(cfg.jenkins.home), branchFloor()]))) : lockFloor(cfg.jenkins.home));
  const epochs = new EpochStore(coordinator, base, { floor, logger: log.child({ component: 'epoch' }) });
  const sync = git
      ? git.createGitSync(cfg.sync, { coordinator, basePath: base, epochs, home: cfg.jenkins.home, gitDir: resolveGitDir(cfg), nodeId: cfg.node.id, logger: log.child({ component: 'sync' }), secrets })
      : undefined;
  const controller = new Controller(controllerOptions(cfg, apiUrl, log), {
    coordinator,
    election,
    supervisor: jenkins.supervisor,
    epochs,
    cluster,
    logger: log.child({ component: 'controller' }),
    now: monoNow,
    drain: new DrainTracker({ client: jenkins.client, pollMs: DRAIN_POLL_MS, logger: log.child({ component: 'drain' }), now: monoNow }),
    eligibility: buildEligibility(cfg, cluster, election, jenkins, secrets, log),
    ...(sync ? { sync } : {}),
    watchdog,
    runFencing: async (o) => (await import('./fencing/methods')).runFencingMethods({ ...o, secrets }), // loaded when first run
  });

  record.start(() => election.status().znode, () => controller.status().notes ?? []);
  const hooks = startHooks(cfg.hooks, { nodeId: cfg.node.id, cluster: cfg.cluster.name }, controller, secrets, log);
  logStarted(cfg, apiUrl, watchdog, log, git?.redactRepo ?? null);
  return serve(cfg, { controller, election, hooks, tls, apiUrl }, log);
}

/** The API's TLS material (both files or neither: checkCrossFieldRules); unreadable -> ConfigError. */
function readTls(tls: ApiTlsConfig): { cert: Buffer; key: Buffer } | null {
  if (tls.cert === '' && tls.key === '') return null;
  const read = (file: string, k: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${k}: cannot read ${JSON.stringify(file)}: ${errorMessage(err)}`, k);
    }
  };
  return { cert: read(tls.cert, 'api.tls.cert'), key: read(tls.key, 'api.tls.key') };
}

/**
 * The host watchdog: in required mode a device that cannot be validated is a ConfigError (exit 2);
 * in automatic mode a warning, and it stays off. Nothing is opened before a launch.
 */
function buildWatchdog(cfg: Config, log: Logger): HostWatchdog {
  const watchdog = new HostWatchdog({
    ...cfg.fencing.watchdog,
    budget: (t) => {
      const r = resolveTimings(cfg, t);
      return {
        sessionTimeoutMs: t,
        fenceAfterMs: r.fenceAfterMs,
        pingIntervalMs: r.pingIntervalMs,
        fenceKillAfterMs: cfg.jenkins.fenceKillAfterMs,
        refreshLagMs: sessionRefreshLagMs(cfg, t),
      };
    },
    logger: log.child({ component: 'watchdog' }),
  });
  watchdog.checkAtStart(cfg.zk.sessionTimeoutMs);
  return watchdog;
}

/** What this node's election znode carries: its info, safety settings and notes (kept current). */
function buildMemberRecord(cfg: Config, coordinator: ZkCoordinator, base: string, apiUrl: string, secrets: SecretScrub, log: Logger): NotesPublisher {
  const startedAt = new Date().toISOString();
  const settings = safetySettingsOf(cfg);
  const base0 = { ...pick(cfg.node, 'id', 'host'), pid: process.pid, apiUrl, jenkinsUrl: cfg.jenkins.url, version: VERSION, startedAt, settings, ...pick(cfg.election, 'priority', 'noFailover') };
  return new NotesPublisher({ coordinator, electionPath: `${base}/election`, base: () => base0, redact: (t) => redactSecrets(t, secrets), logger: log.child({ component: 'election' }), now: monoNow });
}

/** This node's place in the election; its znode carries what the CLI and the other members read. */
function buildElection(cfg: Config, coordinator: ZkCoordinator, base: string, record: NotesPublisher, log: Logger): Election {
  return new Election({
    coordinator,
    path: `${base}/election`,
    nodeId: cfg.node.id,
    host: cfg.node.host,
    logger: log.child({ component: 'election' }),
    now: monoNow,
    member: () => record.member(),
  });
}

/** The Jenkins client and supervisor (child mode, or service mode with its commands). */
function buildJenkins(j: JenkinsConfig, lock: LockConfig, secrets: SecretScrub, log: Logger, handoff: CrashHandoff): JenkinsParts {
  const client = new JenkinsClient(j.url, j.user !== '' ? pick(j, 'user', 'apiToken') : null, j.healthTimeoutMs);
  const service: ServiceCommands | null =
    j.mode === 'service' ? { start: j.startCommand, stop: j.stopCommand, pid: j.servicePidCommand, status: j.statusCommand } : null;
  const supervisor = new JenkinsSupervisor({
    ...pick(j, 'command', 'home', 'url', 'user', 'startupGraceMs', 'healthIntervalMs', 'healthTimeoutMs', 'livenessFailures'),
    client,
    ...(service ? { service } : {}),
    fenceGraceMs: j.fenceKillAfterMs,
    flock: { file: flockPath(j.home), waitMs: lock.flockWaitMs, timeoutAction: lock.flockTimeoutAction },
    logger: log.child({ component: 'jenkins' }),
    now: monoNow,
    secrets,
    handoff: { node: process.execPath, script: SESSION_CLOSER, payload: (epoch) => handoff.payload(epoch) },
  });
  return { client, supervisor, service };
}

/** Whether this node could take over (checked while no Jenkins runs here). */
function buildEligibility(cfg: Config, cluster: ClusterView, election: Election, jenkins: JenkinsParts, secrets: SecretScrub, log: Logger): EligibilityMonitor {
  const { supervisor, service } = jenkins;
  const j = cfg.jenkins;
  return new EligibilityMonitor({
    ...cfg.eligibility,
    home: j.home,
    // Every call on the home is bounded (lock.ioTimeoutMs) and off the libuv pool.
    homeIo: sharedHomeIo(),
    nodeId: cfg.node.id,
    command: service ? service.start : j.command,
    secrets,
    leaderVersion: async () => {
      const leader = cluster.members()[0];
      if (!leader || leader.id === cfg.node.id || leader.apiUrl === '') return null;
      return peerJenkinsVersion(leader.apiUrl, cfg.api.readToken !== '' ? cfg.api.readToken : cfg.api.token, j.healthTimeoutMs);
    },
    // Checked while no Jenkins runs here (a leader's running Jenkins proves the point).
    active: () => supervisor.status().state === 'stopped',
    ...(service
      ? {
          stray: {
            running: () => supervisor.serviceRunning(j.healthTimeoutMs),
            stop: () => supervisor.stopStrayService(j.stopTimeoutMs),
            mayStop: () => election.status().role === 'idle' && supervisor.status().state === 'stopped',
          },
        }
      : {}),
    logger: log.child({ component: 'eligibility' }),
  });
}

/** The controller's options: identity, Jenkins' restart and stop budgets, the election, fencing and the lease. */
function controllerOptions(cfg: Config, apiUrl: string, log: Logger): ControllerOptions {
  const j = cfg.jenkins;
  return {
    clusterName: cfg.cluster.name,
    nodeId: cfg.node.id,
    host: cfg.node.host,
    home: j.home,
    apiUrl,
    jenkinsUrl: j.url,
    safetySettings: safetySettingsOf(cfg),
    fenceAfterFor: (t) => {
      try {
        return resolveTimings(cfg, t).fenceAfterMs;
      } catch (err) {
        log.error(`negotiated session timeout leaves no time to fence: ${errorMessage(err)}`, { event: 'config.unsafe_timeout' });
        return 0; // never provable: Jenkins is never started with such a session
      }
    },
    ...pick(j, 'stopTimeoutMs', 'fenceKillAfterMs', 'maxRestarts', 'restartBackoffMs', 'restartBackoffMaxMs', 'restartWindowMs', 'drainTimeoutMs', 'drainOnShutdown'),
    ...cfg.election,
    requestedSessionTimeoutMs: cfg.zk.sessionTimeoutMs,
    fencing: pick(cfg.fencing, 'methods', 'timeoutMs', 'retryBackoffMs', 'retryBackoffMaxMs'),
    lock: resolveLockTimings(cfg),
  };
}

/** The `started` line: what this node runs with (secrets only as "set or not"). */
function logStarted(cfg: Config, apiUrl: string, watchdog: HostWatchdog, log: Logger, redactRepo: ((repo: string) => string) | null): void {
  const wd = cfg.fencing.watchdog;
  log.info('jenkins-ha started', {
    event: 'started',
    version: VERSION,
    pid: process.pid,
    api: apiUrl,
    zk: cfg.zk.connect,
    home: cfg.jenkins.home,
    sessionTimeoutMs: cfg.zk.sessionTimeoutMs,
    sync: redactRepo ? { repo: redactRepo(cfg.sync.repo), branch: cfg.sync.branch, gitDir: resolveGitDir(cfg) } : 'shared',
    zkAuth: cfg.zk.auth !== '',
    zkTls: cfg.zk.tls.enabled ? { clientCert: cfg.zk.tls.certFile !== '', serverName: cfg.zk.tls.serverName || null } : false,
    zkSasl: cfg.zk.sasl.user !== '' ? { user: cfg.zk.sasl.user } : false,
    watchdog: wd.mode === 'off' ? 'off' : { mode: wd.mode, device: wd.device, armable: watchdog.status().lastError === null },
  });
  if (cfg.zk.auth === '') {
    log.info('zk.auth is not set: the znodes of this cluster are open to every ZooKeeper client', { event: 'zk.acl_open' });
  }
}

/**
 * Runs the node: the control loop first, then the API, and the exit code once both are done.
 * The controller is both the status source and the command sink of the API.
 */
async function serve(
  cfg: Config,
  parts: { controller: Controller; election: Election; hooks: HookRunner; tls: { cert: Buffer; key: Buffer } | null; apiUrl: string },
  log: Logger,
): Promise<Node> {
  const { controller, election, hooks, tls, apiUrl } = parts;
  // Join the election first; loading express (~100 ms here) waits until our znode exists or a
  // second has passed, so a restarted node is back in line as early as possible.
  const loop = controller.start();
  let failedApi = false;
  const finished = loop
    .then(
      () => (failedApi ? EXIT.FATAL : EXIT.OK),
      (err: unknown) => {
        log.error(`control loop failed: ${errorMessage(err)}`, { event: 'fatal' });
        return EXIT.FATAL;
      },
    )
    // Jenkins is stopped by now; let onStopped (bounded by hooks.timeoutMs) finish before exiting.
    .then(async (code) => {
      await hooks.idle();
      return code;
    });
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, 1000);
    election.on('change', done);
    function done(): void {
      clearTimeout(t);
      election.off('change', done);
      resolve();
    }
  });
  const { createHandler } = await import('./api/app');
  const app = createHandler(controller, controller, {
    ...pick(cfg.api, 'token', 'readToken', 'bodyLimit'),
    stallAfterMs: Math.max(2000, cfg.zk.sessionTimeoutMs / 2),
    onInternalError: (err) => log.error(`API request failed: ${errorMessage(err)}`, { event: 'api.error' }),
    hookStats: () => hooks.snapshot(),
  });
  const server = tls ? https.createServer(tls, app) : http.createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.api.port, cfg.api.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    log.info(`API listening on ${apiUrl}`, { event: 'api.listening' });
  } catch (err) {
    failedApi = true;
    log.error(`cannot listen on ${cfg.api.host}:${cfg.api.port}: ${errorMessage(err)}`, { event: 'fatal' });
    void controller.shutdown('the API cannot listen');
  }
  const closeServer = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  void finished.then(closeServer);

  return {
    controller,
    server,
    logger: log,
    finished,
    async stop(reason: string): Promise<number> {
      await controller.shutdown(reason);
      const code = await finished;
      await closeServer();
      return code;
    },
  };
}

/**
 * Role-change hooks: the runner (src/hooks) fed by the controller's role events. Hooks inherit
 * this process's environment minus the secrets of the configuration (the API tokens, ...).
 */
function startHooks(h: HooksConfig, who: { nodeId: string; cluster: string }, controller: Controller, secrets: SecretScrub, log: Logger): HookRunner {
  const runner = new HookRunner({
    commands: pick(h, 'onLeader', 'onStandby', 'onStopped'),
    timeoutMs: h.timeoutMs,
    ...who,
    baseEnv: process.env,
    secrets,
    logger: log.child({ component: 'hooks' }),
    now: monoNow,
  });
  if (!runner.enabled) return runner;
  const trigger = new HookTrigger(who.nodeId, (hook, ctx) => runner.request(hook, ctx));
  controller.onEvent((e) => {
    if (e.type !== 'role' && e.type !== 'leader_change') return;
    const s = controller.status();
    trigger.handle(e, { epoch: s.epoch, leaderId: s.leader?.id ?? null });
  });
  // A hook must not outlive a controller that exits (SIGKILL of the controller is the exception).
  process.once('exit', () => runner.close());
  return runner;
}
