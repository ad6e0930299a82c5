/**
 * The two manifests each commit carries under .jenkins-ha/ (never written into JENKINS_HOME):
 *
 * - modes.json: the full permission bits of every replicated file (git itself keeps only the
 *   executable bit), so a restored `secrets/master.key` is 0600 again, not 0644;
 * - plugins.txt: `name:version` of every plugins/*.jpi|*.hpi, so the plugin set is visible and
 *   compared on takeover (the binaries are not replicated).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

// ---- modes -------------------------------------------------------------------------------------

/** path -> octal permission string ("0600"), sorted by path. */
export type Modes = Record<string, string>;

export function readModes(home: string, files: readonly string[]): Modes {
  const out: Modes = {};
  for (const f of [...files].sort()) {
    try {
      const st = fs.lstatSync(path.join(home, f));
      if (st.isFile()) out[f] = (st.mode & 0o7777).toString(8).padStart(4, '0');
    } catch {
      /* deleted meanwhile: git add saw it gone too */
    }
  }
  return out;
}

export function encodeModes(m: Modes): string {
  return `${JSON.stringify(m, null, 1)}\n`;
}

export function decodeModes(text: string | null): Modes {
  if (text === null) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
    const out: Modes = {};
    for (const [k, m] of Object.entries(v as Record<string, unknown>)) {
      if (typeof m === 'string' && /^[0-7]{3,4}$/.test(m)) out[k] = m;
    }
    return out;
  } catch {
    return {};
  }
}

/** chmod the listed files that exist; returns how many were changed. */
export function applyModes(home: string, modes: Modes, only: ReadonlySet<string>): number {
  let changed = 0;
  for (const [f, m] of Object.entries(modes)) {
    if (!only.has(f)) continue;
    const p = path.join(home, f);
    try {
      const st = fs.lstatSync(p);
      const want = parseInt(m, 8);
      if (st.isFile() && (st.mode & 0o7777) !== want) {
        fs.chmodSync(p, want);
        changed++;
      }
    } catch {
      /* not there */
    }
  }
  return changed;
}

// ---- plugins -----------------------------------------------------------------------------------

/** `Plugin-Version` (else `Implementation-Version`) of a MANIFEST.MF text. */
export function manifestVersion(text: string): string | null {
  // Continuation lines start with one space.
  const unfolded = text.replace(/\r?\n /g, '');
  const get = (key: string): string | null => new RegExp(`^${key}:\\s*(.+?)\\s*$`, 'm').exec(unfolded)?.[1] ?? null;
  return get('Plugin-Version') ?? get('Implementation-Version');
}

/**
 * One line per plugin archive, sorted: `name:version`. The version comes from the exploded
 * plugin directory Jenkins writes next to the archive (plugins/<name>/META-INF/MANIFEST.MF);
 * when that is missing, from the archive's sha256 (`name:sha256-<12 hex>`).
 */
export function pluginManifest(home: string): string {
  const dir = path.join(home, 'plugins');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return '';
  }
  const lines: string[] = [];
  for (const file of names.sort()) {
    const m = /^(.+)\.(jpi|hpi)$/.exec(file);
    if (!m?.[1]) continue;
    const name = m[1];
    let version: string | null = null;
    try {
      version = manifestVersion(fs.readFileSync(path.join(dir, name, 'META-INF', 'MANIFEST.MF'), 'utf8'));
    } catch {
      /* not exploded yet */
    }
    if (version === null) {
      try {
        version = `sha256-${createHash('sha256').update(fs.readFileSync(path.join(dir, file))).digest('hex').slice(0, 12)}`;
      } catch {
        continue;
      }
    }
    lines.push(`${name}:${version}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Differences between two plugin manifests, as `name: a -> b` (missing = `-`). */
export function diffPlugins(recorded: string, local: string): string[] {
  const parse = (t: string): Map<string, string> =>
    new Map(
      t
        .split('\n')
        .filter((l) => l.includes(':'))
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as const),
    );
  const a = parse(recorded);
  const b = parse(local);
  const out: string[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (a.get(name) !== b.get(name)) out.push(`${name}: ${a.get(name) ?? '-'} -> ${b.get(name) ?? '-'}`);
  }
  return out;
}
