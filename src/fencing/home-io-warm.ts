/**
 * Imported first of all by cli.ts, for its side effect: on `jenkins-ha run` it starts the
 * JENKINS_HOME I/O helper (home-io.ts) before the controller's own modules load. The helper is a
 * node process of its own (~100 ms of start-up on these machines); the home check before joining
 * the election waits for it to be ready, so started here its start-up overlaps the controller's
 * module loading instead of following it (docs/benchmarks.md, start-up). Nothing else changes: the
 * same shared instance, configured by main.ts with lock.ioTimeoutMs and the logger as before.
 */
import * as path from 'node:path';
import { sharedHomeIo } from './home-io';

/** The command of a `jenkins-ha` command line (the first word that is not an option or -c's file). */
export function commandOf(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-c' || a === '--config') i++;
    else if (!a.startsWith('-')) return a;
  }
  return null;
}

/** Only when the program is cli.js itself (not a test or a script that imports it). */
const isCli = require.main !== undefined && path.basename(require.main.filename, path.extname(require.main.filename)) === 'cli' && path.dirname(require.main.filename) === path.dirname(__dirname);
if (isCli && commandOf(process.argv.slice(2)) === 'run') sharedHomeIo().warm();
