/**
 * The one list of secrets of a configuration, derived from the schema's `sensitive` keys: their
 * environment variables (the key's `env` name and its `JHA_*` form) and their values. main.ts
 * passes it to every part that starts a child process (src/util/secrets.ts scrubs and redacts).
 * By default from `sensitiveKeys()`: the keys loadConfig's schema listed, not a second build.
 */
import type { SecretScrub } from '../util/secrets';
import { sensitiveKeys, type KeyInfo } from './schema';
import type { Config } from './types';

/** `JHA_` + the key path in UPPER_SNAKE case, whatever `envName` maps the key to. */
function jhaForm(path: string): string {
  return `JHA_${path.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase()}`;
}

/** Environment variables of the sensitive keys: each key's `env` name and its `JHA_*` form. */
export function secretEnvNames(keys: readonly KeyInfo[] = sensitiveKeys()): string[] {
  const names = new Set<string>();
  for (const k of keys) {
    if (k.sensitive !== true) continue;
    names.add(k.env);
    names.add(jhaForm(k.path));
  }
  return [...names];
}

function valueAt(cfg: Config, path: string): unknown {
  let node: unknown = cfg;
  for (const part of path.split('.')) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}

/**
 * The secrets of `cfg`: the env names above and the non-empty values of the sensitive keys (for
 * `user:password` credentials the password alone too, which output may quote without the user).
 */
export function configSecrets(cfg: Config, keys: readonly KeyInfo[] = sensitiveKeys()): SecretScrub {
  const values = new Set<string>();
  for (const k of keys) {
    if (k.sensitive !== true) continue;
    const v = valueAt(cfg, k.path);
    if (typeof v !== 'string' || v === '') continue;
    values.add(v);
    const colon = v.indexOf(':');
    if (colon >= 0 && colon < v.length - 1) values.add(v.slice(colon + 1));
  }
  return { envNames: secretEnvNames(keys), values: [...values] };
}
