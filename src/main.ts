/**
 * Composition root: config in, wired parts out. The only module that reads the whole config;
 * every part gets a typed slice. Owns signals and exit codes.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { resolveTimings, type Config } from './config/load';
import { ZkCoordinator } from './coordination/zookeeper';
import { ClusterView } from './controller/cluster-view';
import { Controller } from './controller/controller';
import { ZnodeAclGuard } from './controller/znode-acl';
import { Election } from './election/election';
import { ConfigError, errorMessage } from './errors';
import { EpochStore } from './fencing/epoch';
import { JenkinsSupervisor } from './jenkins/supervisor';
import { createLogger, type Logger } from './logging/logger';
import { monoNow } from './util/clock';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json sits outside rootDir
export const VERSION: string = (require('../package.json') as { version: string }).version;

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

function apiUrl(cfg: Config): string {
  const host = cfg.api.host === '0.0.0.0' || cfg.api.host === '::' ? cfg.node.host : cfg.api.host;
  const scheme = cfg.api.tls.cert !== '' && cfg.api.tls.key !== '' ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${cfg.api.port}`;
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
      apiUrl: apiUrl(cfg),
      jenkinsUrl: cfg.jenkins.url,
      version: VERSION,
      startedAt,
    }),
  });
  const supervisor = new JenkinsSupervisor({
    command: cfg.jenkins.command,
    home: cfg.jenkins.home,
    url: cfg.jenkins.url,
    startTimeoutMs: cfg.jenkins.startTimeoutMs,
    healthIntervalMs: cfg.jenkins.healthIntervalMs,
    healthTimeoutMs: cfg.jenkins.healthTimeoutMs,
    livenessFailures: cfg.jenkins.livenessFailures,
    fenceGraceMs: cfg.jenkins.fenceKillAfterMs,
    logger: log.child({ component: 'jenkins' }),
    now,
  });
  const controller = new Controller(
    {
      clusterName: cfg.cluster.name,
      nodeId: cfg.node.id,
      host: cfg.node.host,
      home: cfg.jenkins.home,
      apiUrl: apiUrl(cfg),
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
    },
    {
      coordinator,
      election,
      supervisor,
      epochs: new EpochStore(coordinator, base),
      cluster: new ClusterView(coordinator, base, log.child({ component: 'cluster' })),
      logger: log.child({ component: 'controller' }), now },
  );

  log.info('jenkins-ha started', {
    event: 'started',
    version: VERSION,
    pid: process.pid,
    api: apiUrl(cfg),
    zk: cfg.zk.connect,
    home: cfg.jenkins.home,
    sessionTimeoutMs: cfg.zk.sessionTimeoutMs,
    zkAuth: cfg.zk.auth !== '',
  });
  if (cfg.zk.auth === '') {
    log.info('zk.auth is not set: the znodes of this cluster are open to every ZooKeeper client', { event: 'zk.acl_open' });
  }

  // Join the election first; loading express (~100 ms here) waits until our znode exists or a
  // second has passed, so a restarted node is back in line as early as possible.
  const loop = controller.start();
  let failedApi = false;
  const finished = loop.then(
    () => (failedApi ? EXIT.FATAL : EXIT.OK),
    (err: unknown) => {
      log.error(`control loop failed: ${errorMessage(err)}`, { event: 'fatal' });
      return EXIT.FATAL;
    },
  );
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, 1000);
    election.on('change', done);
    function done(): void {
      clearTimeout(t);
      election.off('change', done);
      resolve();
    }
  });
  const { createApp } = await import('./api/app');
  // The controller is both the status source and the command sink of the API.
  const app = createApp(controller, controller, {
    token: cfg.api.token,
    readToken: cfg.api.readToken,
    bodyLimit: cfg.api.bodyLimit,
    stallAfterMs: Math.max(2000, cfg.zk.sessionTimeoutMs / 2),
    onInternalError: (err) => log.error(`API request failed: ${errorMessage(err)}`, { event: 'api.error' }),
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
    log.info(`API listening on ${apiUrl(cfg)}`, { event: 'api.listening' });
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
