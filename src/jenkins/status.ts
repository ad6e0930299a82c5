/** What the supervisor reports about its Jenkins (plain types, shared by its parts and readers). */
export type JenkinsState = 'stopped' | 'starting' | 'running' | 'stopping';

export interface JenkinsExit {
  code: number | null;
  signal: string | null;
  /** Monotonic ms. */
  at: number;
  /** True when we asked it to stop. */
  expected: boolean;
  reason: string;
  /** Set when the shim refused to start Jenkins (fencing layer 5: the flock was not free in time). */
  refused?: 'flock';
}

export interface JenkinsStatus {
  state: JenkinsState;
  /** Pid of the shim = process group id of Jenkins. */
  pid: number | null;
  ready: boolean;
  epoch: number | null;
  startedAt: number | null;
  readyAt: number | null;
  version: string | null;
  lastProbeError: string | null;
  lastExit: JenkinsExit | null;
}

export interface LaunchOptions {
  epoch: number;
  /** Initial shim lease: how long Jenkins may live without a renewal. */
  leaseMs: number;
}
