/**
 * Start-up (docs/benchmarks.md): what `jenkins-ha run` does not need before joining is loaded
 * when first used (`await import(...)`), not by a static import from src/cli.ts. This walks the
 * static, value imports (type-only imports are erased by tsc) from cli.ts and names what they reach.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '..', '..', '..', 'src');

/** Static imports a compiled file keeps: `import x from`, `import { a } from`, `import './x'`; not `import type`, not `import(...)`. */
function valueImportsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'(\.{1,2}\/[^']*)'/gm)) {
    const base = path.resolve(path.dirname(file), m[1] ?? '');
    const hit = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => fs.existsSync(c));
    if (hit) out.push(hit);
  }
  return out;
}

/** The packages a file imports by value (bare specifiers: 'winston', 'node:fs'). */
function packageImportsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^.'][^']*)'/gm)].map((m) => m[1] ?? '');
}

function reachable(from: string): Set<string> {
  const seen = new Set<string>();
  const walk = (f: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const g of valueImportsOf(f)) walk(g);
  }
  walk(path.join(SRC, from));
  return new Set([...seen].map((f) => path.relative(SRC, f)));
}

const LOADED_WHEN_USED = [
  'sync/git.ts', // sync.mode git only (sync/lazy.ts)
  'sync/create.ts',
  'sync/floor.ts',
  'fencing/methods.ts', // the first fencing run
  'assemble.ts', // after the join (main.ts): the controller, Jenkins' supervisor, epochs, hooks
  'controller/controller.ts',
  'jenkins/supervisor.ts',
  'jenkins/eligibility.ts',
  'hooks/runner.ts',
  'api/app.ts', // after the join (main.ts serve())
  'cli/commands.ts', // operator commands, not `run`
  'cli/args.ts', // their options (cli.ts ops()), not `run`
  'cli/duration.ts',
  'fencing/home-lock.ts', // the lock itself: after the join (home-perms.ts names its file)
  'coordination/sasl-digest.ts', // at a server's first SASL challenge (coordination/zk-sasl.ts)
  'logging/logger.ts', // winston: after the join (main.ts, logging/early.ts live())
];

/**
 * Node's modules loaded after the join only: the API's server (api/listen.ts serve()) and a ZooKeeper
 * TLS client (coordination/zk-socket.ts useTls) load them when used; node:https brings node:tls.
 */
const BUILTINS_AFTER_JOIN = ['node:http', 'node:https', 'node:tls'];

/** Loaded after the join only (logging/early.ts): winston and the packages only it brings. */
const PACKAGES_AFTER_JOIN = ['winston', 'logform', 'triple-beam', 'readable-stream', '@colors/colors', '@dabh/diagnostics', 'async'];

test('cli.ts reaches none of the modules that load when first used', () => {
  const r = reachable('cli.ts');
  expect(r.has('main.ts')).toBe(true); // the walk does follow value imports
  expect(r.has('election/election.ts')).toBe(true);
  expect(LOADED_WHEN_USED.filter((f) => r.has(f))).toEqual([]);
});

test('the walk sees a value import but not a type-only one', () => {
  expect(valueImportsOf(path.join(SRC, 'controller', 'term.ts')).map((f) => path.relative(SRC, f))).not.toContain('fencing/methods.ts');
  expect(valueImportsOf(path.join(SRC, 'main.ts')).map((f) => path.relative(SRC, f))).toContain('sync/lazy.ts');
});

test('nothing cli.ts reaches imports winston: the log records before the join wait in logging/early.ts', () => {
  const r = reachable('cli.ts');
  expect(r.has('logging/early.ts')).toBe(true);
  const hits = [...r].flatMap((f) => packageImportsOf(path.join(SRC, f)).filter((p) => PACKAGES_AFTER_JOIN.some((w) => p === w || p.startsWith(`${w}/`))).map((p) => `${f}: ${p}`));
  expect(hits).toEqual([]);
  // The check sees a package import where there is one.
  expect(packageImportsOf(path.join(SRC, 'logging', 'logger.ts'))).toContain('winston');
});

test('nothing cli.ts reaches imports node:http, node:https or node:tls by value (type-only imports are erased)', () => {
  const r = reachable('cli.ts');
  expect(r.has('api/listen.ts')).toBe(true);
  expect(r.has('coordination/zk-socket.ts')).toBe(true);
  const hits = [...r].flatMap((f) => packageImportsOf(path.join(SRC, f)).filter((p) => BUILTINS_AFTER_JOIN.includes(p)).map((p) => `${f}: ${p}`));
  expect(hits).toEqual([]);
  // The check sees a value import of node:http where there is one (the Jenkins client, after the join).
  expect(packageImportsOf(path.join(SRC, 'jenkins', 'client.ts'))).toContain('node:http');
  expect(packageImportsOf(path.join(SRC, 'main.ts'))).not.toContain('node:http'); // `import type * as http`
});
