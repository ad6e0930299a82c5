/**
 * The reference election of the benchmarks: kazoo's `Election` recipe (Debian's python3-kazoo,
 * bench/reference/kazoo_election.py) driving the same Jenkins stand-in as jenkins-ha, so a
 * scenario can run both alternately and print "jenkins-ha / reference" (bench/versus.ts).
 *
 * Installed by the bench itself when missing, like scripts/zk.sh install does for ZooKeeper:
 * `apt-get install -y python3-kazoo` (sudo -n when not root). It runs under Debian's own
 * /usr/bin/python3 (the package's dist-packages), never a python3 found on PATH.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventProcess, type Stats } from './lib';

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
}

/** A member of the reference election (kazoo_election.py), its events as they arrive. */
export class ReferenceProcess extends EventProcess {
  constructor(id: string, o: ReferenceOptions) {
    super(
      id,
      'reference',
      PYTHON,
      [REFERENCE_SCRIPT, '--zk', o.zkConnect, '--path', o.electionPath, '--id', id, '--session-ms', String(o.sessionMs)],
      { ...process.env, JENKINS_HOME: o.home, REF_JENKINS_COMMAND: o.jenkinsCommand, STANDIN_HEARTBEAT_MS: '200' },
      (d) => {
        if (/Traceback|Error/.test(d.toString())) process.stderr.write(`reference ${id}: ${d.toString()}`);
      },
    );
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
