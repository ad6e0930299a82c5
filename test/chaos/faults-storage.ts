/**
 * The shared home's faults (issue 13): a hung mount (bindfs SIGSTOP, like a hard NFS mount whose
 * server vanished) on the leader or on every node, a stall shorter than the I/O deadline, and a
 * full disk. Each checks that it happened and heals itself; ChaosCluster.restore() heals whatever
 * is left (storage.ts).
 */
import { mono } from '../helpers/ha-node';
import { readStat, waitForExit } from '../helpers/procs';
import { waitFor } from '../helpers/wait';
import { maxStallMs } from './bounds';
import { NODE_IDS, type NodeId } from './cluster';
import type { Expectation } from './evaluate';
import { sleep, waitRecovered, type FaultContext, type Injected, type Injector } from './fault-kit';
import type { FaultKind } from './schedule';
import type { SharedStorage } from './storage';

function storageOf(ctx: FaultContext): SharedStorage | Injected {
  if (ctx.cluster.storage !== null) return ctx.cluster.storage;
  return { t0: mono(), note: 'no per-node mounts', selfCheck: ['the home is not behind per-node mounts (storage kinds need --sync shared)'] };
}

/**
 * A Jenkins that SIGKILL cannot end: blocked (state D) on a FUSE request that bindfs had already
 * taken when it was stopped (a real NFS client's requests stay killable; a FUSE request in the
 * daemon's hands does not). The node must then say so itself (/status home.jenkinsStuck).
 */
async function reportedStuck(ctx: FaultContext, id: NodeId, pid: number): Promise<boolean> {
  return readStat(pid)?.state === 'D' && (await ctx.cluster.node(id).status())?.home?.jenkinsStuck === true;
}

const STUCK: Expectation = { lives: 1, leader: 'any' };
const STUCK_WHY = 'Jenkins stuck in uninterruptible I/O (a FUSE request in bindfs\' hands at the stop): the node kept the election and reported jenkinsStuck; one new Jenkins after the heal, on any node';

const storageHang: Injector = async (_f, ctx) => {
  const s = storageOf(ctx);
  if (!('backing' in s)) return s;
  const { id, jenkinsPid } = ctx.before.leader;
  const tHang = mono();
  s.hang(id);
  const selfCheck: string[] = [];
  let outcome: 'yielded' | 'stuck' | null = null;
  try {
    // The leader must notice by itself: it kills Jenkins and leaves the election, or, when its
    // Jenkins cannot be killed, keeps the election and says so.
    const node = ctx.cluster.node(id);
    outcome = await waitFor(
      async () => (node.events('home.yielded').some((l) => l.seenAt >= tHang) ? 'yielded' : (await reportedStuck(ctx, id, jenkinsPid)) ? 'stuck' : null),
      { timeoutMs: ctx.recoveryTimeoutMs, intervalMs: 100, what: `controller ${id} to yield or report a stuck Jenkins` },
    ).catch(() => null);
    if (outcome === null) selfCheck.push(`controller ${id} neither yielded (home.yielded) nor reported a stuck Jenkins while its mount hung`);
    if (outcome === 'yielded') await waitRecovered(ctx, tHang);
    else await sleep(ctx.inputs.lock.leaseMs);
  } finally {
    s.heal(id);
  }
  if (outcome === 'stuck') {
    const t0 = mono();
    await waitRecovered(ctx, t0);
    return { t0, note: `hung controller ${id}'s mount for ${Math.round(t0 - tHang)} ms; Jenkins ${jenkinsPid} stuck; recovery counted from the heal`, selfCheck, expect: { expectation: STUCK, why: STUCK_WHY } };
  }
  return { t0: tHang, note: `hung controller ${id}'s mount (bindfs SIGSTOP) for ${Math.round(mono() - tHang)} ms`, selfCheck };
};

const storageHangAll: Injector = async (f, ctx) => {
  const s = storageOf(ctx);
  if (!('backing' in s)) return s;
  const { id, jenkinsPid } = ctx.before.leader;
  const holdMs = Math.round(f.holdT * ctx.T);
  const tHang = mono();
  for (const n of NODE_IDS) s.hang(n);
  const selfCheck: string[] = [];
  let started = 0;
  let stuck = false;
  try {
    // Nobody can prove the old Jenkins gone but its own node: it must kill it while hung, or say
    // that it cannot (stuck in uninterruptible I/O).
    const gone = await waitFor(async () => (!(await waitForExit(jenkinsPid, 0)) ? ((await reportedStuck(ctx, id, jenkinsPid)) ? 'stuck' : null) : 'gone'), {
      timeoutMs: ctx.recoveryTimeoutMs,
      intervalMs: 100,
      what: 'the old Jenkins killed or reported stuck',
    }).catch(() => null);
    if (gone === null) selfCheck.push(`Jenkins ${jenkinsPid} on ${id} still runs ${ctx.recoveryTimeoutMs} ms into the hang, and ${id} does not report it stuck`);
    stuck = gone === 'stuck';
    await sleep(Math.max(0, holdMs - (mono() - tHang)));
    // While the storage server is down no Jenkins may start (its home would not answer).
    started = ctx.cluster.journal.read().filter((e) => e.ev === 'start' && e.mono > tHang).length;
  } finally {
    for (const n of NODE_IDS) s.heal(n);
  }
  const t0 = mono();
  if (started > 0) selfCheck.push(`${started} Jenkins started while every mount hung`);
  await waitRecovered(ctx, t0);
  return { t0, note: `hung every node's mount for ${Math.round(t0 - tHang)} ms (storage server down)${stuck ? `; Jenkins ${jenkinsPid} stuck in I/O, reported by ${id}` : ''}; recovery counted from the heal`, selfCheck };
};

const storageStall: Injector = async (f, ctx) => {
  const s = storageOf(ctx);
  if (!('backing' in s)) return s;
  const id = ctx.before.leader.id;
  // 1-3 s, but always shorter than the I/O deadline by the slack: computed from the config.
  const most = Math.min(3000, maxStallMs(ctx.inputs));
  const least = Math.min(1000, most);
  const stallMs = Math.round(least + f.choice * (most - least));
  const t0 = mono();
  s.hang(id);
  try {
    await sleep(Math.max(0, stallMs - (mono() - t0)));
  } finally {
    s.heal(id);
  }
  const heldMs = Math.round(mono() - t0);
  const selfCheck = heldMs > maxStallMs(ctx.inputs) + 200 ? [`the stall lasted ${heldMs} ms, more than planned (${stallMs} ms): the suite was too slow to heal it`] : [];
  // Give a needless fence time to show: the next heartbeat and one session timeout.
  await sleep(ctx.inputs.lock.heartbeatMs + ctx.T);
  const hung = ctx.cluster.node(id).events('home.hung').filter((l) => l.seenAt >= t0).length;
  return { t0, note: `stalled controller ${id}'s mount for ${heldMs} ms (lock.ioTimeoutMs ${ctx.inputs.lock.ioTimeoutMs})${hung > 0 ? `; it logged home.hung ${hung}x` : ''}`, selfCheck };
};

/** What the controllers said about the full disk: events (with counts) of lines that name it. */
function namedDiskFull(ctx: FaultContext, since: number): string[] {
  const counts = new Map<string, number>();
  for (const id of NODE_IDS) {
    for (const l of ctx.cluster.node(id).logs) {
      if (l.seenAt < since || !/ENOSPC|no space left/i.test(JSON.stringify(l))) continue;
      const key = `${id}:${l.event ?? l.level}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].map(([k, n]) => `${k} x${n}`);
}

const diskFull: Injector = async (f, ctx) => {
  const s = storageOf(ctx);
  if (!('backing' in s)) return s;
  if (!s.canFill) return { t0: mono(), note: 'home not on a tmpfs', selfCheck: ['the home is not on a tmpfs: nothing to fill'] };
  const { id, jenkinsPid } = ctx.before.leader;
  const holdMs = Math.round(f.holdT * ctx.T);
  const tFill = mono();
  const selfCheck: string[] = [];
  let bytes = 0;
  let left = -1;
  try {
    bytes = s.fill();
    left = s.freeBytes();
    await sleep(Math.max(0, holdMs - (mono() - tFill)));
  } catch (e) {
    selfCheck.push(`filling the disk failed: ${(e as Error).message}`);
  } finally {
    s.free();
  }
  const t0 = mono();
  if (left !== 0) selfCheck.push(`${left} bytes still free after the fill`);
  // Not a self-check: a write that fits in the writes file's last page needs no new block.
  const errors = ctx.cluster.journal.read().filter((e) => e.ev === 'writes_error' && e.mono > tFill).length;
  // Let a fence that the full disk caused show, then wait for the Jenkins it stopped.
  await sleep(ctx.T);
  const gone = await waitForExit(jenkinsPid, 0);
  if (gone) await waitRecovered(ctx, tFill);
  const named = namedDiskFull(ctx, tFill);
  // Whatever the controller did about it, its log must say why.
  if (gone && named.length === 0) selfCheck.push(`Jenkins ${jenkinsPid} on ${id} stopped while the disk was full, and no controller log line names ENOSPC`);
  return {
    t0,
    note: `filled the home's tmpfs (${Math.round(bytes / 1048576)} MiB) for ${Math.round(t0 - tFill)} ms; ${errors} Jenkins write(s) failed; Jenkins ${gone ? 'stopped' : 'kept running'}; controllers named it: ${named.join(', ') || 'nowhere'}`,
    selfCheck,
  };
};

export const STORAGE_INJECTORS: Record<Extract<FaultKind, 'storage-hang' | 'storage-hang-all' | 'storage-stall' | 'disk-full'>, Injector> = {
  'storage-hang': storageHang,
  'storage-hang-all': storageHangAll,
  'storage-stall': storageStall,
  'disk-full': diskFull,
};
