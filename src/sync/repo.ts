/**
 * JENKINS_HOME as a git work tree, limited to the selected paths: snapshot (commit what changed)
 * and restore (make the selected paths exactly a commit's, leave everything else alone).
 *
 * Commits are built with plumbing (add, write-tree, commit-tree, update-ref) on the local branch,
 * so HEAD never moves files by itself; each commit also carries .jenkins-ha/modes.json and
 * .jenkins-ha/plugins.txt, which are written to the index only, never into JENKINS_HOME.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Git } from './git';
import { applyModes, decodeModes, diffPlugins, encodeModes, pluginManifest, readModes } from './manifest';
import { MODES_FILE, META_DIR, PLUGINS_FILE, pathspecs, type Selection } from './patterns';

export const TRAILER_EPOCH = 'Jenkins-HA-Epoch';
export const TRAILER_NODE = 'Jenkins-HA-Node';

export interface SnapshotMeta {
  epoch: number;
  nodeId: string;
  reason: string;
}

export interface RestoreReport {
  commit: string;
  /** Files written from the commit. */
  written: number;
  /** Selected files that were in JENKINS_HOME but not in the commit, deleted. */
  removed: string[];
  /** Files whose permission bits were set from the manifest. */
  modesApplied: number;
  /** Plugin differences, recorded -> local (`name: a -> b`). */
  pluginDiff: string[];
}

/** The epoch named by a commit message's trailer, or null. */
export function epochOfMessage(message: string): number | null {
  const m = new RegExp(`^${TRAILER_EPOCH}:\\s*(\\d+)\\s*$`, 'm').exec(message);
  return m?.[1] !== undefined ? Number(m[1]) : null;
}

export function commitMessage(meta: SnapshotMeta): string {
  return `jenkins-ha: configuration of epoch ${meta.epoch} from ${meta.nodeId} (${meta.reason})\n\n${TRAILER_EPOCH}: ${meta.epoch}\n${TRAILER_NODE}: ${meta.nodeId}\n`;
}

export class ConfigRepo {
  private readonly specs: string[];
  readonly localRef: string;

  constructor(
    private readonly git: Git,
    readonly home: string,
    readonly branch: string,
    selection: Selection,
  ) {
    this.specs = pathspecs(selection);
    this.localRef = `refs/heads/${branch}`;
  }

  /** Create the git directory when it does not exist (bare layout, used with JENKINS_HOME as work tree). */
  async init(): Promise<void> {
    fs.mkdirSync(this.home, { recursive: true });
    if (fs.existsSync(path.join(this.git.gitDir, 'HEAD'))) return;
    fs.mkdirSync(path.dirname(this.git.gitDir), { recursive: true });
    await this.git.runBare(['init', '--quiet', '--bare', `--initial-branch=${this.branch}`, this.git.gitDir]);
    await this.git.run(['config', 'core.bare', 'false']);
    await this.git.run(['config', 'core.autocrlf', 'false']);
    await this.git.run(['config', 'gc.auto', '256']);
  }

  /** The commit JENKINS_HOME holds (the local branch), or null. */
  checkedOut(): Promise<string | null> {
    return this.git.resolve(this.localRef);
  }

  /** The last fetched tip of the repository's branch, or null. */
  fetched(): Promise<string | null> {
    return this.git.resolve(`refs/remotes/jha/${this.branch}`);
  }

  async epochOf(sha: string): Promise<number | null> {
    return epochOfMessage(await this.git.message(sha));
  }

  /** Selected files present in JENKINS_HOME or in the index. */
  private async selectedFiles(): Promise<string[]> {
    return this.git.lsFiles(['--cached', '--others'], this.specs);
  }

  /**
   * Commit the selected paths if they changed since the local branch's commit. Returns the
   * branch's commit afterwards and whether a new one was made.
   */
  async snapshot(meta: SnapshotMeta): Promise<{ commit: string; changed: boolean }> {
    const files = await this.selectedFiles();
    if (files.length > 0) {
      // Literal paths: ls-files already applied the globs (and `add` fails on a glob matching nothing).
      await this.git.run(['--literal-pathspecs', 'add', '--all', '--pathspec-from-file=-', '--pathspec-file-nul'], { input: files.join('\0') });
    }
    // Entries no longer selected (the include list changed) leave the index.
    const selected = new Set(await this.git.lsFiles(['--cached'], this.specs));
    const stray = (await this.git.lsFiles(['--cached'], [])).filter((f) => !selected.has(f) && !f.startsWith(`${META_DIR}/`));
    if (stray.length > 0) {
      await this.git.run(['--literal-pathspecs', 'rm', '--cached', '--quiet', '--pathspec-from-file=-', '--pathspec-file-nul'], { input: stray.join('\0') });
    }
    await this.putMeta(MODES_FILE, encodeModes(readModes(this.home, [...selected])));
    await this.putMeta(PLUGINS_FILE, pluginManifest(this.home));
    const tree = (await this.git.run(['write-tree'])).stdout.trim();
    const parent = await this.checkedOut();
    if (parent !== null) {
      const parentTree = (await this.git.run(['rev-parse', `${parent}^{tree}`])).stdout.trim();
      if (parentTree === tree) return { commit: parent, changed: false };
    }
    const commit = (await this.git.run(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'], { input: commitMessage(meta) })).stdout.trim();
    await this.git.run(['update-ref', this.localRef, commit, ...(parent ? [parent] : [])]);
    return { commit, changed: true };
  }

  private async putMeta(file: string, content: string): Promise<void> {
    const blob = await this.git.hashObject(content);
    await this.git.run(['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`]);
  }

  /**
   * Make the selected paths of JENKINS_HOME exactly those of `commit`: write every selected file
   * of the commit, delete selected files the commit does not have, restore permission bits.
   * Paths outside the selection (workspace/, jobs/x/builds/, ...) are not touched.
   */
  async restore(commit: string): Promise<RestoreReport> {
    const before = new Set(await this.selectedFiles());
    await this.git.run(['read-tree', commit]);
    const want = await this.git.lsFiles(['--cached'], this.specs);
    if (want.length > 0) {
      await this.git.run(['checkout-index', '--force', '-z', '--stdin'], { input: want.join('\0') });
    }
    const wanted = new Set(want);
    const removed: string[] = [];
    for (const f of before) {
      if (wanted.has(f)) continue;
      try {
        fs.unlinkSync(path.join(this.home, f));
        removed.push(f);
      } catch {
        /* already gone */
      }
    }
    const modesApplied = applyModes(this.home, decodeModes(await this.git.show(commit, MODES_FILE)), wanted);
    await this.git.run(['update-ref', this.localRef, commit]);
    // Stat info for the fresh index, so the next snapshot does not re-hash every file.
    await this.git.run(['update-index', '-q', '--refresh'], { okCodes: [0, 1] });
    const recordedPlugins = await this.git.show(commit, PLUGINS_FILE);
    const pluginDiff = recordedPlugins === null ? [] : diffPlugins(recordedPlugins, pluginManifest(this.home));
    return { commit, written: want.length, removed, modesApplied, pluginDiff };
  }
}
