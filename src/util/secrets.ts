/**
 * The configuration's secrets as the parts that run child processes see them: which environment
 * variables a child must not inherit, and which values must not appear in command output that is
 * logged or shown (preflight reasons, fencing output). Built once by the composition root from
 * the config schema's `sensitive` keys (src/config/secrets.ts) and handed down as this slice.
 */

export interface SecretScrub {
  /** Environment variables that never reach a child process (JHA_ZK_AUTH, JHA_API_TOKEN, ...). */
  readonly envNames: readonly string[];
  /** Non-empty secret values, replaced by REDACTED wherever command output is quoted. */
  readonly values: readonly string[];
}

export const REDACTED = '[redacted]';

/**
 * A child's environment: `base` (default this process's) without the secret variables, and
 * without any variable whose value is a secret (the same token exported under another name),
 * plus `extra`.
 */
export function childEnv(secrets: SecretScrub, extra: Record<string, string> = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of secrets.envNames) delete env[k];
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '' && secrets.values.includes(v)) delete env[k];
  return { ...env, ...extra };
}

/** `text` with every secret value replaced by REDACTED (longest first, so a value containing another goes whole). */
export function redactSecrets(text: string, secrets: SecretScrub): string {
  let out = text;
  for (const v of [...secrets.values].sort((a, b) => b.length - a.length)) {
    if (v !== '') out = out.split(v).join(REDACTED);
  }
  return out;
}
