/**
 * What every fault injector shares: its context, its result, and the waits it is built from.
 * Split out of faults.ts so the injectors of each family can live in their own file.
 */
import { readStat } from '../helpers/procs';
import { waitFor } from '../helpers/wait';
import type { BoundInputs } from './bounds';
import type { ChaosCluster, NodeId, Settled } from './cluster';
import type { Expectation } from './evaluate';
import type { Fault } from './schedule';

export interface FaultContext {
  cluster: ChaosCluster;
  /** The effective configuration the bounds were computed from. */
  inputs: BoundInputs;
  /** Negotiated session timeout. */
  T: number;
  /** How long to wait for a new ready Jenkins before giving up on this fault. */
  recoveryTimeoutMs: number;
  before: Settled;
}

export interface Injected {
  /** mono ms recovery is measured from. */
  t0: number;
  /** What was done, for the progress log. */
  note: string;
  /** The fault did not happen as intended. */
  selfCheck: string[];
  /** The node that must lead afterwards (switchover with a named candidate). */
  expectLeader?: NodeId;
  /** The window is judged by this instead of the kind's expectation (evaluate.ts), and why. */
  expect?: { expectation: Expectation; why: string };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolve true once a Jenkins other than `oldPid` journaled `ready` after `since`. */
export async function waitRecovered(ctx: FaultContext, since: number): Promise<boolean> {
  const old = ctx.before.leader.jenkinsPid;
  try {
    await waitFor(() => ctx.cluster.journal.read().some((e) => e.ev === 'ready' && e.mono > since && e.pid !== old), {
      timeoutMs: ctx.recoveryTimeoutMs,
      intervalMs: 50,
      what: 'a new ready Jenkins',
    });
    return true;
  } catch {
    return false;
  }
}

export async function waitStopped(pid: number): Promise<boolean> {
  try {
    await waitFor(() => readStat(pid)?.state === 'T', { timeoutMs: 2000, intervalMs: 5, what: `pid ${pid} stopped` });
    return true;
  } catch {
    return false;
  }
}

export type Injector = (f: Fault, ctx: FaultContext) => Promise<Injected>;
