/**
 * docs/architecture.md lists every file of src/ by its path, and every src/ path it names exists,
 * so the map of the code cannot drift from the code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const DOC = 'docs/architecture.md';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** Every `src/...` path the page names (a trailing sentence period is not part of it). */
function namedPaths(text: string): Set<string> {
  return new Set([...text.matchAll(/(?<![\w./-])src\/[\w./-]*/g)].map((m) => m[0].replace(/\.+$/, '')));
}

describe(DOC, () => {
  const named = namedPaths(fs.readFileSync(path.join(ROOT, DOC), 'utf8'));

  it('names every file of src/', () => {
    expect(sourceFiles('src').filter((f) => !named.has(f))).toEqual([]);
  });

  it('names no src/ path that does not exist', () => {
    expect([...named].filter((p) => !fs.existsSync(path.join(ROOT, p)))).toEqual([]);
  });
});
