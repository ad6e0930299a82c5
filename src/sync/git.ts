/**
 * A small typed wrapper over the real `git` binary (Debian's package). Every call is an argv
 * array (never a shell string, so nothing from config is ever parsed by a shell), runs with a
 * timeout that kills git's whole process group (ssh and remote helpers included), with
 * GIT_TERMINAL_PROMPT=0 and ssh in batch mode so a credential prompt fails instead of hanging,
 * and with LC_ALL=C so the few messages we read are stable.
 *
 * The repository is "separate": `--git-dir <gitDir> --work-tree <workTree>`, so JENKINS_HOME never
 * holds a .git of ours (see docs/sync.md).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { SyncError } from '../errors';
import { childEnv, type SecretScrub } from '../util/secrets';

export interface GitOptions {
  /** The repository (bare layout, used with a work tree). Absolute. */
  gitDir: string;
  /** JENKINS_HOME. Absolute. */
  workTree: string;
  /** Default timeout of one git command. */
  timeoutMs: number;
  /** Author and committer of our commits. */
  identity: { name: string; email: string };
  /** The git binary (default `git` from PATH). */
  binary?: string;
  /** The configuration's secrets: git (and the ssh or credential helpers it runs) never inherits them. */
  secrets: SecretScrub;
}

export interface RunOptions {
  /** Written to git's stdin (then closed). */
  input?: string | Buffer;
  timeoutMs?: number;
  /** Exit codes that are answers, not failures (e.g. 1 for `diff --quiet`). Default [0]. */
  okCodes?: number[];
  /** Extra environment for this call. */
  env?: Record<string, string>;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type PushResult = { ok: true } | { ok: false; stale: boolean; detail: string };

/** Inherited variables that would redirect git away from the repository we name. */
const DROP_ENV = [
  'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_NAMESPACE', 'GIT_CEILING_DIRECTORIES',
];
const MAX_OUTPUT = 64 * 1024 * 1024;

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** A repository URL safe to log or show: user:password in the URL becomes `***`. */
export function redactRepo(repo: string): string {
  return repo.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/i, '$1***@');
}

export function isSha(s: string): boolean {
  return SHA.test(s);
}

/** A commit id as the sync log lines show it: its first 12 digits, `-` for none. */
export const short = (sha: string | null | undefined): string => (sha ? sha.slice(0, 12) : '-');

export class Git {
  readonly gitDir: string;
  readonly workTree: string;

  constructor(private readonly opts: GitOptions) {
    this.gitDir = opts.gitDir;
    this.workTree = opts.workTree;
  }

  /** Run `git --git-dir D --work-tree W <args>`; throws SyncError GIT_* unless the exit code is ok. */
  run(args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
    const argv = ['--git-dir', this.gitDir, '--work-tree', this.workTree, ...args];
    return this.exec(argv, o, this.workTree);
  }

  /** Run git without a repository (e.g. `init`, `ls-remote`). */
  runBare(args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
    return this.exec(args, o, '/');
  }

  private env(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
    const env = childEnv(this.opts.secrets);
    for (const k of DROP_ENV) delete env[k];
    return {
      ...env,
      LC_ALL: 'C',
      GIT_TERMINAL_PROMPT: '0',
      GIT_SSH_COMMAND: env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
      GIT_AUTHOR_NAME: this.opts.identity.name,
      GIT_AUTHOR_EMAIL: this.opts.identity.email,
      GIT_COMMITTER_NAME: this.opts.identity.name,
      GIT_COMMITTER_EMAIL: this.opts.identity.email,
      ...extra,
    };
  }

  private exec(argv: readonly string[], o: RunOptions, cwd: string): Promise<RunResult> {
    const timeoutMs = o.timeoutMs ?? this.opts.timeoutMs;
    const okCodes = o.okCodes ?? [0];
    const what = `git ${argv.filter((a) => a !== this.gitDir && a !== this.workTree && a !== '--git-dir' && a !== '--work-tree').slice(0, 3).join(' ')}`;
    return new Promise<RunResult>((resolve, reject) => {
      // Its own process group, so a timeout also kills ssh / git-remote-* children.
      const child = spawn(this.opts.binary ?? 'git', [...argv], {
        cwd,
        env: this.env(o.env),
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      let settled = false;
      const finish = (e: SyncError | null, r?: RunResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (e) reject(e);
        else if (r) resolve(r);
      };
      const killGroup = (): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const timer = setTimeout(() => {
        killGroup();
        finish(new SyncError('GIT_TIMEOUT', `${what}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const collect = (into: Buffer[]) => (b: Buffer) => {
        size += b.length;
        if (size > MAX_OUTPUT) {
          killGroup();
          finish(new SyncError('GIT_FAILED', `${what}: more than ${MAX_OUTPUT} bytes of output`));
          return;
        }
        into.push(b);
      };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      child.stdin.on('error', () => {
        /* git may exit before reading its input; the exit code tells */
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        finish(
          e.code === 'ENOENT' && fs.existsSync(cwd)
            ? new SyncError('GIT_NOT_FOUND', `git binary not found (${this.opts.binary ?? 'git'}); install Debian's git package`)
            : new SyncError('GIT_FAILED', `${what}: ${e.message}`, { cause: e }),
        );
      });
      child.on('close', (code, signal) => {
        const stdout = Buffer.concat(out).toString('utf8');
        const stderr = Buffer.concat(err).toString('utf8');
        if (code === null) {
          finish(new SyncError('GIT_FAILED', `${what}: killed by ${signal ?? 'a signal'}`));
          return;
        }
        if (!okCodes.includes(code)) {
          const msg = stderr.trim().split('\n').filter((l) => l.trim() !== '').slice(-3).join(' | ') || `exit code ${code}`;
          finish(new SyncError('GIT_FAILED', `${what}: ${msg}`));
          return;
        }
        finish(null, { code, stdout, stderr });
      });
      if (o.input !== undefined) child.stdin.end(o.input);
      else child.stdin.end();
    });
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** The commit a ref points to, or null when the ref does not exist. */
  async resolve(ref: string): Promise<string | null> {
    const r = await this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { okCodes: [0, 1, 128] });
    const sha = r.stdout.trim();
    return r.code === 0 && isSha(sha) ? sha : null;
  }

  /** Whether the object database holds this commit. */
  async hasCommit(sha: string): Promise<boolean> {
    if (!isSha(sha)) return false;
    const r = await this.run(['cat-file', '-e', `${sha}^{commit}`], { okCodes: [0, 1, 128] });
    return r.code === 0;
  }

  /** Paths (NUL-separated output) of `ls-files` with the given options and pathspecs. */
  async lsFiles(options: readonly string[], pathspecs: readonly string[]): Promise<string[]> {
    const r = await this.run(['ls-files', '-z', ...options, '--', ...pathspecs]);
    return r.stdout.split('\0').filter((p) => p !== '');
  }

  /** Store a blob; returns its id. */
  async hashObject(content: string | Buffer): Promise<string> {
    const r = await this.run(['hash-object', '-w', '--stdin'], { input: content });
    return r.stdout.trim();
  }

  /** The full message of a commit. */
  async message(sha: string): Promise<string> {
    return (await this.run(['log', '-1', '--format=%B', sha])).stdout;
  }

  /** Committer time of a commit, Unix ms. */
  async commitTime(sha: string): Promise<number> {
    return Number((await this.run(['log', '-1', '--format=%ct', sha])).stdout.trim()) * 1000;
  }

  /** How many commits `to` has that `from` has not (`rev-list --count from..to`). */
  async countBetween(from: string, to: string): Promise<number> {
    return Number((await this.run(['rev-list', '--count', `${from}..${to}`])).stdout.trim());
  }

  /** Whether `ancestor` is `commit` or one of its ancestors. */
  async isAncestor(ancestor: string, commit: string): Promise<boolean> {
    const r = await this.run(['merge-base', '--is-ancestor', ancestor, commit], { okCodes: [0, 1] });
    return r.code === 0;
  }

  /** The content of a file in a commit, or null when the commit has no such path. */
  async show(sha: string, path: string): Promise<string | null> {
    const r = await this.run(['cat-file', '-p', `${sha}:${path}`], { okCodes: [0, 128] });
    return r.code === 0 ? r.stdout : null;
  }

  /**
   * Fetch `refs/heads/<branch>` of `repo` into `refs/remotes/jha/<branch>`. Returns the fetched tip,
   * or null when the repository answered but has no such branch yet. Throws when it cannot fetch.
   */
  async fetchBranch(repo: string, branch: string, timeoutMs?: number): Promise<string | null> {
    const tracking = `refs/remotes/jha/${branch}`;
    const r = await this.run(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', repo, `+refs/heads/${branch}:${tracking}`], {
      okCodes: [0, 128],
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    if (r.code === 128) {
      if (/couldn't find remote ref/i.test(r.stderr)) return null;
      const msg = r.stderr.trim().split('\n').filter((l) => l.trim() !== '').slice(0, 2).join(' | ');
      throw new SyncError('GIT_FAILED', `git fetch ${repo}: ${msg || 'exit code 128'}`);
    }
    return this.resolve(tracking);
  }

  /** Fetch one commit by id (servers that allow it; local and protocol-v2 repositories do). */
  async fetchCommit(repo: string, sha: string, timeoutMs?: number): Promise<void> {
    await this.run(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', repo, sha], timeoutMs !== undefined ? { timeoutMs } : {});
  }

  /**
   * Compare-and-set push: `commit` becomes `refs/heads/<branch>` of `repo` only if that ref is
   * `expected` right now (null = the branch must not exist). A refused lease is `{ok:false, stale:true}`.
   */
  async pushWithLease(repo: string, branch: string, commit: string, expected: string | null, timeoutMs?: number): Promise<PushResult> {
    const ref = `refs/heads/${branch}`;
    const r = await this.run(['push', '--porcelain', '--quiet', `--force-with-lease=${ref}:${expected ?? ''}`, repo, `${commit}:${ref}`], {
      okCodes: [0, 1, 128],
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    if (r.code === 0) return { ok: true };
    const line = r.stdout.split('\n').find((l) => l.startsWith('!')) ?? '';
    const detail = (line.split('\t')[2] ?? r.stderr.trim().split('\n').filter((l) => l.trim() !== '').slice(-2).join(' | ')) || `exit code ${r.code}`;
    return { ok: false, stale: /stale info/.test(line), detail };
  }
}
