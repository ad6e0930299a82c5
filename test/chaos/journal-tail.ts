/**
 * The chaos run's view of the stand-ins: which pids are live stand-ins of our home(s), and the
 * journal read incrementally (it grows all run long). Split out of cluster.ts.
 */
import * as fs from 'node:fs';
import { isStandinAlive, parseJournal, type JournalEntry } from '../helpers/journal';

/**
 * Whether pid is a live stand-in of THIS home. A stand-in killed with SIGKILL leaves no end line,
 * and during a long run on a busy machine its pid gets reused, possibly by another test's
 * stand-in (the 200-fault run saw exactly that: a "running" epoch-62 Jenkins that was someone
 * else's process), so the pid alone proves nothing: the process must carry our JENKINS_HOME.
 */
export function standinOfHome(...homes: string[]): (pid: number) => boolean {
  const markers = homes.map((home) => `\0JENKINS_HOME=${home}\0`);
  return (pid) => {
    if (!isStandinAlive(pid)) return false;
    try {
      const env = `\0${fs.readFileSync(`/proc/${pid}/environ`, 'latin1')}`;
      return markers.some((m) => env.includes(m));
    } catch {
      return false;
    }
  };
}

/** Reads the stand-in's journal incrementally (it grows all run long). */
export class JournalTail {
  readonly entries: JournalEntry[] = [];
  private offset = 0;
  private partial = '';
  /** pids with a `start` and no `stop`/`exit` line yet. */
  private readonly open = new Set<number>();
  readonly malformed: string[] = [];

  constructor(
    private readonly file: string,
    readonly isAlive: (pid: number) => boolean,
  ) {}

  read(): JournalEntry[] {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return this.entries;
      throw e;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size > this.offset) {
        const buf = Buffer.alloc(size - this.offset);
        fs.readSync(fd, buf, 0, buf.length, this.offset);
        this.offset = size;
        const text = this.partial + buf.toString('utf8');
        const cut = text.lastIndexOf('\n');
        this.partial = text.slice(cut + 1);
        for (const e of parseJournal(text.slice(0, cut + 1), { onMalformed: (m) => this.malformed.push(`${m.reason}: ${m.line}`) })) {
          this.entries.push(e);
          if (e.ev === 'start') this.open.add(e.pid);
          else if (e.ev === 'stop' || e.ev === 'exit') this.open.delete(e.pid);
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    return this.entries;
  }

  /** Stand-in pids that started, wrote no end line, and still run (zombies count as dead). */
  running(): number[] {
    this.read();
    return [...this.open].filter((pid) => this.isAlive(pid));
  }

  /** The epoch a pid journaled in its latest life (pids are reused over a long run). */
  epochOf(pid: number): string | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (e !== undefined && e.pid === pid && e.epoch !== undefined) return e.epoch;
    }
    return undefined;
  }
}
