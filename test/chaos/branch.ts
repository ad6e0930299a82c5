/**
 * The git-mode chaos run's view of the sync repository: the branch's first-parent chain (the
 * pushes that later leaders built on, oldest first) with each commit's epoch and the last record
 * of the stand-in's writes file in it. Commits never change, so what was read is cached and each
 * window reads only the new ones. The cache also keeps the commits a later leader replaced
 * (`seen`), and any commit can be read by id (`describe`: the recorded ones the controllers
 * logged), since a replaced commit stays in the repository's object store.
 */
import { execFile } from 'node:child_process';
import { epochOfMessage } from '../../src/sync/repo';
import type { PushedCommit } from './checks';

function git(gitDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 60000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** seq of the last complete record of a writes file's text (0: none). */
export function lastSeqOf(text: string): number {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (line === '') continue;
    try {
      const v = JSON.parse(line) as { seq?: unknown };
      if (typeof v.seq === 'number' && Number.isInteger(v.seq)) return v.seq;
    } catch {
      /* a torn last line: look further back */
    }
  }
  return 0;
}

export class BranchReader {
  private readonly cache = new Map<string, PushedCommit>();

  constructor(
    readonly gitDir: string,
    readonly branch: string,
    readonly file: string,
  ) {}

  private get ref(): string {
    return `refs/heads/${this.branch}`;
  }

  /** The writes file at the branch tip ('' when there is no branch or no file yet). */
  async tipText(): Promise<string> {
    const r = await git(this.gitDir, ['show', `${this.ref}:${this.file}`]);
    return r.code === 0 ? r.stdout : '';
  }

  /** Every commit read so far, on the chain now or replaced since. */
  seen(): PushedCommit[] {
    return [...this.cache.values()];
  }

  /** One commit by id (null when the repository does not have it). */
  async describe(sha: string): Promise<PushedCommit | null> {
    const cached = this.cache.get(sha);
    if (cached) return cached;
    const log = await git(this.gitDir, ['log', '-1', '--format=%B', sha, '--']);
    if (log.code !== 0) return null;
    const show = await git(this.gitDir, ['show', `${sha}:${this.file}`]);
    const c: PushedCommit = { commit: sha, epoch: epochOfMessage(log.stdout), lastSeq: show.code === 0 ? lastSeqOf(show.stdout) : 0 };
    this.cache.set(sha, c);
    return c;
  }

  async chain(): Promise<PushedCommit[]> {
    const has = await git(this.gitDir, ['rev-parse', '--verify', '--quiet', this.ref]);
    if (has.code !== 0) return [];
    const log = await git(this.gitDir, ['log', '--first-parent', '--format=%H%x00%B%x01', this.ref]);
    if (log.code !== 0) throw new Error(`git log ${this.ref} failed: ${log.stderr.trim()}`);
    const out: PushedCommit[] = [];
    for (const rec of log.stdout.split('\x01')) {
      const [sha, message] = rec.replace(/^\n/, '').split('\0');
      if (!sha || message === undefined) continue;
      let c = this.cache.get(sha);
      if (!c) {
        const show = await git(this.gitDir, ['show', `${sha}:${this.file}`]);
        c = { commit: sha, epoch: epochOfMessage(message), lastSeq: show.code === 0 ? lastSeqOf(show.stdout) : 0 };
        this.cache.set(sha, c);
      }
      out.push(c);
    }
    return out.reverse();
  }
}
