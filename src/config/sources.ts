/**
 * Where each configuration value comes from (`jenkins-ha config --sources`, like `git config
 * --show-origin`): `default`, `file` (the config file: `-c FILE` or env JHA_CONFIG), `env` or
 * `flag`, by the same layers as loadConfig (later wins). The container entrypoint
 * (docker/entrypoint.sh) fills in its defaults only for keys nobody set, so one config file plus
 * env overrides works in a container as everywhere else. The configuration is loaded (and so
 * validated: a bad one is the same ConfigError naming the key) before anything is reported.
 */
import { loadConfig, readConfigFile, scanFlags, type LoadConfigOptions } from './load';
import { CONFIG_FILE_ENV, listKeys, type KeyInfo } from './schema';

export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

export interface KeySource {
  key: string;
  source: ConfigSource;
  /** The effective value as JSON; a sensitive key's non-empty value is `"***"`. */
  value: string;
}

/** Whether the config file's object holds `path` (`a.b.c`) as a property, whatever its value. */
function fileHas(content: Record<string, unknown>, path: string): boolean {
  let node: unknown = content;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.prototype.hasOwnProperty.call(node, part)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}

function valueAt(cfg: unknown, path: string): unknown {
  let node = cfg;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  return node;
}

/** Every key of the schema, in declaration order, with the layer its effective value comes from. */
export function configSources(opts: LoadConfigOptions = {}): KeySource[] {
  const cfg = loadConfig(opts);
  const env = opts.env ?? process.env;
  const envFile = env[CONFIG_FILE_ENV];
  const file = opts.file ?? (envFile !== undefined && envFile !== '' ? envFile : undefined);
  const content = file !== undefined ? readConfigFile(file) : {};
  const keys: KeyInfo[] = listKeys();
  const flags = scanFlags(opts.args ?? [], keys);
  return keys.map((k) => {
    const source: ConfigSource = flags.has(k.path) ? 'flag' : env[k.env] !== undefined ? 'env' : fileHas(content, k.path) ? 'file' : 'default';
    const v = valueAt(cfg, k.path);
    const value = k.sensitive === true && v !== '' ? '"***"' : JSON.stringify(v);
    return { key: k.path, source, value };
  });
}

/** One line per key: `<key> <source> <JSON value>` (what `jenkins-ha config --sources` prints). */
export function renderSources(rows: readonly KeySource[]): string {
  return rows.map((r) => `${r.key} ${r.source} ${r.value}\n`).join('');
}
