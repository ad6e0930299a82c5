/**
 * The node flags of the installed `jenkins-ha` command (docs/benchmarks.md, memory) are the same in
 * every wrapper that starts a controller, and the benchmarks start theirs with them too, so the
 * footprint measured is the footprint deployed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const read = (f: string): string => fs.readFileSync(path.join(ROOT, f), 'utf8');

/** The flags between the node binary and dist/cli.js on a wrapper's exec line. */
function flagsOf(text: string, file: string): string[] {
  const m = /exec\s+\S+\s+(.*?)\s*\S*\/dist\/cli\.js/.exec(text);
  if (!m) throw new Error(`${file}: no exec line of node and dist/cli.js`);
  return (m[1] as string).split(/\s+/).filter(Boolean);
}

test('install.sh, the Dockerfile and bench/lib.ts start the controller with the same node flags, --max-semi-space-size=1 among them', () => {
  const bench = /CONTROLLER_NODE_FLAGS: readonly string\[\] = \[([^\]]*)\]/.exec(read('bench/lib.ts'));
  expect(bench).not.toBeNull();
  const flags = [...(bench?.[1] ?? '').matchAll(/'([^']+)'/g)].map((x) => x[1]);
  expect(flags).toContain('--max-semi-space-size=1');
  expect(flagsOf(read('scripts/install.sh'), 'scripts/install.sh')).toEqual(flags);
  expect(flagsOf(read('docker/Dockerfile'), 'docker/Dockerfile')).toEqual(flags);
});
