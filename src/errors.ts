/**
 * Typed errors with stable codes. Callers branch on `instanceof` or on the code with `hasCode`,
 * never on messages. Inside the control loop every error is retryable; only main and the CLI end
 * the process, with exit codes of their own (a ConfigError exits 2).
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
  | 'LOCK_HIGHER_EPOCH'
  | 'LOCK_IO'
  /** A JENKINS_HOME call missed its deadline (lock.ioTimeoutMs): the home is hung. */
  | 'LOCK_TIMEOUT'
  /** Something other than a regular file (FIFO, symlink, directory) where the lock file belongs. */
  | 'LOCK_REFUSED'
  | 'EPOCH_CONFLICT'
  | 'JENKINS_HTTP'
  | 'JENKINS_AUTH'
  | 'JENKINS_TIMEOUT'
  | 'JENKINS_UNREACHABLE'
  | 'CONFLICT'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'BAD_REQUEST'
  | 'HOOK_FAILED'
  | 'HOOK_TIMEOUT'
  | 'HOOK_SPAWN_FAILED'
  | 'GIT_FAILED'
  | 'GIT_TIMEOUT'
  | 'GIT_NOT_FOUND'
  | 'SYNC_REJECTED'
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

/** The codes of ZkError: every ZK_* code of ErrorCode. */
export type ZkErrorCode = Extract<ErrorCode, `ZK_${string}`>;

/** An error reported by ZooKeeper or by our timeout wrapper around a ZooKeeper call. */
export class ZkError extends HaError {
  constructor(
    code: ZkErrorCode,
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

/**
 * Configuration sync through git (src/sync): GIT_* = the git binary failed, timed out or is
 * missing; SYNC_REJECTED = a compare-and-set refused us (a newer epoch owns the repo or the
 * record).
 */
export class SyncError extends HaError {
  constructor(code: Extract<ErrorCode, 'GIT_FAILED' | 'GIT_TIMEOUT' | 'GIT_NOT_FOUND' | 'SYNC_REJECTED'>, message: string, options?: { cause?: unknown }) {
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

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The `code` of any error (ours, or Node's such as ENOENT), for log fields and lookups. */
export function errorCode(err: unknown): string | undefined {
  if (err instanceof HaError) return err.code;
  if (err && typeof err === 'object' && 'code' in err) {
    const c = (err as { code: unknown }).code;
    return typeof c === 'string' || typeof c === 'number' ? String(c) : undefined;
  }
  return undefined;
}

/**
 * Does `err` carry one of these codes? The codes are typed, so a misspelt one fails to compile
 * (an `errorCode(err) === '...'` comparison would silently never match).
 */
export function hasCode(err: unknown, ...codes: [ErrorCode, ...ErrorCode[]]): boolean {
  const code = errorCode(err);
  return code !== undefined && (codes as readonly string[]).includes(code);
}
