/**
 * Composition root, second half (main.ts is the first): what a node builds once its election has
 * placed it in line, so none of it (the controller, Jenkins' supervisor and eligibility, the epoch
 * store, git sync, hooks) is loaded before the join (start-up, docs/benchmarks.md). Nothing here
 * checks configuration: every check that refuses to start (exit 2) runs in main.ts before the join.
 */
import { resolveGitDir, resolveIoTimeoutMs, resolveLockTimings, resolveTimings, safetySettingsOf, type Config } from './config/load';
import type { HooksConfig, JenkinsConfig, LockConfig } from './config/types';
import type { ZkCoordinator } from './coordination/zookeeper';
import { CrashHandoff } from './coordination/crash-handoff';
import type { zkTlsSetup } from './coordination/zk-tls';
import type { ClusterView } from './controller/cluster-view';
import type { NotesPublisher } from './controller/notes-publisher';
import { Controller, type ControllerOptions } from './controller/controller';
import type { Election } from './election/election';
import { errorMessage } from './errors';
import { EpochStore } from './fencing/epoch';
import { HookRunner } from './hooks/runner';
import { HookTrigger } from './hooks/trigger';
import type { SecretScrub } from './util/secrets';
import { JenkinsClient } from './jenkins/client';
import { EligibilityMonitor } from './jenkins/eligibility';
import { JenkinsSupervisor, SESSION_CLOSER, type ServiceCommands } from './jenkins/supervisor';
import { DrainTracker } from './controller/drain';
import { peerJenkinsVersion } from './controller/peer-version';
import { sharedHomeIo } from './fencing/home-io';
import { lockFloor } from './fencing/home-lock';
import { flockPath } from './fencing/home-perms';
import type { HostWatchdog } from './fencing/watchdog';
import type { GitSyncParts } from './sync/lazy';
import type { Logger } from './logging/logger';
import { monoNow } from './util/clock';
import { pick } from './util/pick';

/** What main.ts built before the join. */
export interface JoinedParts {
  log: Logger;
  coordinator: ZkCoordinator;
  election: Election;
  cluster: ClusterView;
  record: NotesPublisher;
  watchdog: HostWatchdog;
  base: string;
  apiUrl: string;
  secrets: SecretScrub;
  zkTls: ReturnType<typeof zkTlsSetup>;
  git: GitSyncParts | null;
}

/** The controller and the hooks of a node whose election has joined (or is still trying). */
export async function assemble(cfg: Config, p: JoinedParts): Promise<{ controller: Controller; hooks: HookRunner }> {
  const { log, coordinator, election, cluster, record, watchdog, base, apiUrl, secrets, zkTls, git } = p;
  // A crashed controller's session is closed by its shim (docs/safety.md): the shim learns it on its stdin.
  const handoff = new CrashHandoff(coordinator, {
    ...pick(cfg.zk, 'connect', 'auth'), tls: zkTls.tls ?? null, home: cfg.jenkins.home, nodeId: cfg.node.id,
    waitMs: cfg.jenkins.fenceKillAfterMs + 5000, ioTimeoutMs: resolveIoTimeoutMs(cfg),
  });
  const jenkins = buildJenkins(cfg.jenkins, cfg.lock, secrets, log, handoff);
  coordinator.on('session', () => jenkins.supervisor.refreshHandoff());
  // A new term's epoch is taken above the epoch the JENKINS_HOME lock names (ZooKeeper's state may have
  // been lost or restored meanwhile); in sync.mode git also above the newest epoch on the sync branch.
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
  return { controller, hooks };
}

/** Jenkins as this node runs it: the HTTP client, the supervisor and, in service mode, its commands. */
interface JenkinsParts {
  client: JenkinsClient;
  supervisor: JenkinsSupervisor;
  service: ServiceCommands | null;
}



/** How often a drain polls Jenkins' running builds. */
const DRAIN_POLL_MS = 500;



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