/**
 * The controller's configuration as a plain, fully typed, read-only object.
 * `loadConfig` (./load.ts) produces it; nothing here depends on convict.
 * The shape mirrors the key paths of the schema in ./schema/ (one file per section) one to one.
 */

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFormat = 'json' | 'text' | 'auto';
/** child: jenkins.command under the watchdog shim; service: a service manager's start/stop commands. */
export type JenkinsMode = 'child' | 'service';

export interface ClusterConfig {
  /** Name of the HA cluster; both nodes of a pair must agree. */
  readonly name: string;
}

export interface NodeConfig {
  /** Stable id of this node (embedded in its election znode name). */
  readonly id: string;
  /** Host name or address the other node and clients use to reach this node. */
  readonly host: string;
}

export interface ZkConfig {
  /** ZooKeeper connect string: `host:port[,host:port...][/chroot]`. */
  readonly connect: string;
  /** Root znode of all jenkins-ha data (absolute, no trailing slash). */
  readonly root: string;
  /** Requested session timeout (the server may negotiate a different one). */
  readonly sessionTimeoutMs: number;
  /** Delay between reconnect attempts. */
  readonly spinDelayMs: number;
  /** Liveness request interval; 0 = sessionTimeout / 6. See `resolveTimings`. */
  readonly pingIntervalMs: number;
  /** Timeout of every ZooKeeper call; 0 = sessionTimeout / 3. See `resolveTimings`. */
  readonly requestTimeoutMs: number;
  /** The ensemble's tickTime: a follower refreshes our session at the leader every tickTime / 2. */
  readonly tickTimeMs: number;
  /** Digest credentials `user:password`; empty = none. Sensitive. */
  readonly auth: string;
  /** With `auth`: world may READ the znodes we create (else only the digest identity may). */
  readonly worldRead: boolean;
  readonly tls: ZkTlsConfig;
  readonly sasl: ZkSaslConfig;
}

/** SASL DIGEST-MD5 with ZooKeeper (docs/security.md): both or neither. */
export interface ZkSaslConfig {
  /** User of the servers' JAAS Server section; '' = no SASL. */
  readonly user: string;
  /** Sensitive. */
  readonly password: string;
}

/** TLS to ZooKeeper (docs/security.md). Files are re-read on every connection. */
export interface ZkTlsConfig {
  readonly enabled: boolean;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Name the servers' certificates must carry; '' = each connect host. */
  readonly serverName: string;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** RFC 2253 subjects given ALL on our znodes (x509 ACL); [] = our certificate's subject. */
  readonly aclIdentities: readonly string[];
}

export interface FencingConfig {
  /** Fraction of the session timeout without a ZooKeeper reply after which the leader stops Jenkins. */
  readonly deadlineRatio: number;
  /** Safety margin kept before the session could expire. */
  readonly marginMs: number;
  /** Shell command lines that fence the previous active, tried in order (empty = none). */
  readonly methods: readonly string[];
  /** Time limit of one fencing method. */
  readonly timeoutMs: number;
  /** Delay before retrying after every method failed; doubles up to retryBackoffMaxMs. */
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  /** Optional Linux /dev/watchdog (softdog) held while this node runs Jenkins. */
  readonly watchdog: WatchdogConfig;
}

/**
 * off: never touch a watchdog device; automatic: use it if it can be validated, else warn and run
 * without; required: a node that cannot arm a valid watchdog never launches Jenkins (Patroni's names).
 */
export type WatchdogMode = 'off' | 'automatic' | 'required';

export interface WatchdogConfig {
  readonly mode: WatchdogMode;
  /** The watchdog device (character device; any writable file in tests). */
  readonly device: string;
  /** Directory with the device's `timeout` and `nowayout`; empty = /sys/class/watchdog/<name of device>. */
  readonly sysfsDir: string;
  /** Rule: fenceAfterMs + device timeout + safetyMarginMs + max(zk.pingIntervalMs, zk.tickTimeMs / 2) <= session timeout. */
  readonly safetyMarginMs: number;
}

export type FlockTimeoutAction = 'refuse' | 'proceed';

export interface LockConfig {
  /** Storage lease heartbeat period in the JENKINS_HOME lock file (< leaseMs). */
  readonly heartbeatMs: number;
  /** A foreign heartbeat younger than this blocks a new leader's launch. */
  readonly leaseMs: number;
  /** Deadline of every call on JENKINS_HOME; 0 = derived (resolveIoTimeoutMs). */
  readonly ioTimeoutMs: number;
  /** How long the shim waits for the flock on JENKINS_HOME/.jenkins-ha.flock. */
  readonly flockWaitMs: number;
  readonly flockTimeoutAction: FlockTimeoutAction;
}

export interface JenkinsConfig {
  /** JENKINS_HOME (shared storage). Empty = not configured; `run` requires it. */
  readonly home: string;
  /** Shell command line that runs Jenkins in the foreground (`/bin/sh -c`). */
  readonly command: string;
  /** Base URL probed for readiness (`<url>/login`). */
  readonly url: string;
  /** A starting Jenkins that is not ready yet is no failure for this long. */
  readonly startupGraceMs: number;
  readonly healthIntervalMs: number;
  readonly healthTimeoutMs: number;
  /** Consecutive failed liveness probes before a restart. */
  readonly livenessFailures: number;
  /** Graceful stop: SIGTERM, then SIGKILL after this. */
  readonly stopTimeoutMs: number;
  /** Grace between SIGTERM and SIGKILL when self-fencing. */
  readonly fenceKillAfterMs: number;
  readonly restartBackoffMs: number;
  readonly restartBackoffMaxMs: number;
  /** More than this many crashes within `restartWindowMs` -> the node resigns leadership. */
  readonly maxRestarts: number;
  readonly restartWindowMs: number;
  readonly mode: JenkinsMode;
  /** Service mode: start/stop/status/main-pid commands (`/bin/sh -c`); empty = not set. */
  readonly startCommand: string;
  readonly stopCommand: string;
  readonly statusCommand: string;
  readonly servicePidCommand: string;
  /** Jenkins user and API token for quietDown and /whoAmI; empty = anonymous. Token is sensitive. */
  readonly user: string;
  readonly apiToken: string;
  /** Drain (quiet-down, wait for builds) before a planned stop, at most this long; 0 = no drain. */
  readonly drainTimeoutMs: number;
  /** Drain before stopping Jenkins when the controller shuts down. */
  readonly drainOnShutdown: boolean;
}

export interface EligibilityConfig {
  /** How often a node whose Jenkins is not running checks whether it could take over. */
  readonly intervalMs: number;
  /** Largest acceptable write+fsync+unlink time of a probe file in JENKINS_HOME. */
  readonly maxWriteLatencyMs: number;
  /** Least free space on JENKINS_HOME's file system, MiB (0 = no check). */
  readonly minFreeDiskMb: number;
  /** Optional site check (`/bin/sh -c`); empty = none. */
  readonly preflightCommand: string;
  readonly preflightTimeoutMs: number;
}

export interface ElectionConfig {
  /** How long a node that resigned stays out of the election. */
  readonly resignCooldownMs: number;
  /** How long a planned switchover may take before it is abandoned. */
  readonly switchoverTimeoutMs: number;
  /** Failover priority: higher is preferred (a planned switchover moves the lead to it). */
  readonly priority: number;
  /** Never lead (never take an epoch), never a switchover target. */
  readonly noFailover: boolean;
}

export interface ApiConfig {
  readonly host: string;
  readonly port: number;
  /** Bearer token for mutating API calls; empty = no token. Sensitive. */
  readonly token: string;
  /** Bearer token for the read endpoints (not the role probes); empty = open. Sensitive. */
  readonly readToken: string;
  /** Largest JSON request body, as body-parser reads it (`16kb`). */
  readonly bodyLimit: string;
  readonly tls: ApiTlsConfig;
}

export interface ApiTlsConfig {
  /** PEM certificate file; with `key` the API serves HTTPS. Empty = plain HTTP. */
  readonly cert: string;
  /** PEM private key file; required when `cert` is set (and vice versa). */
  readonly key: string;
}

export interface HooksConfig {
  /** Shell command run (`/bin/sh -c`) when this node becomes the leader; empty = none. */
  readonly onLeader: string;
  /** Shell command run when this node becomes a standby; empty = none. */
  readonly onStandby: string;
  /** Shell command run when this node stops (shutdown or resignation); empty = none. */
  readonly onStopped: string;
  /** A hook still running after this long has its process group killed. */
  readonly timeoutMs: number;
}

export interface LogConfig {
  readonly level: LogLevel;
  /** `auto` = text when stdout is a TTY, else json. */
  readonly format: LogFormat;
}

export type SyncMode = 'shared' | 'git';

export interface SyncConfig {
  /** `shared`: one JENKINS_HOME on shared storage; `git`: each node its own, replicated through git. */
  readonly mode: SyncMode;
  /** Repository (path or any URL git understands). Required in git mode. */
  readonly repo: string;
  readonly branch: string;
  /** How often the leader commits and pushes (and a standby fetches). */
  readonly intervalMs: number;
  /** Globs relative to JENKINS_HOME. */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly includeSecrets: boolean;
  /** Launch from the newest commit this node has when the recorded one cannot be obtained. */
  readonly allowStale: boolean;
  /** The git directory; empty = `<parent of home>/.<home name>.jenkins-ha.git`. */
  readonly gitDir: string;
  /** Timeout of one git command. */
  readonly gitTimeoutMs: number;
}

export interface Config {
  readonly cluster: ClusterConfig;
  readonly node: NodeConfig;
  readonly zk: ZkConfig;
  readonly fencing: FencingConfig;
  readonly lock: LockConfig;
  readonly jenkins: JenkinsConfig;
  readonly election: ElectionConfig;
  readonly eligibility: EligibilityConfig;
  readonly api: ApiConfig;
  readonly log: LogConfig;
  readonly hooks: HooksConfig;
  readonly sync: SyncConfig;
}

/** Effective ZooKeeper/fencing timings for one (possibly negotiated) session timeout. */
export interface ResolvedTimings {
  /** The session timeout the timings were computed from. */
  readonly sessionTimeoutMs: number;
  /** Interval between liveness requests (at least two fit in `fenceAfterMs`). */
  readonly pingIntervalMs: number;
  /** Timeout of every ZooKeeper call (never longer than `fenceAfterMs`). */
  readonly requestTimeoutMs: number;
  /** Without a ZooKeeper reply for this long, the leader starts stopping Jenkins. */
  readonly fenceAfterMs: number;
}
