/**
 * The glob rules of sync.include / sync.exclude, shared by the config schema (validation,
 * defaults) and src/sync (pathspecs). Pure.
 */

/** The defaults of sync.include: global config, job definitions, users, agents. */
export const DEFAULT_INCLUDE: readonly string[] = ['*.xml', 'jobs/**/config.xml', 'users/**', 'nodes/**'];

/** Why a glob is not acceptable, or null when it is. */
export function globProblem(glob: string): string | null {
  if (glob.trim() === '') return 'is empty';
  if (glob !== glob.trim()) return 'has leading or trailing blanks';
  if (glob.includes('\0') || /[\r\n]/.test(glob)) return 'contains a NUL or a line break';
  if (glob.startsWith('/')) return 'must be relative to JENKINS_HOME (no leading "/")';
  if (glob.startsWith(':')) return 'must not start with ":" (git pathspec magic is added by jenkins-ha)';
  if (glob.split('/').some((s) => s === '..' || s === '.')) return 'must not contain "." or ".." segments';
  return null;
}
