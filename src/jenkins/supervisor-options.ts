/**
 * How a JenkinsSupervisor (./supervisor.ts) is built (its options, filled in by assemble.ts) and
 * the events it emits. Plain types, no behaviour.
 */
import type { Logger } from '../logging/logger';
import type { SecretScrub } from '../util/secrets';
import type { JenkinsClient } from './client';
import type { ServiceCommands } from './service';
import type { JenkinsExit, JenkinsStatus } from './status';

export interface SupervisorOptions {
  command: string;
  home: string;
  url: string;
  /** A starting Jenkins that is not ready yet is no failure for this long. */
  startupGraceMs: number;
  healthIntervalMs: number;
  healthTimeoutMs: number;
  livenessFailures: number;
  /** Grace the shim gives Jenkins between SIGTERM and SIGKILL when it fences on its own. */
  fenceGraceMs: number;
  logger: Logger;
  now: () => number;
  shimPath?: string;
  /** Authenticated readiness (whoAmI) when the client has credentials. */
  client?: JenkinsClient;
  /** The user whoAmI must name. */
  user?: string;
  /**
   * Service mode: Jenkins is a service of a service manager, started and stopped by these
   * commands under the service watchdog shim (scripts/jenkins-ha-service-shim). Absent: child mode.
   */
  service?: ServiceCommands;
  /** Fencing layer 5: the shim holds an exclusive flock on `file` for Jenkins' whole life. */
  flock?: { file: string; waitMs: number; timeoutAction: 'refuse' | 'proceed' };
  /** Scrubbed from the environment of the shims, Jenkins and the service commands. */
  secrets: SecretScrub;
  /**
   * Child mode: the crash hand-off (docs/safety.md). `payload(epoch)` is the current session for
   * the shim's closer (null before the first); it is written on the shim's stdin only.
   */
  handoff?: { node: string; script: string; payload: (epoch: number) => string | null };
}

export interface SupervisorEvents {
  change: (status: JenkinsStatus) => void;
  exit: (exit: JenkinsExit) => void;
  unhealthy: (reason: string) => void;
}
