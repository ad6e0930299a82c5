/**
 * src/code-cache.ts: the start-up's V8 code cache. It replaces how Node compiles a module, so each
 * case runs in a node of its own (the loader is process-wide): a package root in a temp dir, trained
 * in one process and served in another, as `npm run build` and `jenkins-ha run` do.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCodeCache } from '../../src/code-cache';

const REPO = path.resolve(__dirname, '../..');
const REGISTER = path.join(REPO, 'scripts/dev/register-ts.js');
const CODE_CACHE = path.join(REPO, 'src/code-cache.ts');

/** Runs `body` in a fresh node with `cc` = src/code-cache.ts and `root`; returns what it printed as JSON. */
function inNode(root: string, body: string, nodeArgs: string[] = []): Record<string, unknown> {
  const script = `const cc = require(${JSON.stringify(CODE_CACHE)}); const root = ${JSON.stringify(root)}; const path = require('path');\n${body}`;
  const r = spawnSync(process.execPath, [...nodeArgs, '-r', REGISTER, '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  if (r.status !== 0) throw new Error(`node exited ${String(r.status)}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
}

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-code-cache-'));
  fs.mkdirSync(path.join(root, 'dist'));
  fs.writeFileSync(path.join(root, 'dist/a.js'), "'use strict';\nconst b = require('./b');\nexports.answer = () => b.twice(21);\nexports.where = () => [__filename, __dirname, require.resolve('./b'), require.main === process.mainModule];\n");
  fs.writeFileSync(path.join(root, 'dist/b.js'), "'use strict';\nexports.twice = (x) => x * 2;\n");
  fs.writeFileSync(path.join(root, 'package.json'), '{"name":"app"}\n');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const TRAIN = `require('fs').writeFileSync(path.join(root, 'dist/code-cache.bin'), cc.trainCodeCache(['dist/a.js'], () => require(path.join(root, 'dist/a.js')).answer(), root)); console.log('{}');`;
const SERVE = `const s = cc.installCodeCache(path.join(root, 'dist/code-cache.bin'), root); const a = require(path.join(root, 'dist/a.js')); console.log(JSON.stringify({ answer: a.answer(), where: a.where(), served: s.served(), rejected: s.rejected(), resolved: s.resolved() }));`;

test('trained modules are served from the cache and behave as compiled from source (require, require.resolve, __filename, __dirname)', () => {
  inNode(root, TRAIN);
  const r = inNode(root, SERVE);
  expect(r).toEqual({
    answer: 42,
    where: [path.join(root, 'dist/a.js'), path.join(root, 'dist'), path.join(root, 'dist/b.js'), true],
    served: 2,
    rejected: 0,
    resolved: 2, // require('./b') and require.resolve('./b')
  });
});

test('a module changed after training is compiled from its new source, even at the same length (V8 checks only the length)', () => {
  inNode(root, TRAIN);
  const b = path.join(root, 'dist/b.js');
  const changed = fs.readFileSync(b, 'utf8').replace('x * 2', 'x + 2');
  expect(changed.length).toBe(fs.readFileSync(b, 'utf8').length);
  fs.writeFileSync(b, changed);
  const r = inNode(root, SERVE);
  expect(r.answer).toBe(23); // 21 + 2: the new code ran, not the cached one
  expect(r.served).toBe(1); // a.js only
});

test('no blob, or a blob of another node version: nothing is served and modules compile as usual', () => {
  expect(inNode(root, SERVE.replace("'dist/code-cache.bin'", "'dist/none.bin'"))).toMatchObject({ answer: 42, served: 0, rejected: 0 });
  inNode(root, TRAIN);
  const file = path.join(root, 'dist/code-cache.bin');
  const blob = fs.readFileSync(file);
  expect(readCodeCache(blob, root)?.modules.size).toBe(2);
  const nl = blob.indexOf(10);
  const header = JSON.parse(blob.toString('utf8', 0, nl)) as { node: string };
  const other = Buffer.concat([Buffer.from(`${JSON.stringify({ ...header, node: 'v0.0.0' })}\n`), blob.subarray(nl + 1)]);
  expect(readCodeCache(other, root)).toBeNull();
  expect(readCodeCache(Buffer.from('not a blob'), root)).toBeNull();
  fs.writeFileSync(file, other);
  expect(inNode(root, SERVE)).toMatchObject({ answer: 42, served: 0, rejected: 0 });
});

test('the build trains the pre-join modules: dist/code-cache.bin is written by `npm run build`', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.build).toMatch(/node scripts\/build-code-cache\.js$/);
});

test('after uninstall, modules compile from source again (cli.ts uninstalls it once the node has started)', () => {
  inNode(root, TRAIN);
  const r = inNode(root, SERVE.replace('const a = require', 's.uninstall(); const a = require'));
  expect(r).toMatchObject({ answer: 42, served: 0, rejected: 0, resolved: 0 });
});

describe('resolutions', () => {
  /** dist/a.js also requires the package `pkg` (node_modules/pkg, main lib/one.js). */
  beforeEach(() => {
    const pkg = path.join(root, 'node_modules/pkg');
    fs.mkdirSync(path.join(pkg, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), '{"name":"pkg","version":"1.0.0","main":"lib/one.js"}\n');
    fs.writeFileSync(path.join(pkg, 'lib/one.js'), "exports.which = 'one';\n");
    fs.writeFileSync(path.join(pkg, 'lib/two.js'), "exports.which = 'two';\n");
    const a = path.join(root, 'dist/a.js');
    fs.appendFileSync(a, "exports.pkg = () => require('pkg').which;\n");
  });
  const SERVE_PKG = SERVE.replace('answer: a.answer(),', 'answer: a.answer(), pkg: a.pkg(),');
  const TRAIN_PKG = TRAIN.replace('.answer(), root)', '.pkg(), root)');

  test("a package's require is answered from the build's resolutions and leads where Node's would", () => {
    inNode(root, TRAIN_PKG);
    expect(inNode(root, SERVE_PKG)).toMatchObject({ answer: 42, pkg: 'one', resolved: 3 });
  });

  test('a package updated since the build (its package.json changed) turns the resolutions off: Node resolves its new main', () => {
    inNode(root, TRAIN_PKG);
    const manifest = path.join(root, 'node_modules/pkg/package.json');
    fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace('"1.0.0","main":"lib/one.js"', '"1.1.0","main":"lib/two.js"'));
    expect(inNode(root, SERVE_PKG)).toMatchObject({ answer: 42, pkg: 'two', resolved: 0 });
  });

  test("the package's own package.json changed, or removed: no resolutions", () => {
    inNode(root, TRAIN_PKG);
    fs.writeFileSync(path.join(root, 'package.json'), '{"name":"app","dependencies":{"pkg":"^2"}}\n');
    expect(inNode(root, SERVE_PKG)).toMatchObject({ pkg: 'one', resolved: 0 });
    fs.rmSync(path.join(root, 'package.json'));
    expect(inNode(root, SERVE_PKG)).toMatchObject({ pkg: 'one', resolved: 0 });
  });

  test('a file a resolution names is gone: Node resolves that request itself', () => {
    inNode(root, TRAIN_PKG);
    fs.rmSync(path.join(root, 'dist/b.js'));
    fs.writeFileSync(path.join(root, 'dist/b.json'), '{"twice": null}');
    const r = inNode(root, SERVE_PKG.replace('answer: a.answer(),', ''));
    expect(r).toMatchObject({ pkg: 'one', resolved: 1 });
    expect((r.where as string[])[2]).toBe(path.join(root, 'dist/b.json'));
  });

  test('node run with a flag that changes resolution (--preserve-symlinks, --conditions): no resolutions', () => {
    inNode(root, TRAIN_PKG);
    expect(inNode(root, SERVE_PKG, ['--preserve-symlinks'])).toMatchObject({ pkg: 'one', resolved: 0, served: 3 });
    expect(inNode(root, SERVE_PKG, ['--conditions=dev'])).toMatchObject({ pkg: 'one', resolved: 0 });
  });

  test('what the build records: requests from files under the root to files under it, with the manifests they depend on', () => {
    inNode(root, TRAIN_PKG);
    const blob = fs.readFileSync(path.join(root, 'dist/code-cache.bin'));
    const header = JSON.parse(blob.toString('utf8', 0, blob.indexOf(10))) as { resolutions: string[][]; manifests: { files: string[] } };
    expect(header.resolutions).toEqual(expect.arrayContaining([['dist', './b', 'dist/b.js'], ['dist', 'pkg', 'node_modules/pkg/lib/one.js']]));
    expect(header.resolutions.every(([, request]) => !path.isAbsolute(request as string))).toBe(true);
    expect(header.manifests.files).toEqual(['package.json', 'node_modules/pkg/package.json']);
  });
});
