/**
 * What of JENKINS_HOME is replicated: include/exclude globs -> git pathspecs. Pure.
 *
 * Globs are relative to JENKINS_HOME with git's `:(glob)` rules: `*` stays within one directory
 * level, `**` spans levels (`jobs/**\/config.xml` matches jobs/a/config.xml and
 * jobs/f/jobs/b/config.xml), `users/**` is everything under users/.
 */
import { DEFAULT_INCLUDE, globProblem } from '../util/sync-globs';

export { DEFAULT_INCLUDE, globProblem };

/** Added when sync.includeSecrets is true, and excluded otherwise (even if an include matches). */
export const SECRET_GLOBS: readonly string[] = ['secrets/**', 'secret.key', 'secret.key.not-so-secret'];

/** Our metadata inside each commit (never written into JENKINS_HOME). */
export const META_DIR = '.jenkins-ha';
export const MODES_FILE = `${META_DIR}/modes.json`;
export const PLUGINS_FILE = `${META_DIR}/plugins.txt`;

/** Files of ours in JENKINS_HOME that are per node and never replicated. */
const ALWAYS_EXCLUDED: readonly string[] = ['.jenkins-ha.lock*', `${META_DIR}/**`];

export interface Selection {
  include: readonly string[];
  exclude: readonly string[];
  includeSecrets: boolean;
}

/** The git pathspecs of a selection: includes, then excludes (ours, secrets unless enabled, the operator's). */
export function pathspecs(sel: Selection): string[] {
  const include = [...sel.include, ...(sel.includeSecrets ? SECRET_GLOBS : [])];
  const exclude = [...ALWAYS_EXCLUDED, ...(sel.includeSecrets ? [] : SECRET_GLOBS), ...sel.exclude];
  return [...new Set(include)].map((g) => `:(glob)${g}`).concat([...new Set(exclude)].map((g) => `:(glob,exclude)${g}`));
}
