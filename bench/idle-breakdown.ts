/**
 * Idle breakdown (a hand tool beside footprint.ts): where an idle leader's and standby's CPU goes.
 * The same pair as footprint.ts (real ZooKeeper, dist/cli.js run, production session 10 s and
 * health interval 5 s, the bench's ping interval), without the reference, then over --idle-s:
 * CPU ticks of every process of each controller's tree (controller, home-I/O helper, shims;
 * Jenkins excluded), ZooKeeper packets per session (`cons`), log lines, read/write system calls
 * (/proc/<pid>/io). With --instrument, each controller also runs under `--cpu-prof` and a preload
 * (--preload FILE, e.g. one that counts timers and ZooKeeper requests and dumps them on SIGUSR2).
 *
 *   node -r ./scripts/dev/register-ts.js bench/idle-breakdown.ts [--idle-s 60] [--out DIR]
 *     [--instrument [--preload bench/idle-count-preload.js]]   (--cpu-prof of both controllers into DIR)
 *     [--node-flags trace-gc,...]   (more node flags; every controller's stdout is kept in DIR)
 *     [--perf]   (perf record -g of both controllers into DIR, node --perf-basic-prof)
 * Run node without NODE_EXTRA_CA_CERTS (env -u) as the bench does. Also reports voluntary context
 * switches (wake-ups) per second of every controller thread.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StatusSnapshot } from '../src/controller/status';
import { CLI, CONTROLLER_NODE_FLAGS, EventProcess, arg, clkTck, freePort, mono, pairEnv, procCpuTicks, runMain, sleep, startZk, waitFor } from './lib';
import { fourLetter } from '../test/helpers/zk';

type NodeId = 'a' | 'b';
const IDLE_S = Number(arg('idle-s', 60));
const INSTRUMENT = arg('instrument', false) === true;
const PRELOAD = String(arg('preload', ''));
const PERF = arg('perf', false) === true;
// Comma-separated, without the leading dashes (`--node-flags trace-gc,max-old-space-size=64`): arg() reads a value starting with -- as a bare flag.
const NODE_FLAGS = String(arg('node-flags', '')).split(',').filter(Boolean).map((f) => `--${f}`);
const OUT_GIVEN = arg('out', null) !== null;
const OUT = OUT_GIVEN ? String(arg('out', '')) : fs.mkdtempSync(path.join(os.tmpdir(), 'jha-idle-'));

class Node extends EventProcess {
  lines = 0;
  constructor(id: NodeId, env: Record<string, string>) {
    const extra = PERF ? ['--perf-basic-prof'] : INSTRUMENT ? ['--cpu-prof', `--cpu-prof-dir=${OUT}/prof-${id}`, ...(PRELOAD ? ['--require', PRELOAD] : [])] : [];
    super(id, 'controller', process.execPath, [...CONTROLLER_NODE_FLAGS, ...NODE_FLAGS, ...extra, CLI, 'run'], { ...process.env, ...env, JHA_NODE_ID: id, COUNT_TIMERS_OUT: `${OUT}/counts-${id}` });
    const log = fs.createWriteStream(`${OUT}/stdout-${id}.log`);
    this.proc.stdout?.on('data', (d: Buffer) => {
      this.lines += d.toString().split('\n').length - 1;
      log.write(d);
    });
  }
}

/** The processes of pid's tree: pid, its descendants (Jenkins stand-in and its descendants excluded). */
function tree(pid: number): { pid: number; name: string }[] {
  const kids = new Map<number, number[]>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(d)]);
    } catch {
      /* gone */
    }
  }
  const out: { pid: number; name: string }[] = [];
  const walk = (p: number): void => {
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      return;
    }
    if (cmd.includes('jenkins-standin')) return;
    const name = p === pid ? 'controller' : cmd.startsWith('/usr/bin/perl') ? 'home-io helper (perl)' : cmd.includes('shim') || cmd.includes('cli.js') ? `shim/child: ${cmd.slice(0, 60)}` : cmd.slice(0, 60);
    out.push({ pid: p, name });
    for (const k of kids.get(p) ?? []) walk(k);
  };
  walk(pid);
  return out;
}

function io(pid: number): { syscr: number; syscw: number } {
  try {
    const t = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    return { syscr: Number(/syscr: (\d+)/.exec(t)?.[1]), syscw: Number(/syscw: (\d+)/.exec(t)?.[1]) };
  } catch {
    return { syscr: NaN, syscw: NaN };
  }
}

async function cons(port: number): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const l of (await fourLetter(port, 'cons', 1000)).split('\n')) {
    const sid = /sid=0x([0-9a-f]+)/.exec(l)?.[1];
    const rec = /recved=(\d+)/.exec(l)?.[1];
    if (sid && rec) m.set(sid.padStart(16, '0'), Number(rec));
  }
  return m;
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-idle-home-'));
  const home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  fs.mkdirSync(OUT, { recursive: true });
  const zk = await startZk();
  const zkPort = Number(zk.connect.split(',')[0].split(':')[1]);
  const jenkinsPort = await freePort();
  const apiPorts: Record<NodeId, number> = { a: await freePort(), b: await freePort() };
  const env = pairEnv({ cluster: 'bench-idle', zkConnect: zk.connect, sessionMs: 10000, home, jenkinsPort });
  delete env.JHA_JENKINS_HEALTH_INTERVAL_MS;
  const nodes = {} as Record<NodeId, Node>;
  const status = async (id: NodeId): Promise<StatusSnapshot | null> => {
    try {
      const r = await fetch(`http://127.0.0.1:${apiPorts[id]}/status`, { signal: AbortSignal.timeout(1000) });
      return r.ok ? ((await r.json()) as StatusSnapshot) : null;
    } catch {
      return null;
    }
  };
  try {
    nodes.a = new Node('a', { ...env, JHA_API_PORT: String(apiPorts.a) });
    await waitFor(async () => (await status('a'))?.jenkins.ready, { timeoutMs: 30000, what: 'a leading' });
    nodes.b = new Node('b', { ...env, JHA_API_PORT: String(apiPorts.b) });
    await waitFor(async () => (await status('b'))?.node.role === 'standby', { timeoutMs: 30000, what: 'b standby' });
    await sleep(3000);
    const sid = (id: NodeId): string => String([...nodes[id].events].reverse().find((e) => e.event === 'zk.session')?.sessionId ?? '');
    const snap = async (): Promise<{ t: number; ticks: Record<string, number>; io: Record<string, { syscr: number; syscw: number }>; lines: Record<NodeId, number>; cons: Map<string, number> }> => {
      const ticks: Record<string, number> = {};
      const ios: Record<string, { syscr: number; syscw: number }> = {};
      for (const id of ['a', 'b'] as const) {
        for (const p of tree(nodes[id].pid)) {
          ticks[`${id} ${p.name}`] = (ticks[`${id} ${p.name}`] ?? 0) + procCpuTicks(p.pid);
          ios[`${id} ${p.name}`] = io(p.pid);
        }
      }
      for (const id of ['a', 'b'] as const) {
        for (const t of fs.readdirSync(`/proc/${nodes[id].pid}/task`)) {
          try {
            const st = fs.readFileSync(`/proc/${nodes[id].pid}/task/${t}/stat`, 'utf8');
            const comm = `${st.slice(st.indexOf("(") + 1, st.lastIndexOf(")"))}#${t === String(nodes[id].pid) ? "main" : t}`;
            const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
            ticks[`${id} thread ${comm} utime`] = (ticks[`${id} thread ${comm} utime`] ?? 0) + Number(f[11]);
            ticks[`${id} thread ${comm} stime`] = (ticks[`${id} thread ${comm} stime`] ?? 0) + Number(f[12]);
            const ctx = /voluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`/proc/${nodes[id].pid}/task/${t}/status`, 'utf8'));
            ticks[`${id} thread ${comm} wakeups`] = Number(ctx?.[1] ?? NaN);
          } catch {
            /* gone */
          }
        }
      }
      return { t: mono(), ticks, io: ios, lines: { a: nodes.a.lines, b: nodes.b.lines }, cons: await cons(zkPort) };
    };
    if (PRELOAD) for (const id of ['a', 'b'] as const) nodes[id].proc.kill('SIGUSR2');
    const s0 = await snap();
    const perfs = PERF
      ? (['a', 'b'] as const).map((id) => spawn('perf', ['record', '-F', '997', '-g', '-p', String(nodes[id].pid), '-o', `${OUT}/perf-${id}.data`, '--', 'sleep', String(IDLE_S)], { stdio: 'ignore' }))
      : [];
    await sleep(IDLE_S * 1000);
    await Promise.all(perfs.map((p) => new Promise((r) => p.on('exit', r))));
    const s1 = await snap();
    if (PRELOAD) for (const id of ['a', 'b'] as const) nodes[id].proc.kill('SIGUSR2');
    const secs = (s1.t - s0.t) / 1000;
    const tck = clkTck();
    const sa = await status('a');
    const sb = await status('b');
    const rows: Record<string, unknown>[] = [];
    for (const k of Object.keys(s1.ticks)) {
      const d = s1.ticks[k] - (s0.ticks[k] ?? s1.ticks[k]);
      if (k.endsWith(' wakeups')) {
        rows.push({ process: k, per_s: Number((d / secs).toFixed(2)) });
        continue;
      }
      rows.push({ process: k, cpu_pct: Number(((d / tck / secs) * 100).toFixed(3)), ...(s1.io[k] ? {} : { thread: true }), syscr_per_s: Number((((s1.io[k]?.syscr ?? NaN) - (s0.io[k]?.syscr ?? NaN)) / secs).toFixed(2)), syscw_per_s: Number((((s1.io[k]?.syscw ?? NaN) - (s0.io[k]?.syscw ?? NaN)) / secs).toFixed(2)) });
    }
    const zkPackets: Record<string, number> = {};
    for (const id of ['a', 'b'] as const) {
      const s = sid(id);
      zkPackets[id] = Number((((s1.cons.get(s) ?? NaN) - (s0.cons.get(s) ?? NaN)) / secs).toFixed(2));
    }
    console.log(
      JSON.stringify({
        idle_s: secs,
        instrument: INSTRUMENT,
        stayed: sa?.node.role === 'leader' && sb?.node.role === 'standby',
        processes: rows,
        zk_packets_per_s: zkPackets,
        log_lines_per_s: { a: (s1.lines.a - s0.lines.a) / secs, b: (s1.lines.b - s0.lines.b) / secs },
        out: OUT,
        load: os.loadavg(),
      }),
    );
  } finally {
    for (const n of Object.values(nodes)) n.proc.kill('SIGTERM');
    await Promise.all(Object.values(nodes).map((n) => n.exited));
    await zk.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    // A directory of our own choosing holds only the controllers' stdout unless profiles were asked for.
    if (!OUT_GIVEN && !INSTRUMENT && !PERF) fs.rmSync(OUT, { recursive: true, force: true });
  }
}

runMain(main);
