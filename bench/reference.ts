/**
 * The reference election of the benchmarks: kazoo's `Election` recipe (Debian's python3-kazoo,
 * bench/reference/kazoo_election.py) driving the same Jenkins stand-in as jenkins-ha, so a
 * scenario can run both alternately and print "jenkins-ha / reference" (bench/versus.ts,
 * footprint.ts, and failover.ts through ReferencePair).
 *
 * Installed by the bench itself when missing, like scripts/zk.sh install does for ZooKeeper:
 * `apt-get install -y python3-kazoo` (sudo -n when not root). It runs under Debian's own
 * /usr/bin/python3 (the package's dist-packages), never a python3 found on PATH.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as zookeeper from 'node-zookeeper-client';
import { EventProcess, STANDIN, gracefulHandover, mono, waitFor, watchDeletion, type Handover, type Stats } from './lib';

export const PYTHON = '/usr/bin/python3';
export const REFERENCE_SCRIPT = path.join(__dirname, 'reference', 'kazoo_election.py');

function kazooImports(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import kazoo'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function dpkgInstalled(pkg: string): boolean {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg]).toString().includes('install ok installed');
  } catch {
    return false;
  }
}

/** Installs Debian's python3-kazoo when it is missing; returns its version. Throws when it cannot. */
export function ensureKazoo(): string {
  if (!dpkgInstalled('python3-kazoo') || !kazooImports()) {
    process.stderr.write("reference: installing Debian's python3-kazoo (apt-get install -y python3-kazoo)\n");
    const apt = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get'];
    const cmd = process.getuid?.() === 0 ? apt : ['sudo', '-n', ...apt];
    const run = (args: string[]): void => {
      execFileSync(cmd[0] as string, [...cmd.slice(1), ...args], { stdio: ['ignore', process.stderr, process.stderr] });
    };
    try {
      run(['install', '-y', '--no-install-recommends', 'python3-kazoo']);
    } catch {
      run(['update']);
      run(['install', '-y', '--no-install-recommends', 'python3-kazoo']);
    }
    if (!kazooImports()) throw new Error(`python3-kazoo installed but ${PYTHON} cannot import kazoo`);
  }
  return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'python3-kazoo']).toString();
}

/** Where a reference member joins and what it runs when elected. */
export interface ReferenceOptions {
  zkConnect: string;
  electionPath: string;
  sessionMs: number;
  home: string;
  jenkinsCommand: string;
  /** PEM files of a client certificate: connect over TLS (ZooKeeper's secureClientPort). */
  tls?: { caFile: string; certFile: string; keyFile: string } | null;
}

/** A member of the reference election (kazoo_election.py), its events as they arrive. */
export class ReferenceProcess extends EventProcess {
  constructor(id: string, o: ReferenceOptions) {
    const tls = o.tls ? ['--ca', o.tls.caFile, '--cert', o.tls.certFile, '--key', o.tls.keyFile] : [];
    super(
      id,
      'reference',
      PYTHON,
      [REFERENCE_SCRIPT, '--zk', o.zkConnect, '--path', o.electionPath, '--id', id, '--session-ms', String(o.sessionMs), ...tls],
      { ...process.env, JENKINS_HOME: o.home, REF_JENKINS_COMMAND: o.jenkinsCommand, STANDIN_HEARTBEAT_MS: '200' },
      (d) => {
        if (/Traceback|Error/.test(d.toString())) process.stderr.write(`reference ${id}: ${d.toString()}`);
      },
    );
  }
}

type Id = 'a' | 'b';
const other = (id: Id): Id => (id === 'a' ? 'b' : 'a');

/** One crash of the reference leader (ReferencePair.crash), in ms from the kill. */
export interface RefCrash {
  /** kill -> the standby's Jenkins spawned. */
  total: number;
  /** kill -> the old member's znode deleted (its session expired), as the observer saw it. */
  detection: number;
  /** znode deleted -> the standby's Jenkins spawned. */
  controller: number;
}

/**
 * A pair of reference members (a, b) with a Jenkins home and a stand-in port of its own, driven
 * round by round beside a jenkins-ha pair (bench/failover.ts): graceful handovers, crashes (the
 * leader's member and its Jenkins SIGKILLed), and the start-up of every member it starts.
 */
export class ReferencePair {
  readonly nodes = {} as Record<Id, ReferenceProcess>;
  leader: Id = 'a';
  /** Every member started: process spawned -> joined the election (its znode created), ms. */
  readonly startup: number[] = [];

  constructor(private readonly o: Omit<ReferenceOptions, 'jenkinsCommand'> & { jenkinsPort: number }) {}

  get home(): string {
    return this.o.home;
  }

  get standby(): Id {
    return other(this.leader);
  }

  /** Starts `id`, waits until it joined (its start-up recorded) and, with `lead`, until it spawned Jenkins. */
  private async join(id: Id, lead = false): Promise<void> {
    const m = (this.nodes[id] = new ReferenceProcess(id, { ...this.o, jenkinsCommand: `exec node ${STANDIN} --httpPort=${this.o.jenkinsPort}` }));
    const j = await waitFor(() => m.find('joined'), { timeoutMs: 20000, what: `reference ${id} joined` });
    this.startup.push(j.mono - m.spawnedAt);
    if (lead) await waitFor(() => m.find('jenkins.started'), { timeoutMs: 20000, what: `reference ${id} leading` });
  }

  /** a leading (Jenkins spawned), b joined as its standby. */
  async up(): Promise<void> {
    await this.join('a', true);
    await this.join('b');
  }

  /** SIGTERM to the leader's member (gracefulHandover); the old leader back as a standby. */
  async graceful(): Promise<Handover> {
    const [old, next] = [this.leader, this.standby];
    const h = await gracefulHandover(this.nodes[old], this.nodes[next], this.o.home);
    await this.join(old);
    this.leader = next;
    return h;
  }

  /**
   * SIGKILL of the leader's member and its Jenkins (a host crash, as bench/failover.ts does to a
   * jenkins-ha leader): the standby takes over when ZooKeeper expires the session. `observer`
   * watches the old member's znode; the old member comes back as a standby.
   */
  async crash(observer: zookeeper.Client, timeoutMs: number): Promise<RefCrash> {
    const [oldId, nextId] = [this.leader, this.standby];
    const old = this.nodes[oldId];
    const next = this.nodes[nextId];
    const znode = old.find('joined')?.node;
    const jenkins = old.find('jenkins.started')?.pid;
    if (typeof znode !== 'string' || typeof jenkins !== 'number') throw new Error(`reference ${oldId}: no znode or Jenkins pid logged`);
    const goneAt = await watchDeletion(observer, znode);
    const t0 = mono();
    old.proc.kill('SIGKILL');
    try {
      process.kill(jenkins, 'SIGKILL');
    } catch {
      /* already gone (PR_SET_PDEATHSIG) */
    }
    const s = await waitFor(() => next.find('jenkins.started', t0), { timeoutMs, what: `reference ${nextId}: new Jenkins after the crash` });
    await waitFor(() => goneAt() > 0, { timeoutMs: 5000, what: "observer saw the reference's session expire" });
    await old.exited;
    await this.join(oldId);
    this.leader = nextId;
    return { total: s.mono - t0, detection: goneAt() - t0, controller: s.mono - goneAt() };
  }

  async stop(): Promise<void> {
    for (const n of Object.values(this.nodes)) n.proc.kill('SIGTERM');
    await Promise.all(Object.values(this.nodes).map((n) => n.exited));
  }
}

/** RSS and PSS (MiB) of a process and its descendants, the Jenkins stand-in (and its children) left out. */
export function treeMemory(pid: number, exclude = 'jenkins-standin'): { rssMb: number; pssMb: number; processes: number } {
  const children = new Map<number, number[]>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      /* exited meanwhile */
    }
  }
  let rss = 0;
  let pss = 0;
  let processes = 0;
  const visit = (p: number): void => {
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(exclude)) return;
      const s = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
      rss += kb('Rss');
      pss += kb('Pss');
      processes += 1;
    } catch {
      return; /* exited meanwhile */
    }
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return { rssMb: rss / 1024, pssMb: pss / 1024, processes };
}

/** jenkins-ha's median over the reference's, to 2 decimals; null when either is missing or the reference's is 0. */
export function ratio(ours: Stats, ref: Stats): number | null {
  if (ours.median === undefined || ref.median === undefined || ref.median === 0) return null;
  return Math.round((ours.median / ref.median) * 100) / 100;
}
