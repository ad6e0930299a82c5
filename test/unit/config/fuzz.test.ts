/**
 * Garbled config files, fuzz-style with a fixed seed (FUZZ_SEED overrides it): random bytes,
 * truncated JSON, wrong types, unknown keys, huge values, deep nesting. Every one either loads
 * (a mutation can be harmless) or fails with a ConfigError that names a key (or `(file)`) in a
 * short, one-line-per-problem message; nothing else may escape (no TypeError, no RangeError).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load';
import { listKeys } from '../../../src/config/schema';
import { ConfigError } from '../../../src/errors';
import { fuzzSeed, randomValue, Rng } from '../../helpers/fuzz';

const ROOT = path.resolve(__dirname, '../../..');
const VALID = fs.readFileSync(path.join(ROOT, 'conf/examples/node-a.json'), 'utf8');
const KEYS = listKeys().map((k) => k.path);
const CASES = 300;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-fuzz-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function setPath(obj: Record<string, unknown>, keyPath: string, value: unknown): void {
  const parts = keyPath.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof o[p] !== 'object' || o[p] === null || Array.isArray(o[p])) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]!] = value;
}

function deep(n: number): string {
  return '{"zk":'.repeat(n) + '1' + '}'.repeat(n);
}

/** One garbled config file's content. */
function garble(r: Rng): { kind: string; content: string | Buffer } {
  const kind = r.pick(['bytes', 'truncated', 'wrong-type', 'unknown-key', 'huge', 'flipped', 'nested', 'not-object', 'proto']);
  const base = JSON.parse(VALID.split('\n').filter((l) => !/^\s*\/\//.test(l)).join('\n')) as Record<string, unknown>;
  switch (kind) {
    case 'bytes':
      return { kind, content: r.bytes(r.int(1, 2000)) };
    case 'truncated':
      return { kind, content: VALID.slice(0, r.int(1, VALID.length - 2)) };
    case 'wrong-type':
      for (let i = r.int(1, 3); i > 0; i--) setPath(base, r.pick(KEYS), randomValue(r));
      return { kind, content: JSON.stringify(base) };
    case 'unknown-key':
      setPath(base, r.pick([`${r.pick(KEYS)}x`, r.text(r.int(1, 12)), `zk.${r.text(4)}`, 'constructor']), randomValue(r));
      return { kind, content: JSON.stringify(base) };
    case 'proto':
      return {
        kind,
        content: r.pick([
          '{"__proto__": {"polluted": "yes"}}',
          '{"zk": {"__proto__": {"polluted": "yes"}}}',
          '{"constructor": {"prototype": {"polluted": "yes"}}}',
          '{"api": {"tls": {"__proto__": {"polluted": "yes"}}}}',
        ]),
      };
    case 'huge':
      setPath(base, r.pick(KEYS), r.pick(['y'.repeat(2_000_000), 'z'.repeat(300_000), 10 ** r.int(20, 308), -(2 ** 60)]));
      return { kind, content: JSON.stringify(base) };
    case 'flipped': {
      const b = Buffer.from(VALID);
      for (let i = r.int(1, 5); i > 0; i--) b[r.int(0, b.length - 1)] = r.int(0, 255);
      return { kind, content: b };
    }
    case 'nested':
      return { kind, content: deep(r.pick([2, 50, 5000, 200_000])) };
    default:
      return { kind, content: JSON.stringify(randomValue(r)) };
  }
}

test(`${CASES} garbled config files load or fail with a ConfigError naming a key (seed ${fuzzSeed()})`, () => {
  const r = new Rng(fuzzSeed());
  const kinds = new Map<string, number>();
  const problems: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const { kind, content } = garble(r);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    const file = path.join(dir, `case-${i}.json`);
    fs.writeFileSync(file, content);
    try {
      loadConfig({ file, env: {}, args: [] });
    } catch (err) {
      const where = `case ${i} (${kind}, seed ${r.seed})`;
      if (!(err instanceof ConfigError)) {
        problems.push(`${where}: ${String(err)}`);
        continue;
      }
      // The key is named: a schema key, the unknown key found, or (file) for a file that is no config.
      if (err.key === undefined || err.key === '' || !err.message.includes(err.key === '(file)' ? 'config file' : err.key)) {
        problems.push(`${where}: key ${String(err.key)} not named in: ${err.message.slice(0, 200)}`);
      }
      if (err.message.length > 2000) problems.push(`${where}: message of ${err.message.length} characters`);
      // eslint-disable-next-line no-control-regex -- control characters are what is checked
      if (/[\u0000-\u001f]/.test(err.message)) problems.push(`${where}: control characters in: ${JSON.stringify(err.message.slice(0, 200))}`);
    }
  }
  expect(problems).toEqual([]);
  // Every kind of garbage was tried.
  expect([...kinds.keys()].sort()).toEqual(['bytes', 'flipped', 'huge', 'nested', 'not-object', 'proto', 'truncated', 'unknown-key', 'wrong-type']);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
