/**
 * The shape of src/ that docs/architecture.md promises: one job per file (no file over 400 lines)
 * and one direction (no import cycle, type-only imports included). ESLint's BOUNDARIES keep the
 * folders apart; this keeps the files within a folder from leaning on each other in a circle.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '..', '..', '..', 'src');
const MAX_LINES = 400;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file, resolved to files of src/ (`./x` -> x.ts or x/index.ts). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']*)'/g)) {
    const base = path.resolve(path.dirname(file), m[1] ?? '');
    const hit = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => fs.existsSync(c));
    if (hit) out.push(hit);
  }
  return out;
}

/** Every cycle found by a depth-first walk, as `a -> b -> a` with paths relative to src/. */
export function findCycles(graph: Map<string, string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const walk = (n: string, stack: string[]): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m].map((f) => path.relative(SRC, f)).join(' -> '));
      else if (!state.has(m)) walk(m, stack);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of graph.keys()) if (!state.has(n)) walk(n, []);
  return cycles;
}

const files = sources(SRC);

test(`no file of src/ is longer than ${MAX_LINES} lines`, () => {
  const long = files
    .map((f) => ({ file: path.relative(SRC, f), lines: fs.readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter((f) => f.lines > MAX_LINES);
  expect(long).toEqual([]);
});

test('src/ has no import cycle', () => {
  expect(findCycles(new Map(files.map((f) => [f, importsOf(f)])))).toEqual([]);
});

test('the cycle finder finds a cycle (so the test above can fail)', () => {
  const a = path.join(SRC, 'a.ts');
  const b = path.join(SRC, 'b.ts');
  expect(findCycles(new Map([[a, [b]], [b, [a]]]))).toEqual(['a.ts -> b.ts -> a.ts']);
});
