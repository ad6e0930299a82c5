/**
 * Composition root: config in, wired parts out. The only module that reads the whole config;
 * every part gets a typed slice. Owns signals and exit codes.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { advertisedApiUrl, resolveGitDir, resolveLockTimings, resolveTimings, type Config } from './config/load';
import { ZkCoordinator } from './coordination/zookeeper';
import { ClusterView } from './controller/cluster-view';
import { Controller } from './controller/controller';
import { ZnodeAclGuard } from './controller/znode-acl';
import { Election } from './election/election';
import { ConfigError, errorMessage } from './errors';
import { EpochStore } from './fencing/epoch';
import { HookRunner } from './hooks/runner';
import { HookTrigger } from './hooks/trigger';
import { listKeys } from './config/schema';
import { JenkinsClient } from './jenkins/client';
import { EligibilityMonitor } from './jenkins/eligibility';
import { JenkinsSupervisor, type ServiceCommands } from './jenkins/supervisor';
import { DrainTracker } from './controller/drain';
import { peerJenkinsVersion } from './controller/peer-version';
import { checkJenkinsHome, flockPath } from './fencing/home-perms';
import { lockFloor } from './fencing/home-lock';
import { HostWatchdog } from './fencing/watchdog';
import { createLogger, type Logger } from './logging/logger';
import { monoNow } from './util/clock';
import { createGitSync } from './sync/create';
import { redactRepo } from './sync/git';

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

/** The API's TLS material: both files or neither (checkCrossFieldRules); unreadable -> ConfigError. */
function readTls(cfg: Config): { cert: Buffer; key: Buffer } | null {
  const { cert, key } = cfg.api.tls;
  if (cert === '' && key === '') return null;
  const read = (file: string, k: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${k}: cannot read ${JSON.stringify(file)}: ${errorMessage(err)}`, k);
    }
  };
  if (cert === '') throw new ConfigError('api.tls.cert must be set when api.tls.key is set', 'api.tls.cert');
  if (key === '') throw new ConfigError('api.tls.key must be set when api.tls.cert is set', 'api.tls.key');
  return { cert: read(cert, 'api.tls.cert'), key: read(key, 'api.tls.key') };
}

export async function startNode(cfg: Config, logger?: Logger): Promise<Node> {
  const log =
    logger ??
    createLogger({ level: cfg.log.level, format: cfg.log.format, base: { node: cfg.node.id, cluster: cfg.cluster.name } });
  const tls = readTls(cfg);
  // Refuse a JENKINS_HOME we cannot write or anyone can (ConfigError: exit 2); lock files 0600.
  for (const f of await checkJenkinsHome(cfg.jenkins.home)) {
    log.warn(`tightened the mode of ${f} to 0600`, { event: 'home.mode_fixed' });
  }
  // The host watchdog: in required mode a device that cannot be validated is a ConfigError (exit 2);
  // in automatic mode a warning, and it stays off. Nothing is opened before a launch.
  const wd = cfg.fencing.watchdog;
  const watchdog = new HostWatchdog({
    mode: wd.mode,
    device: wd.device,
    sysfsDir: wd.sysfsDir,
    safetyMarginMs: wd.safetyMarginMs,
    budget: (t) => {
      const r = resolveTimings(cfg, t);
      return { sessionTimeoutMs: t, fenceAfterMs: r.fenceAfterMs, pingIntervalMs: r.pingIntervalMs, fenceKillAfterMs: cfg.jenkins.fenceKillAfterMs };
    },
    logger: log.child({ component: 'watchdog' }),
  });
  watchdog.checkAtStart(cfg.zk.sessionTimeoutMs);
  const base = `${cfg.zk.root}/${cfg.cluster.name}`;
  const now = monoNow;
  const fenceAfterFor = (t: number): number => {
    try {
      return resolveTimings(cfg, t).fenceAfterMs;
    } catch (err) {
      log.error(`negotiated session timeout leaves no time to fence: ${errorMessage(err)}`, { event: 'config.unsafe_timeout' });
      return 0; // never provable: Jenkins is never started with such a session
    }
  };

  const coordinator = new ZkCoordinator({
    connect: cfg.zk.connect,
    sessionTimeoutMs: cfg.zk.sessionTimeoutMs,
    spinDelayMs: cfg.zk.spinDelayMs,
    timings: (t) => {
      try {
        const r = resolveTimings(cfg, t);
        return { pingIntervalMs: r.pingIntervalMs, requestTimeoutMs: r.requestTimeoutMs };
      } catch {
        return { pingIntervalMs: Math.max(20, Math.floor(t / 6)), requestTimeoutMs: Math.max(50, Math.floor(t / 3)) };
      }
    },
    logger: log.child({ component: 'zookeeper' }),
    access: { auth: cfg.zk.auth, worldRead: cfg.zk.worldRead },
    sharedPath: cfg.zk.root,
  });
  new ZnodeAclGuard(coordinator, coordinator, base, log.child({ component: 'zookeeper' })).start();
  const startedAt = new Date().toISOString();
  const cluster = new ClusterView(coordinator, base, log.child({ component: 'cluster' }));
  const election = new Election({
    coordinator,
    path: `${base}/election`,
    nodeId: cfg.node.id,
    host: cfg.node.host,
    logger: log.child({ component: 'election' }),
    now,
    member: () => ({
      id: cfg.node.id,
      host: cfg.node.host,
      pid: process.pid,
      apiUrl: advertisedApiUrl(cfg),
      jenkinsUrl: cfg.jenkins.url,
      version: VERSION,
      startedAt,
    }),
  });
  const jenkinsClient = new JenkinsClient(
    cfg.jenkins.url,
    cfg.jenkins.user !== '' ? { user: cfg.jenkins.user, apiToken: cfg.jenkins.apiToken } : null,
    cfg.jenkins.healthTimeoutMs,
  );
  const service: ServiceCommands | undefined =
    cfg.jenkins.mode === 'service'
      ? { start: cfg.jenkins.startCommand, stop: cfg.jenkins.stopCommand, pid: cfg.jenkins.servicePidCommand, status: cfg.jenkins.statusCommand }
      : undefined;
  const supervisor = new JenkinsSupervisor({
    command: cfg.jenkins.command,
    home: cfg.jenkins.home,
    url: cfg.jenkins.url,
    client: jenkinsClient,
    user: cfg.jenkins.user,
    ...(service ? { service } : {}),
    startupGraceMs: cfg.jenkins.startupGraceMs,
    healthIntervalMs: cfg.jenkins.healthIntervalMs,
    healthTimeoutMs: cfg.jenkins.healthTimeoutMs,
    livenessFailures: cfg.jenkins.livenessFailures,
    fenceGraceMs: cfg.jenkins.fenceKillAfterMs,
    flock: { file: flockPath(cfg.jenkins.home), waitMs: cfg.lock.flockWaitMs, timeoutAction: cfg.lock.flockTimeoutAction },
    logger: log.child({ component: 'jenkins' }),
    now,
  });
  // A new term's epoch is taken above the epoch the JENKINS_HOME lock names (ZooKeeper's state may
  // have been lost or restored while the lock kept a higher one).
  const epochs = new EpochStore(coordinator, base, { floor: () => lockFloor(cfg.jenkins.home), logger: log.child({ component: 'epoch' }) });
  const sync = cfg.sync.mode === 'git' ? createGitSync(cfg.sync, { coordinator, basePath: base, epochs, home: cfg.jenkins.home, gitDir: resolveGitDir(cfg), nodeId: cfg.node.id, logger: log.child({ component: 'sync' }) }) : undefined;
  const controller = new Controller(
    {
      clusterName: cfg.cluster.name,
      nodeId: cfg.node.id,
      host: cfg.node.host,
      home: cfg.jenkins.home,
      apiUrl: advertisedApiUrl(cfg),
      jenkinsUrl: cfg.jenkins.url,
      fenceAfterFor,
      stopTimeoutMs: cfg.jenkins.stopTimeoutMs,
      fenceKillAfterMs: cfg.jenkins.fenceKillAfterMs,
      maxRestarts: cfg.jenkins.maxRestarts,
      restartBackoffMs: cfg.jenkins.restartBackoffMs,
      restartBackoffMaxMs: cfg.jenkins.restartBackoffMaxMs,
      restartWindowMs: cfg.jenkins.restartWindowMs,
      resignCooldownMs: cfg.election.resignCooldownMs,
      switchoverTimeoutMs: cfg.election.switchoverTimeoutMs,
      requestedSessionTimeoutMs: cfg.zk.sessionTimeoutMs,
      drainTimeoutMs: cfg.jenkins.drainTimeoutMs,
      drainOnShutdown: cfg.jenkins.drainOnShutdown,
      fencing: {
        methods: cfg.fencing.methods,
        timeoutMs: cfg.fencing.timeoutMs,
        retryBackoffMs: cfg.fencing.retryBackoffMs,
        retryBackoffMaxMs: cfg.fencing.retryBackoffMaxMs,
      },
      lock: resolveLockTimings(cfg),
    },
    {
      coordinator,
      election,
      supervisor,
      epochs,
      cluster,
      logger: log.child({ component: 'controller' }),
      now,
      drain: new DrainTracker({ client: jenkinsClient, pollMs: DRAIN_POLL_MS, logger: log.child({ component: 'drain' }), now }),
      eligibility: new EligibilityMonitor({
        home: cfg.jenkins.home,
        nodeId: cfg.node.id,
        command: service ? service.start : cfg.jenkins.command,
        maxWriteLatencyMs: cfg.eligibility.maxWriteLatencyMs,
        minFreeDiskMb: cfg.eligibility.minFreeDiskMb,
        preflightCommand: cfg.eligibility.preflightCommand,
        preflightTimeoutMs: cfg.eligibility.preflightTimeoutMs,
        intervalMs: cfg.eligibility.intervalMs,
        leaderVersion: async () => {
          const leader = cluster.members()[0];
          if (!leader || leader.id === cfg.node.id || leader.apiUrl === '') return null;
          return peerJenkinsVersion(leader.apiUrl, cfg.api.readToken !== '' ? cfg.api.readToken : cfg.api.token, cfg.jenkins.healthTimeoutMs);
        },
        // Checked while no Jenkins runs here (a leader's running Jenkins proves the point).
        active: () => supervisor.status().state === 'stopped',
        ...(service
          ? {
              stray: {
                running: () => supervisor.serviceRunning(cfg.jenkins.healthTimeoutMs),
                stop: () => supervisor.stopStrayService(cfg.jenkins.stopTimeoutMs),
                mayStop: () => election.status().role === 'idle' && supervisor.status().state === 'stopped',
              },
            }
          : {}),
        logger: log.child({ component: 'eligibility' }),
      }),
      ...(sync ? { sync } : {}),
      watchdog,
    },
  );

  const hooks = startHooks(cfg, controller, log);

  log.info('jenkins-ha started', {
    event: 'started',
    version: VERSION,
    pid: process.pid,
    api: advertisedApiUrl(cfg),
    zk: cfg.zk.connect,
    home: cfg.jenkins.home,
    sessionTimeoutMs: cfg.zk.sessionTimeoutMs,
    sync: cfg.sync.mode === 'git' ? { repo: redactRepo(cfg.sync.repo), branch: cfg.sync.branch, gitDir: resolveGitDir(cfg) } : 'shared',
    zkAuth: cfg.zk.auth !== '',
    watchdog: wd.mode === 'off' ? 'off' : { mode: wd.mode, device: wd.device, armable: watchdog.status().lastError === null },
  });
  if (cfg.zk.auth === '') {
    log.info('zk.auth is not set: the znodes of this cluster are open to every ZooKeeper client', { event: 'zk.acl_open' });
  }

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
  // The controller is both the status source and the command sink of the API.
  const app = createHandler(controller, controller, {
    token: cfg.api.token,
    readToken: cfg.api.readToken,
    bodyLimit: cfg.api.bodyLimit,
    stallAfterMs: Math.max(2000, cfg.zk.sessionTimeoutMs / 2),
    onInternalError: (err) => log.error(`API request failed: ${errorMessage(err)}`, { event: 'api.error' }),
    hookStats: () => hooks.snapshot(),
  });
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, app) : http.createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.api.port, cfg.api.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    log.info(`API listening on ${advertisedApiUrl(cfg)}`, { event: 'api.listening' });
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
function startHooks(cfg: Config, controller: Controller, log: Logger): HookRunner {
  const baseEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const k of listKeys()) if (k.sensitive === true) delete baseEnv[k.env];
  const runner = new HookRunner({
    commands: { onLeader: cfg.hooks.onLeader, onStandby: cfg.hooks.onStandby, onStopped: cfg.hooks.onStopped },
    timeoutMs: cfg.hooks.timeoutMs,
    nodeId: cfg.node.id,
    cluster: cfg.cluster.name,
    baseEnv,
    logger: log.child({ component: 'hooks' }),
    now: monoNow,
  });
  if (!runner.enabled) return runner;
  const trigger = new HookTrigger(cfg.node.id, (hook, ctx) => runner.request(hook, ctx));
  controller.onEvent((e) => {
    if (e.type !== 'role' && e.type !== 'leader_change') return;
    const s = controller.status();
    trigger.handle(e, { epoch: s.epoch, leaderId: s.leader?.id ?? null });
  });
  // A hook must not outlive a controller that exits (SIGKILL of the controller is the exception).
  process.once('exit', () => runner.close());
  return runner;
}
