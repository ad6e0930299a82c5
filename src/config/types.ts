/**
 * The controller's configuration as a plain, fully typed, read-only object.
 * `loadConfig` (./load.ts) produces it; nothing here depends on convict.
 * The shape mirrors the key paths of the schema in ./schema.ts one to one.
 */

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFormat = 'json' | 'text' | 'auto';

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
  /** Digest credentials `user:password`; empty = none. Sensitive. */
  readonly auth: string;
  /** With `auth`: world may READ the znodes we create (else only the digest identity may). */
  readonly worldRead: boolean;
}

export interface FencingConfig {
  /** Fraction of the session timeout without a ZooKeeper reply after which the leader stops Jenkins. */
  readonly deadlineRatio: number;
  /** Safety margin kept before the session could expire. */
  readonly marginMs: number;
}

export interface JenkinsConfig {
  /** JENKINS_HOME (shared storage). Empty = not configured; `run` requires it. */
  readonly home: string;
  /** Shell command line that runs Jenkins in the foreground (`/bin/sh -c`). */
  readonly command: string;
  /** Base URL probed for readiness (`<url>/login`). */
  readonly url: string;
  readonly startTimeoutMs: number;
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
}

export interface ElectionConfig {
  /** How long a node that resigned stays out of the election. */
  readonly resignCooldownMs: number;
  /** How long a planned switchover may take before it is abandoned. */
  readonly switchoverTimeoutMs: number;
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

export interface LogConfig {
  readonly level: LogLevel;
  /** `auto` = text when stdout is a TTY, else json. */
  readonly format: LogFormat;
}

export interface Config {
  readonly cluster: ClusterConfig;
  readonly node: NodeConfig;
  readonly zk: ZkConfig;
  readonly fencing: FencingConfig;
  readonly jenkins: JenkinsConfig;
  readonly election: ElectionConfig;
  readonly api: ApiConfig;
  readonly log: LogConfig;
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
