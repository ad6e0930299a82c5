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
  /**
   * Service mode: why the Jenkins service is not proven stopped yet (the shim exited before it
   * knew the service's main pid and the last proof failed); Jenkins stays "stopping" meanwhile.
   * null (or absent: supervisor stand-ins) when no proof is pending or the last one has not failed.
   */
  serviceProof?: string | null;
}

export interface LaunchOptions {
  epoch: number;
  /** Initial shim lease: how long Jenkins may live without a renewal. */
  leaseMs: number;
}

/** Processes of the last Jenkins process group alive after SIGKILL was sent to it at `killedAt` (monotonic ms). */
export interface GroupSurvivors {
  pgid: number;
  pids: number[];
  killedAt: number;
}
