/**
 * Home I/O (./home-io.ts) in types: its options, the calls it makes on JENKINS_HOME, the typed
 * result of each (`ok`, `timeout`, `refused` or `io-error`, never a throw) and the stat it
 * returns. Plain types, no behaviour.
 */
import type { Logger } from '../logging/logger';

export interface HomeIoOptions {
  /** Deadline of one call unless the call gives its own (lock.ioTimeoutMs). */
  timeoutMs: number;
  logger?: Logger;
  /** Monotonic ms (default monoNow, the controller's clock). */
  now?: () => number;
  /** The helper's command line; default the perl helper (home-io-perl.ts), else `node -e HELPER_SOURCE` (tests pass a stand-in). */
  command?: readonly string[];
}

export type HomeIoOp = 'read' | 'writeAtomic' | 'lstat' | 'stat' | 'ensureFile' | 'probeWrite' | 'statfs' | 'chmod' | 'unlink';

export type HomeIoResult<T> =
  | { kind: 'ok'; value: T; ms: number }
  /** No answer within the deadline: the helper was killed (or an earlier one is still stuck). */
  | { kind: 'timeout'; op: HomeIoOp; path: string; ms: number; message: string }
  /** The path holds something other than a regular file (code HOME_NOT_REGULAR). */
  | { kind: 'refused'; code: 'HOME_NOT_REGULAR'; op: HomeIoOp; path: string; message: string }
  /** The call failed: errno code (EACCES, EIO, ...), or HELPER_EXITED / HOME_IO_CLOSED. */
  | { kind: 'io-error'; code: string; op: HomeIoOp; path: string; message: string };

export interface HomeStat {
  /** 'file', or what else is there ('a directory', 'a FIFO', 'a symlink', ...). */
  type: string;
  mode: number;
  size: number;
  mtimeMs: number;
  ino: number;
}
