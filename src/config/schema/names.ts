/**
 * Names derived from a key path: the env var (`envName`) and the flag (`argName`, `flagName`),
 * never written by hand so the naming rule cannot drift; and the rule of cluster and node names.
 */
/** The only keys whose env var does not follow the `JHA_<UPPER_SNAKE_PATH>` rule. */
export const ENV_EXCEPTIONS: ReadonlyMap<string, string> = new Map([
  ['cluster.name', 'JHA_CLUSTER'],
  ['jenkins.home', 'JENKINS_HOME'],
]);

/** Env var that names the config file when `loadConfig` is not given one. */
export const CONFIG_FILE_ENV = 'JHA_CONFIG';

/**
 * The words of each key path seen, computed once: `loadConfig` builds a fresh schema per call and
 * deriving every key's names was a quarter of its CPU (docs/benchmarks.md, start-up). The paths
 * are the schema's own keys, so the map stays as small as the schema.
 */
const wordsOf = new Map<string, readonly string[]>();

/** Splits a key path into lower-case words: `zk.sessionTimeoutMs` -> zk, session, timeout, ms. */
function pathWords(path: string): readonly string[] {
  let words = wordsOf.get(path);
  if (words === undefined) {
    words = splitWords(path);
    wordsOf.set(path, words);
  }
  return words;
}

function splitWords(path: string): string[] {
  return path
    .split('.')
    .flatMap((segment) =>
      segment
        .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
        .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
        .split(/[\s_-]+/),
    )
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

/**
 * Env var of a key: `JHA_` + the key path in UPPER_SNAKE case
 * (`zk.sessionTimeoutMs` -> `JHA_ZK_SESSION_TIMEOUT_MS`), except the keys in `ENV_EXCEPTIONS`
 * (`jenkins.home` -> `JENKINS_HOME`, `cluster.name` -> `JHA_CLUSTER`).
 */
export function envName(path: string): string {
  const exception = ENV_EXCEPTIONS.get(path);
  if (exception !== undefined) return exception;
  return `JHA_${pathWords(path)
    .map((w) => w.toUpperCase())
    .join('_')}`;
}

/**
 * Command-line flag of a key, as convict's `arg` (without the leading `--`): the key path in
 * kebab case, dots become dashes (`zk.sessionTimeoutMs` -> `zk-session-timeout-ms`, used as
 * `--zk-session-timeout-ms`).
 */
export function argName(path: string): string {
  return pathWords(path).join('-');
}

/** The flag as typed on the command line: `--` + `argName(path)`. */
export function flagName(path: string): string {
  return `--${argName(path)}`;
}

// ---------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------

/** Charset of cluster.name and node.id (node.id is embedded in znode names). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const NAME_RULE = 'must be 1-63 characters of [A-Za-z0-9_.-] starting with a letter or digit';

/**
 * Turns a host name into a valid node id: characters outside [A-Za-z0-9_.-] become `-`,
 * leading characters that are not a letter or digit are dropped, the result is cut to 63
 * characters; `node` if nothing is left.
 */
export function sanitizeNodeId(hostname: string): string {
  const id = hostname
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return id.length > 0 ? id : 'node';
}
