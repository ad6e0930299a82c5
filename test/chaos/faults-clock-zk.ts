/**
 * Faults of time and of ZooKeeper's state (issue 13):
 *
 * - clock-jump: the leader's wall clock steps an hour (either way) and back, under libfaketime
 *   (clocks.ts); nothing may happen: the leases are measured on monotonic clocks.
 * - clock-skew: a standby's clock runs an hour off, then a switchover to it is requested from the
 *   leader (the intent carries the leader's wall time): it must complete on the skewed node.
 * - zk-state-loss: the cluster's znodes are deleted (the cluster's base path and everything under
 *   it, in one transaction) while the pair runs; at most one new Jenkins, under an epoch above the
 *   lock file's.
 */
import * as path from 'node:path';
import * as zk from 'node-zookeeper-client';
import { mono } from '../helpers/ha-node';
import { waitForExit } from '../helpers/procs';
import { RawZk } from '../helpers/raw-zk';
import { waitFor } from '../helpers/wait';
import { CLOCK_STEP_DELAY_MS } from './clocks';
import { NODE_IDS, type NodeId } from './cluster';
import { sleep, waitRecovered, type FaultContext, type Injected, type Injector } from './fault-kit';
import type { FaultKind } from './schedule';

const HOUR_MS = 3_600_000;

/** How far node `id`'s wall clock is off the suite's, from the Date header of its API (1 s resolution). */
async function offsetOf(ctx: FaultContext, id: NodeId): Promise<number | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${ctx.cluster.apiPortOf(id)}/health`, { signal: AbortSignal.timeout(1000) });
    const date = res.headers.get('date');
    return date === null ? null : Date.parse(date) - Date.now();
  } catch {
    return null;
  }
}

/** Wait until node `id` serves with its wall clock about `offsetMs` off the suite's. */
async function clockSeen(ctx: FaultContext, id: NodeId, offsetMs: number, timeoutMs: number): Promise<boolean> {
  try {
    await waitFor(
      async () => {
        const o = await offsetOf(ctx, id);
        return o !== null && Math.abs(o - offsetMs) < 60_000;
      },
      { timeoutMs, intervalMs: 200, what: `node ${id}'s clock at ${offsetMs} ms` },
    );
    return true;
  } catch {
    return false;
  }
}

function noClocks(): Injected {
  return { t0: mono(), note: 'no fake clocks', selfCheck: ['the controllers do not run under libfaketime (the run has no clock kinds?)'] };
}

const clockJump: Injector = async (f, ctx) => {
  const clocks = ctx.cluster.clocks;
  if (clocks === null) return noClocks();
  const id = ctx.before.leader.id;
  const sign = f.choice2 < 0.5 ? 1 : -1;
  const holdMs = Math.round(f.holdT * ctx.T);
  const t0 = mono();
  clocks.set(id, sign > 0 ? '+1h' : '-1h');
  const selfCheck: string[] = [];
  if (!(await clockSeen(ctx, id, sign * HOUR_MS, CLOCK_STEP_DELAY_MS + 5000))) selfCheck.push(`controller ${id} never served with its clock ${sign > 0 ? 'an hour ahead' : 'an hour behind'} (HTTP Date)`);
  await sleep(Math.max(0, holdMs - (mono() - t0)));
  const tBack = mono();
  clocks.set(id, '+0');
  if (!(await clockSeen(ctx, id, 0, CLOCK_STEP_DELAY_MS + 5000))) selfCheck.push(`controller ${id} never served with the real time again after the step back (HTTP Date)`);
  // A needless fence or restart of either step would show within a session timeout.
  await sleep(ctx.T);
  return { t0, note: `stepped controller ${id}'s wall clock ${sign > 0 ? '+' : '-'}1h for ${Math.round(tBack - t0)} ms, then back`, selfCheck };
};

const clockSkew: Injector = async (f, ctx) => {
  const clocks = ctx.cluster.clocks;
  if (clocks === null) return noClocks();
  const id = ctx.before.leader.id;
  const standbys = NODE_IDS.filter((n) => n !== id);
  const skewed = standbys[Math.floor(f.choice * standbys.length)] ?? standbys[0]!;
  const sign = f.choice2 < 0.5 ? 1 : -1;
  const selfCheck: string[] = [];
  clocks.set(skewed, sign > 0 ? '+1h' : '-1h');
  if (!(await clockSeen(ctx, skewed, sign * HOUR_MS, CLOCK_STEP_DELAY_MS + 5000))) selfCheck.push(`controller ${skewed} never served with its clock an hour off (HTTP Date)`);
  // The intent's time comes from the leader's clock; the skewed candidate judges its expiry.
  const t0 = mono();
  try {
    const res = await fetch(`http://127.0.0.1:${ctx.cluster.apiPortOf(id)}/switchover`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.cluster.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ candidate: skewed, reason: `chaos fault ${f.n} (candidate ${sign > 0 ? '+' : '-'}1h)` }),
      signal: AbortSignal.timeout(10000),
    });
    if (res.status !== 202) selfCheck.push(`POST /switchover answered ${res.status}: ${await res.text()}`);
  } catch (e) {
    selfCheck.push(`POST /switchover failed: ${(e as Error).message}`);
  }
  await waitRecovered(ctx, t0);
  const abandoned = NODE_IDS.flatMap((n) => ctx.cluster.node(n).events('switchover.abandoned').filter((l) => l.seenAt >= t0));
  if (abandoned.length > 0) selfCheck.push(`the switchover was abandoned: ${abandoned[0]?.message ?? ''}`);
  return { t0, note: `clock of standby ${skewed} ${sign > 0 ? '+' : '-'}1h, then a switchover to it requested from ${id}`, selfCheck, expectLeader: skewed };
};

function errName(e: unknown): string {
  return e && typeof (e as zk.Exception).getName === 'function' ? (e as zk.Exception).getName() : String(e);
}

/** `p` and every znode under it, children before their parent. */
async function listTree(z: RawZk, p: string): Promise<string[]> {
  let kids: string[];
  try {
    kids = await z.getChildren(p);
  } catch (e) {
    if (errName(e) === 'NO_NODE') return [];
    throw e;
  }
  const out: string[] = [];
  for (const k of kids) out.push(...(await listTree(z, `${p}/${k}`)));
  return [...out, p];
}

/**
 * Delete the whole tree under `base` in ONE transaction, so the state is lost at one instant (a
 * restore or a rebuilt ensemble), not piece by piece while the nodes recreate it. When a node
 * changed the tree between the listing and the commit (NOT_EMPTY, NO_NODE), list again.
 */
async function removeTree(z: RawZk, base: string): Promise<{ removed: number; attempts: number }> {
  for (let attempt = 1; attempt <= 20; attempt++) {
    const paths = await listTree(z, base);
    if (paths.length === 0) return { removed: 0, attempts: attempt };
    try {
      await z.removeAll(paths);
      return { removed: paths.length, attempts: attempt };
    } catch (e) {
      if (!['NOT_EMPTY', 'NO_NODE'].includes(errName(e))) throw e;
    }
  }
  throw new Error(`the tree under ${base} kept changing: 20 transactions failed`);
}

const zkStateLoss: Injector = async (_f, ctx) => {
  const { id, jenkinsPid } = ctx.before.leader;
  const c = ctx.cluster;
  const pki = c.zk.pki;
  const tls = pki === null ? undefined : { caFile: path.join(pki, 'ca.pem'), certFile: path.join(pki, 'client.pem'), keyFile: path.join(pki, 'client-key.pem'), serverName: '', minVersion: 'TLSv1.2' as const };
  const base = `/jenkins-ha/${c.clusterName}`;
  const z = await RawZk.connect(c.zk.connect, tls ? { tls } : {});
  const selfCheck: string[] = [];
  let t0 = mono();
  let removed = 0;
  let attempts = 0;
  try {
    const before = await z.getChildren(base);
    if (before.length === 0) selfCheck.push(`${base} has no children to lose`);
    t0 = mono();
    ({ removed, attempts } = await removeTree(z, base));
  } catch (e) {
    selfCheck.push(`deleting ${base} failed: ${e instanceof Error ? e.message : errName(e)}`);
  } finally {
    z.close();
  }
  if (removed === 0) selfCheck.push(`no znode under ${base} was deleted`);
  // The leader learns it lost its term (its election znode and the epoch are gone) and fences,
  // or proves it still leads; give it a session timeout and the fence's stop timeout to decide.
  const gone = await waitForExit(jenkinsPid, ctx.T + 2000);
  if (gone) await waitRecovered(ctx, t0);
  return { t0, note: `deleted ${removed} znodes under ${base} in one transaction (attempt ${attempts}; leader ${id}); its Jenkins ${gone ? 'was stopped' : 'kept running'}`, selfCheck };
};

export const CLOCK_INJECTORS: Record<Extract<FaultKind, 'clock-jump' | 'clock-skew'>, Injector> = {
  'clock-jump': clockJump,
  'clock-skew': clockSkew,
};

export const ZK_STATE_INJECTORS: Record<Extract<FaultKind, 'zk-state-loss'>, Injector> = {
  'zk-state-loss': zkStateLoss,
};

