/**
 * The faults. Each injects itself into a settled cluster, holds as long as the fault lasts, heals
 * what it must heal itself (thaw, unblackhole), and checks that it really happened (a kill -9
 * really killed, a SIGSTOP really stopped, the ZooKeeper server really went down...). Restarting
 * killed pieces is left to ChaosCluster.restore(). Recovery is measured from `t0`.
 */
import { mono } from '../helpers/ha-node';
import { waitForExit } from '../helpers/procs';
import { waitFor } from '../helpers/wait';
import { zkMode } from '../helpers/zk';
import { NODE_IDS, type NodeId } from './cluster';
import { sleep, waitRecovered, waitStopped, type FaultContext, type Injected, type Injector } from './fault-kit';
import { CLOCK_INJECTORS, ZK_STATE_INJECTORS } from './faults-clock-zk';
import { STORAGE_INJECTORS } from './faults-storage';
import type { FaultKind } from './schedule';

async function exitedBy(ctx: FaultContext, id: NodeId, signal: NodeJS.Signals): Promise<string[]> {
  const n = ctx.cluster.node(id);
  const r = await Promise.race([n.exited, sleep(10000).then(() => null)]);
  if (r === null) return [`controller ${id} (pid ${n.pid}) did not die within 10 s of ${signal}`];
  if (r.signal !== signal) return [`controller ${id} exited with ${r.signal ?? `code ${r.code}`}, not ${signal}`];
  return [];
}

/** Wait until every controller that runs is connected to ZooKeeper again and two servers serve. */
async function waitZkAbsorbed(ctx: FaultContext): Promise<string[]> {
  try {
    await waitFor(
      async () => {
        const modes = await ctx.cluster.zkModes();
        if (modes.filter((m) => m === 'leader' || m === 'follower').length < 2) return false;
        const ss = await ctx.cluster.statuses();
        return NODE_IDS.every((id) => ss.get(id)?.zookeeper.state === 'connected');
      },
      { timeoutMs: 30000, intervalMs: 100, what: 'every controller connected to the remaining ZooKeeper servers' },
    );
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}

const killController: Injector = async (_f, ctx) => {
  const id = ctx.before.leader.id;
  const t0 = mono();
  ctx.cluster.node(id).signal('SIGKILL');
  const selfCheck = await exitedBy(ctx, id, 'SIGKILL');
  await waitRecovered(ctx, t0);
  return { t0, note: `kill -9 controller ${id}`, selfCheck };
};

const killControllerAndJenkins: Injector = async (_f, ctx) => {
  const { id, shimPid, jenkinsPid } = ctx.before.leader;
  const t0 = mono();
  ctx.cluster.node(id).signal('SIGKILL');
  try {
    process.kill(-shimPid, 'SIGKILL');
  } catch {
    /* checked below */
  }
  const selfCheck = await exitedBy(ctx, id, 'SIGKILL');
  if (!(await waitForExit(jenkinsPid, 5000))) selfCheck.push(`Jenkins ${jenkinsPid} survived kill -9 of its group ${shimPid}`);
  await waitRecovered(ctx, t0);
  return { t0, note: `kill -9 controller ${id} and Jenkins group ${shimPid}`, selfCheck };
};

const stopController: Injector = async (f, ctx) => {
  const id = ctx.before.leader.id;
  const n = ctx.cluster.node(id);
  const holdMs = Math.round(f.holdT * ctx.T);
  const t0 = mono();
  n.signal('SIGSTOP');
  const selfCheck: string[] = [];
  if (!(await waitStopped(n.pid))) selfCheck.push(`controller ${id} (pid ${n.pid}) is not stopped after SIGSTOP`);
  await sleep(Math.max(0, holdMs - (mono() - t0)));
  n.signal('SIGCONT');
  await waitRecovered(ctx, t0);
  return { t0, note: `SIGSTOP controller ${id} for ${holdMs} ms`, selfCheck };
};

const hangJenkins: Injector = async (_f, ctx) => {
  const pid = ctx.before.leader.jenkinsPid;
  const t0 = mono();
  process.kill(pid, 'SIGSTOP');
  const selfCheck: string[] = [];
  if (!(await waitStopped(pid))) selfCheck.push(`Jenkins ${pid} is not stopped after SIGSTOP`);
  await waitRecovered(ctx, t0);
  if (!(await waitForExit(pid, 10000))) selfCheck.push(`the hung Jenkins ${pid} still exists after the recovery`);
  return { t0, note: `SIGSTOP Jenkins ${pid} on ${ctx.before.leader.id}`, selfCheck };
};

const crashJenkins: Injector = async (_f, ctx) => {
  const pid = ctx.before.leader.jenkinsPid;
  const t0 = mono();
  process.kill(pid, 'SIGKILL');
  const selfCheck: string[] = [];
  if (!(await waitForExit(pid, 5000))) selfCheck.push(`Jenkins ${pid} survived kill -9`);
  await waitRecovered(ctx, t0);
  return { t0, note: `kill -9 Jenkins ${pid} on ${ctx.before.leader.id}`, selfCheck };
};

async function killZkServer(ctx: FaultContext, server: number, role: string): Promise<Injected> {
  const zk = ctx.cluster.zk;
  const t0 = mono();
  await zk.killServer(server);
  const selfCheck: string[] = [];
  const mode = await zkMode(zk.ports[server - 1] as number, zk.pki);
  if (mode !== 'down') selfCheck.push(`zookeeper server ${server} still serves (${mode}) after kill -9`);
  selfCheck.push(...(await waitZkAbsorbed(ctx)));
  // Hold one more session timeout: a needless fence or failover would show by now.
  await sleep(ctx.T);
  await ctx.cluster.startServers([server]);
  return { t0, note: `kill -9 zookeeper ${role} server ${server}, restarted after ${Math.round(mono() - t0)} ms`, selfCheck };
}

const killZkLeader: Injector = async (_f, ctx) => {
  const leader = await ctx.cluster.zk.leaderServer();
  if (leader === null) return { t0: mono(), note: 'no zookeeper leader found', selfCheck: ['no zookeeper server reports Mode: leader'] };
  return killZkServer(ctx, leader, 'leader');
};

const killZkFollower: Injector = async (f, ctx) => {
  const modes = await ctx.cluster.zkModes();
  const followers = modes.map((m, i) => (m === 'follower' ? i + 1 : 0)).filter((n) => n > 0);
  if (followers.length === 0) return { t0: mono(), note: 'no follower', selfCheck: [`no zookeeper follower (modes ${modes.join(',')})`] };
  // Half the time, the follower the leading controller is connected to: the harder case.
  const proxies = ctx.cluster.proxies.get(ctx.before.leader.id) ?? [];
  const used = followers.filter((s) => (proxies[s - 1]?.connections() ?? 0) > 0);
  const pool = f.choice < 0.5 && used.length > 0 ? used : followers;
  const server = pool[Math.floor(((f.choice * 2) % 1) * pool.length)] as number;
  return killZkServer(ctx, server, pool === used ? "leading controller's follower" : 'follower');
};

const quorumLoss: Injector = async (f, ctx) => {
  const zk = ctx.cluster.zk;
  const keep = Math.floor(f.choice * 3) + 1;
  const stop = [1, 2, 3].filter((s) => s !== keep);
  const holdMs = Math.round(f.holdT * ctx.T);
  const tStop = mono();
  await Promise.all(stop.map((s) => zk.stopServer(s)));
  const selfCheck: string[] = [];
  // The survivor notices the lost quorum within syncLimit ticks (1 s with zk.sh's config); until
  // then it still says `leader` (and answers reads).
  let modes: string[] = [];
  const lone = await waitFor(
    async () => {
      modes = await ctx.cluster.zkModes();
      return modes.every((m) => m !== 'leader' && m !== 'follower') ? mono() : null;
    },
    { timeoutMs: 10000, intervalMs: 25, what: 'the lone server to stop serving' },
  ).catch(() => null);
  if (lone === null) selfCheck.push(`a server still serves 10 s after losing its quorum (modes ${modes.join(',')})`);
  await sleep(Math.max(0, holdMs - (mono() - tStop)));
  if (!(await waitForExit(ctx.before.leader.jenkinsPid, 0))) selfCheck.push(`Jenkins ${ctx.before.leader.jenkinsPid} still runs after ${holdMs} ms without quorum`);
  // Recovery counts from the moment a quorum serves again: watch for it while zk.sh starts them.
  let back = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching && back === 0) {
      const ms = await ctx.cluster.zkModes();
      if (ms.filter((m) => m === 'leader' || m === 'follower').length >= 2) back = mono();
      else await sleep(25);
    }
  })();
  await ctx.cluster.startServers(stop);
  await waitFor(() => back > 0, { timeoutMs: 5000, what: 'the quorum watcher' }).catch(() => undefined);
  watching = false;
  await watcher;
  const t0 = back > 0 ? back : mono();
  await waitRecovered(ctx, tStop);
  const loneMs = lone === null ? 'n/a' : `${Math.round(lone - tStop)} ms`;
  return { t0, note: `stop zookeeper servers ${stop.join('+')} for ${holdMs} ms (server ${keep} stopped serving after ${loneMs}; quorum back ${Math.round(t0 - tStop)} ms after the stop)`, selfCheck };
};

const blackholeLeader: Injector = async (f, ctx) => {
  const id = ctx.before.leader.id;
  const proxies = ctx.cluster.proxies.get(id) ?? [];
  const holdMs = Math.round(f.holdT * ctx.T);
  const t0 = mono();
  for (const p of proxies) p.blackhole();
  const selfCheck: string[] = [];
  await ctx.cluster
    .node(id)
    .waitForEvent('fenced', { after: t0, timeoutMs: ctx.recoveryTimeoutMs })
    .catch(() => selfCheck.push(`controller ${id} never fenced its Jenkins while blackholed`));
  await waitRecovered(ctx, t0);
  await sleep(Math.max(0, holdMs - (mono() - t0)));
  for (const p of proxies) p.heal();
  return { t0, note: `blackhole controller ${id}'s links to all 3 servers for ${Math.round(mono() - t0)} ms`, selfCheck };
};

const switchover: Injector = async (f, ctx) => {
  const id = ctx.before.leader.id;
  const standbys = NODE_IDS.filter((n) => n !== id);
  const candidate = f.choice2 < 0.5 ? standbys[Math.floor(f.choice * standbys.length)] : undefined;
  const t0 = mono();
  const selfCheck: string[] = [];
  try {
    const res = await fetch(`http://127.0.0.1:${ctx.cluster.apiPortOf(id)}/switchover`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.cluster.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...(candidate ? { candidate } : {}), reason: `chaos fault ${f.n}` }),
      signal: AbortSignal.timeout(10000),
    });
    if (res.status !== 202) selfCheck.push(`POST /switchover answered ${res.status}: ${await res.text()}`);
  } catch (e) {
    selfCheck.push(`POST /switchover failed: ${(e as Error).message}`);
  }
  await waitRecovered(ctx, t0);
  return { t0, note: `switchover from ${id} to ${candidate ?? 'the next in line'} via the REST API`, selfCheck, ...(candidate ? { expectLeader: candidate } : {}) };
};

export const INJECTORS: Record<FaultKind, Injector> = {
  'kill-controller': killController,
  'kill-controller-and-jenkins': killControllerAndJenkins,
  'stop-controller': stopController,
  'hang-jenkins': hangJenkins,
  'crash-jenkins': crashJenkins,
  'kill-zk-leader': killZkLeader,
  'kill-zk-follower': killZkFollower,
  'zk-quorum-loss': quorumLoss,
  'blackhole-leader': blackholeLeader,
  switchover,
  ...STORAGE_INJECTORS,
  ...CLOCK_INJECTORS,
  ...ZK_STATE_INJECTORS,
};
