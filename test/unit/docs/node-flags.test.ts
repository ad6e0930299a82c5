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

test('install.sh, the Dockerfile and bench/lib.ts start the controller with the same node flags, and no young-generation cap', () => {
  const bench = /CONTROLLER_NODE_FLAGS: readonly string\[\] = \[([^\]]*)\]/.exec(read('bench/lib.ts'));
  expect(bench).not.toBeNull();
  const flags = [...(bench?.[1] ?? '').matchAll(/'([^']+)'/g)].map((x) => x[1]);
  // A capped young generation cost ~30 ms of start-up and saved no settled idle memory (docs/benchmarks.md, "V8's young generation").
  expect(flags.filter((f) => f.includes('semi-space'))).toEqual([]);
  expect(flagsOf(read('scripts/install.sh'), 'scripts/install.sh')).toEqual(flags);
  expect(flagsOf(read('docker/Dockerfile'), 'docker/Dockerfile')).toEqual(flags);
});
