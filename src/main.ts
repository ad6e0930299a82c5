/**
 * Composition root: config in, wired parts out. The only module that reads the whole config;
 * every part gets a typed slice, from one named builder per part. Owns signals and exit codes.
 * Defaults and cross-field rules (both TLS files or neither, the derived timings) belong to
 * config/load.ts: nothing here restates them.
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import type * as https from 'node:https';
import { holdApiSocket, type HeldApiSocket } from './api/listen';
import { advertisedApiUrl, clientTimings, resolveGitDir, resolveIoTimeoutMs, resolveTimings, safetySettingsOf, sessionRefreshLagMs, type Config } from './config/load';
import type { ApiTlsConfig } from './config/types';
import { ZkCoordinator } from './coordination/zookeeper';
import { zkTlsSetup } from './coordination/zk-tls';
import { zkSaslSetup } from './coordination/zk-sasl-report';
import { ClusterView } from './controller/cluster-view';
import { NotesPublisher } from './controller/notes-publisher';
import type { Controller } from './controller/controller';
import { JOIN_FIRST_MS, joinedOrAfter } from './controller/join-first';
import { ZnodeAclGuard } from './controller/znode-acl';
import { Election } from './election/election';
import { ConfigError, errorMessage } from './errors';
import type { HookRunner } from './hooks/runner';
import { configSecrets } from './config/secrets';
import { redactSecrets, type SecretScrub } from './util/secrets';
import { sharedHomeIo } from './fencing/home-io';
import { loadGitSync } from './sync/lazy';
import { checkJenkinsHome } from './fencing/home-perms';
import { HostWatchdog } from './fencing/watchdog';
import { createEarlyLogger, type EarlyLogger } from './logging/early';
import type { Logger } from './logging/logger';
import { monoNow } from './util/clock';
import { pick } from './util/pick';

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

/** Writes the log lines a node kept before its join (logging/early.ts): cli.ts, before it reports an error. */
export { flushEarlyLogsSync } from './logging/early';

export async function startNode(cfg: Config, logger?: Logger): Promise<Node> {
  // Until the join, records wait in logging/early.ts; winston loads after it (start-up).
  const early = logger === undefined ? createEarlyLogger({ level: cfg.log.level, format: cfg.log.format, base: { node: cfg.node.id, cluster: cfg.cluster.name } }) : null;
  const log = early === null ? (logger as Logger) : early.logger;
  const tls = readTls(cfg.api.tls);
  // Every call on JENKINS_HOME is bounded by lock.ioTimeoutMs (src/fencing/home-io.ts).
  sharedHomeIo().configure({ timeoutMs: resolveIoTimeoutMs(cfg), logger: log.child({ component: 'home' }) });
  // Refuse a JENKINS_HOME we cannot write or anyone can (ConfigError: exit 2); lock files 0600.
  for (const f of await checkJenkinsHome(cfg.jenkins.home)) {
    log.warn(`tightened the mode of ${f} to 0600`, { event: 'home.mode_fixed' });
  }
  const watchdog = buildWatchdog(cfg, log);
  const base = `${cfg.zk.root}/${cfg.cluster.name}`;
  // The one list of secrets (the schema's sensitive keys): no child process inherits them.
  const secrets = configSecrets(cfg);

  // zk.tls: every file checked now (ConfigError naming the key: exit 2), re-read per connection.
  const zkTls = zkTlsSetup(cfg.zk.tls);
  const zkSasl = zkSaslSetup(cfg.zk.sasl); // zk.sasl: DIGEST-MD5 on every connection; sasl:<user> ACL without zk.auth
  // api.host:api.port taken now, before the session starts: a busy port is a ConfigError (exit 2) with nothing of
  // ours in ZooKeeper, and the socket is held for the API built after the join (src/api/listen.ts).
  const api = await holdApiSocket({ ...pick(cfg.api, 'host', 'port'), tls });
  // The port bound, for api.port 0 too (the kernel's choice): what the member record and the log advertise.
  const apiUrl = advertisedApiUrl({ ...cfg, api: { ...cfg.api, port: api.port } });
  try {
    return await joinAndServe(cfg, { log, watchdog, base, apiUrl, secrets, zkTls, zkSasl, api, early });
  } catch (err) {
    await api.close();
    throw err;
  }
}

/** What startNode checked and built before the join. */
interface Checked {
  log: Logger;
  watchdog: HostWatchdog;
  base: string;
  apiUrl: string;
  secrets: SecretScrub;
  zkTls: ReturnType<typeof zkTlsSetup>;
  zkSasl: ReturnType<typeof zkSaslSetup>;
  api: HeldApiSocket;
  /** The pre-join logger to switch to winston after the join; null when the caller gave a logger. */
  early: EarlyLogger | null;
}

/** Starts the session, joins, then builds the rest (assemble.ts) and serves the API on the held socket. */
async function joinAndServe(cfg: Config, c: Checked): Promise<Node> {
  const { log, watchdog, base, apiUrl, secrets, zkTls, zkSasl, api, early } = c;
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
  // sync.mode git only: git's parts (the branch floor, the sync service) load in that mode alone.
  const git = cfg.sync.mode === 'git' ? await loadGitSync() : null;
  logStarted(cfg, apiUrl, watchdog, log, git?.redactRepo ?? null);
  // Join first (start-up, docs/benchmarks.md): the config, JENKINS_HOME, the watchdog and the ZooKeeper
  // TLS/SASL files are checked, the ACL guard and the cluster view are subscribed. The controller, Jenkins'
  // supervisor and the rest load and are built once the election has placed us (or after 1 s); none of
  // them could act before that, and the controller's first observation sees the election as it is.
  coordinator.start();
  election.join();
  await joinedOrAfter(election, JOIN_FIRST_MS);
  const parts = { log, coordinator, election, cluster, record, watchdog, base, apiUrl, secrets, zkTls, git };
  const built = async (): ReturnType<typeof import('./assemble').assemble> => {
    await early?.live(); // winston now, and the lines logged so far through it, with their time
    const { assemble } = await import('./assemble');
    return assemble(cfg, parts);
  };
  const { controller, hooks } = await built().catch(async (err: unknown) => {
    await election.leave('start-up failed').catch(() => undefined); // nothing of ours outlives a failed start
    await coordinator.close();
    throw err;
  });
  return serve(cfg, { controller, election, hooks, api, apiUrl }, log);
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
  parts: { controller: Controller; election: Election; hooks: HookRunner; api: HeldApiSocket; apiUrl: string },
  log: Logger,
): Promise<Node> {
  const { controller, election, hooks, api, apiUrl } = parts;
  // Join the election first; loading express (~100 ms here) waits until our znode exists or a
  // second has passed, so a restarted node is back in line as early as possible.
  const loop = controller.start();
  const finished = loop
    .then(
      () => EXIT.OK,
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
  await joinedOrAfter(election, JOIN_FIRST_MS);
  const { createHandler } = await import('./api/app');
  const app = createHandler(controller, controller, {
    ...pick(cfg.api, 'token', 'readToken', 'bodyLimit'),
    stallAfterMs: Math.max(2000, cfg.zk.sessionTimeoutMs / 2),
    onInternalError: (err) => log.error(`API request failed: ${errorMessage(err)}`, { event: 'api.error' }),
    hookStats: () => hooks.snapshot(),
  });
  // The socket has listened since before the join (holdApiSocket): connections that came meanwhile are served now.
  let server: http.Server | https.Server;
  try {
    server = api.serve(app);
  } catch (err) {
    log.error(`cannot serve the API on ${apiUrl}: ${errorMessage(err)}`, { event: 'fatal' });
    await controller.shutdown('the API cannot be served');
    throw err; // startNode closes the socket
  }
  log.info(`API listening on ${apiUrl}`, { event: 'api.listening' });
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
