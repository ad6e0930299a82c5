/**
 * The shared JENKINS_HOME as real deployments see it: one backing directory (the NFS server's
 * export), optionally on a small tmpfs so it can fill up, and one FUSE mount of it per node
 * (Debian's bindfs, test/helpers/bindfs.ts), like one NFS client per host. `hang(id)` stops that
 * node's bindfs (every I/O on its mount blocks, SIGKILL still ends the caller), `heal` resumes it.
 * `fill()` takes every free byte of the tmpfs, `free()` gives it back.
 *
 * The stand-ins' journal and presence socket live outside (ChaosCluster.stateDir), so the overlap
 * check reads every life while a mount hangs; the writes file is read through the backing dir.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BindMount } from '../helpers/bindfs';

export interface SharedStorageOptions {
  /** Size of the tmpfs under the backing dir in MiB, or null for a plain directory. */
  tmpfsMiB: number | null;
}

const FILLER = '.chaos-disk-filler';

export class SharedStorage {
  private tmpfs = false;
  private filled: string | null = null;

  private constructor(
    readonly backing: string,
    private readonly mounts: Map<string, BindMount>,
  ) {}

  /** base/home (the backing dir) and base/mnt-<id> per node. */
  static async create(base: string, ids: readonly string[], opts: SharedStorageOptions): Promise<SharedStorage> {
    const backing = path.join(base, 'home');
    fs.mkdirSync(backing, { recursive: true, mode: 0o700 });
    const s = new SharedStorage(backing, new Map());
    try {
      if (opts.tmpfsMiB !== null) {
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${opts.tmpfsMiB}m,mode=0700`, 'jha-chaos', backing], { stdio: 'pipe' });
        s.tmpfs = true;
      }
      for (const id of ids) s.mounts.set(id, await BindMount.mount(backing, path.join(base, `mnt-${id}`)));
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  /** Node `id`'s view of the home (its JENKINS_HOME). */
  homeOf(id: string): string {
    return this.mount(id).mountpoint;
  }

  private mount(id: string): BindMount {
    const m = this.mounts.get(id);
    if (!m) throw new Error(`no mount for node ${id}`);
    return m;
  }

  /** Hang node `id`'s mount; returns once every bindfs thread is stopped. */
  hang(id: string): void {
    this.mount(id).hang();
  }

  heal(id: string): void {
    this.mount(id).heal();
  }

  /** Heal every mount and free the disk; what was done, for the progress log. */
  restore(): string[] {
    const done: string[] = [];
    for (const [id, m] of this.mounts) {
      if (m.isHung()) {
        m.heal();
        done.push(`healed mount ${id}`);
      }
    }
    if (this.filled !== null) {
      this.free();
      done.push('freed the disk');
    }
    return done;
  }

  get canFill(): boolean {
    return this.tmpfs;
  }

  /** Bytes free on the backing file system (what a writer could still get). */
  freeBytes(): number {
    const st = fs.statfsSync(this.backing);
    return st.bavail * st.bsize;
  }

  /**
   * Take every free block of the tmpfs: one preallocated file (4 MiB short of the free space, as
   * the nodes keep writing meanwhile), topped up with appends until ENOSPC. Its size.
   */
  fill(): number {
    if (!this.tmpfs) throw new Error('the home is not on a tmpfs: nothing to fill');
    const file = path.join(this.backing, FILLER);
    this.filled = file;
    const pre = this.freeBytes() - (4 << 20);
    if (pre > 0) execFileSync('fallocate', ['-l', String(pre), file], { stdio: 'pipe' });
    const fd = fs.openSync(file, 'a');
    try {
      for (const chunk of [1 << 20, 64 << 10, 4 << 10, 512, 64]) {
        const buf = Buffer.alloc(chunk);
        for (;;) {
          try {
            if (fs.writeSync(fd, buf) < chunk) break;
          } catch {
            break;
          }
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    return fs.statSync(file).size;
  }

  free(): void {
    if (this.filled === null) return;
    fs.rmSync(this.filled, { force: true });
    this.filled = null;
  }

  /** Heal and unmount everything (bindfs mounts, then the tmpfs). Safe to call twice. */
  async close(): Promise<void> {
    for (const m of this.mounts.values()) await m.unmount();
    this.mounts.clear();
    if (this.tmpfs) {
      try {
        execFileSync('umount', [this.backing], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', this.backing], { stdio: 'pipe' });
      }
      this.tmpfs = false;
    }
  }
}
