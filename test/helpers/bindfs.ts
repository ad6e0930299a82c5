/**
 * A FUSE view of a backing directory (Debian's bindfs), one per node, like two NFS clients of one
 * server: `hang()` (kill -STOP of the bindfs process) makes every I/O on the mount block exactly
 * like a hard NFS mount whose server vanished (the blocked process sleeps; SIGKILL still ends it),
 * `heal()` (kill -CONT) resumes it, `unmount()` heals and unmounts (call it in afterEach/afterAll).
 *
 * bindfs runs in the foreground (-f) as our child, so its pid is known and nothing is left behind.
 * It needs root or a usable /dev/fuse; CI installs the package (.ci/run, scripts/zk.sh install).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { waitFor } from './wait';

function mounted(mountpoint: string): boolean {
  const real = fs.realpathSync(mountpoint);
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === real && l.includes(' - fuse'));
}

export class BindMount {
  private readonly exited: Promise<void>;
  private hung = false;

  private constructor(
    readonly backing: string,
    readonly mountpoint: string,
    private readonly proc: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
  }

  /** Mount a view of `backing` at `mountpoint` (created if missing) and wait until it serves. */
  static async mount(backing: string, mountpoint: string): Promise<BindMount> {
    fs.mkdirSync(mountpoint, { recursive: true });
    const proc = spawn('bindfs', ['-f', '--no-allow-other', backing, mountpoint], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const m = new BindMount(backing, mountpoint, proc);
    let gone = false;
    void m.exited.then(() => (gone = true));
    await waitFor(() => {
      if (gone) throw new Error(`bindfs exited: ${stderr.trim()}`);
      return mounted(mountpoint);
    }, { timeoutMs: 10_000, what: `bindfs ${backing} ${mountpoint}` });
    return m;
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Every I/O on the mount blocks from now on (kill -STOP of bindfs). */
  hang(): void {
    process.kill(this.pid, 'SIGSTOP');
    this.hung = true;
    // SIGSTOP lands asynchronously: a bindfs thread still running could read the next request
    // off /dev/fuse first, and a request in the daemon's hands is waited out uninterruptibly
    // (SIGKILL no longer ends its caller). Return only once every thread of bindfs is stopped.
    const deadline = Date.now() + 5000;
    while (!this.allStopped()) {
      if (Date.now() > deadline) throw new Error(`bindfs ${this.pid} did not stop within 5 s of SIGSTOP`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }

  /** Whether every thread of bindfs is in state T (stopped), from /proc/<pid>/task/<tid>/stat. */
  private allStopped(): boolean {
    try {
      return fs.readdirSync(`/proc/${this.pid}/task`).every((tid) => {
        const stat = fs.readFileSync(`/proc/${this.pid}/task/${tid}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        return state === 'T' || state === 't';
      });
    } catch {
      return false;
    }
  }

  /** Whether hang() holds the mount (until heal()). */
  isHung(): boolean {
    return this.hung;
  }

  /** The mount serves again; calls blocked meanwhile complete (kill -CONT). */
  heal(): void {
    if (!this.hung) return;
    process.kill(this.pid, 'SIGCONT');
    this.hung = false;
  }

  /** Heal, unmount (lazily if busy) and wait for bindfs to exit. Safe to call twice. */
  async unmount(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.heal();
    const r = spawnSync('fusermount', ['-u', this.mountpoint], { stdio: 'ignore' });
    if (r.status !== 0) spawnSync('umount', ['-l', this.mountpoint], { stdio: 'ignore' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
