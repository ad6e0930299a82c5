/**
 * Typed errors with stable codes. Callers branch on `instanceof` or `code`, never on messages.
 * Only a FatalError ends the process; everything else is retryable by the control loop.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'ZK_TIMEOUT'
  | 'ZK_CONNECTION_LOSS'
  | 'ZK_SESSION_EXPIRED'
  | 'ZK_NO_NODE'
  | 'ZK_NODE_EXISTS'
  | 'ZK_BAD_VERSION'
  | 'ZK_NOT_EMPTY'
  | 'ZK_NO_AUTH'
  | 'ZK_CLOSED'
  | 'ZK_ERROR'
  | 'ELECTION_ABORTED'
  | 'LOCK_HIGHER_EPOCH'
  | 'LOCK_IO'
  /** A JENKINS_HOME call missed its deadline (lock.ioTimeoutMs): the home is hung. */
  | 'LOCK_TIMEOUT'
  /** Something other than a regular file (FIFO, symlink, directory) where the lock file belongs. */
  | 'LOCK_REFUSED'
  | 'EPOCH_CONFLICT'
  | 'JENKINS_SPAWN_FAILED'
  | 'JENKINS_NOT_READY'
  | 'JENKINS_HTTP'
  | 'JENKINS_AUTH'
  | 'JENKINS_TIMEOUT'
  | 'JENKINS_UNREACHABLE'
  | 'SERVICE_COMMAND'
  | 'CONFLICT'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'BAD_REQUEST'
  | 'HOOK_FAILED'
  | 'HOOK_TIMEOUT'
  | 'HOOK_SPAWN_FAILED'
  | 'FATAL'
  | 'GIT_FAILED'
  | 'GIT_TIMEOUT'
  | 'GIT_NOT_FOUND'
  | 'SYNC_REJECTED'
  | 'SYNC_UNAVAILABLE'
  | 'WATCHDOG_UNAVAILABLE';

export class HaError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad configuration: the message names the key. Exit code 2. */
export class ConfigError extends HaError {
  constructor(message: string, readonly key?: string) {
    super('CONFIG_INVALID', message);
  }
}

/** An error reported by ZooKeeper or by our timeout wrapper around a ZooKeeper call. */
export class ZkError extends HaError {
  constructor(
    code: Extract<
      ErrorCode,
      | 'ZK_TIMEOUT'
      | 'ZK_CONNECTION_LOSS'
      | 'ZK_SESSION_EXPIRED'
      | 'ZK_NO_NODE'
      | 'ZK_NODE_EXISTS'
      | 'ZK_BAD_VERSION'
      | 'ZK_NOT_EMPTY'
      | 'ZK_NO_AUTH'
      | 'ZK_CLOSED'
      | 'ZK_ERROR'
    >,
    message: string,
    readonly op?: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export class LockError extends HaError {}

/** A role-change hook that failed: non-zero exit, killed at its timeout, or could not start. */
export class HookError extends HaError {
  constructor(code: Extract<ErrorCode, 'HOOK_FAILED' | 'HOOK_TIMEOUT' | 'HOOK_SPAWN_FAILED'>, message: string) {
    super(code, message);
  }
}

/**
 * A command (switchover, pause, ...) that cannot be done as asked. The API maps the code to an
 * HTTP status: BAD_REQUEST 400, NOT_FOUND 404, CONFLICT 409, UNAVAILABLE 503.
 */
export class CommandError extends HaError {
  constructor(code: Extract<ErrorCode, 'CONFLICT' | 'NOT_FOUND' | 'UNAVAILABLE' | 'BAD_REQUEST'>, message: string) {
    super(code, message);
  }
}
export class JenkinsError extends HaError {}

/** A call to Jenkins' HTTP API (quietDown, computer, whoAmI) failed; `status` when it answered. */
export class JenkinsApiError extends HaError {
  constructor(
    code: Extract<ErrorCode, 'JENKINS_HTTP' | 'JENKINS_AUTH' | 'JENKINS_TIMEOUT' | 'JENKINS_UNREACHABLE'>,
    message: string,
    readonly status?: number,
  ) {
    super(code, message);
  }
}

/** A service-mode command (start/stop/status/pid) failed or timed out. */
export class ServiceCommandError extends HaError {
  constructor(message: string, readonly exitCode: number | null) {
    super('SERVICE_COMMAND', message);
  }
}

/**
 * Configuration sync through git (src/sync): GIT_* = the git binary failed, timed out or is
 * missing; SYNC_REJECTED = a compare-and-set refused us (a newer epoch owns the repo or the
 * record); SYNC_UNAVAILABLE = the recorded commit cannot be obtained.
 */
export class SyncError extends HaError {
  constructor(code: Extract<ErrorCode, 'GIT_FAILED' | 'GIT_TIMEOUT' | 'GIT_NOT_FOUND' | 'SYNC_REJECTED' | 'SYNC_UNAVAILABLE'>, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * The host watchdog (fencing.watchdog) cannot be used: device missing or unwritable, sysfs facts
 * unreadable, a timeout that breaks the rule, nowayout. `key` is the setting to look at.
 */
export class WatchdogError extends HaError {
  constructor(code: Extract<ErrorCode, 'WATCHDOG_UNAVAILABLE'>, message: string, readonly key: string) {
    super(code, message);
  }
}

/** Unrecoverable: the process logs it and exits (code 1). */
export class FatalError extends HaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FATAL', message, options);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function errorCode(err: unknown): string | undefined {
  if (err instanceof HaError) return err.code;
  if (err && typeof err === 'object' && 'code' in err) {
    const c = (err as { code: unknown }).code;
    return typeof c === 'string' || typeof c === 'number' ? String(c) : undefined;
  }
  return undefined;
}
