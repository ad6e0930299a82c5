/**
 * A V8 code cache for the modules a node loads before it joins (docs/benchmarks.md, "a code cache
 * for the start-up"). Compiling them from source was the largest single part of a start-up's CPU
 * (~23 ms of ~150 here); with V8's cached data they are deserialized instead.
 *
 * `npm run build` trains it (scripts/build-code-cache.js, `trainCodeCache`): it loads main.js's
 * static import graph and loads a configuration, then asks V8 for the code of every module it
 * compiled, functions run once included, and writes dist/code-cache.bin. Imported first of all by
 * cli.ts, this module installs it (`installCodeCache`) when the program is cli.js itself: a module
 * whose path and sha256 match an entry is compiled with the cached data. Anything else compiles as
 * Node always does: another file, a file changed since the build, another node version, another
 * architecture, a blob missing or unreadable. V8 checks the rest itself (its version, its flags)
 * and compiles from source when they differ. Deleting dist/code-cache.bin turns it off.
 *
 * The blob is `<JSON header>\n<data>`: the header names node's version and the architecture, and
 * per module its path relative to the package root, its sha256 and where its data lies. The
 * check by content matters: V8's own check of a source is its length.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import NodeModule from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** The parts of Node's CommonJS loader this module uses (not in @types/node). */
interface LoadedModule {
  exports: unknown;
  require(id: string): unknown;
  _compile(content: string, filename: string): unknown;
}
interface Loader {
  prototype: LoadedModule;
  wrap(source: string): string;
  _resolveFilename(request: string, parent: LoadedModule, isMain: boolean, options?: { paths?: string[] }): string;
  _resolveLookupPaths(request: string, parent: LoadedModule): string[] | null;
  _extensions: unknown;
  _cache: unknown;
}
const Loader = NodeModule as unknown as Loader;

interface Entry {
  file: string;
  sha256: string;
  offset: number;
  length: number;
}
interface Header {
  node: string;
  arch: string;
  entries: Entry[];
}

/** The package root (dist/..) and the blob `npm run build` writes. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');
export const CODE_CACHE_FILE = path.join(__dirname, 'code-cache.bin');

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Node's wrapper around a CommonJS module's source, a `#!` line made a comment (Node strips it). */
function wrapped(content: string): string {
  return Loader.wrap(content.startsWith('#!') ? `//${content}` : content);
}

/** Runs a compiled module as Node's loader would: `require`, `module`, `__filename`, `__dirname`. */
function run(script: vm.Script, mod: LoadedModule, filename: string): unknown {
  const fn = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
  const req = Object.assign((id: string): unknown => mod.require(id), {
    resolve: Object.assign((request: string, options?: { paths?: string[] }): string => Loader._resolveFilename(request, mod, false, options), {
      paths: (request: string): string[] | null => Loader._resolveLookupPaths(request, mod),
    }),
    main: require.main,
    extensions: Loader._extensions,
    cache: Loader._cache,
  });
  return fn.call(mod.exports, mod.exports, req, mod, filename, path.dirname(filename));
}

/** The blob's modules by absolute path, or null when it is missing, unreadable or for another node. */
export function readCodeCache(blob: Buffer, root: string = PACKAGE_ROOT): Map<string, { sha256: string; data: Buffer }> | null {
  const nl = blob.indexOf(10);
  if (nl < 0) return null;
  let header: Header;
  try {
    header = JSON.parse(blob.toString('utf8', 0, nl)) as Header;
  } catch {
    return null;
  }
  if (header.node !== process.version || header.arch !== process.arch || !Array.isArray(header.entries)) return null;
  const data = blob.subarray(nl + 1);
  return new Map(header.entries.map((e) => [path.resolve(root, e.file), { sha256: e.sha256, data: data.subarray(e.offset, e.offset + e.length) }]));
}

/** An installed cache: how many modules it served, how many V8 refused (compiled from source), and its removal. */
export interface InstalledCodeCache {
  served(): number;
  rejected(): number;
  /** Node compiles every later module itself, and the blob is let go. */
  uninstall(): void;
}

/** Serves the blob's modules from their cached code (once each). */
export function installCodeCache(blobFile: string = CODE_CACHE_FILE, root: string = PACKAGE_ROOT): InstalledCodeCache {
  let served = 0;
  let rejected = 0;
  const stats = { served: (): number => served, rejected: (): number => rejected, uninstall: (): void => undefined };
  let blob: Buffer;
  try {
    blob = fs.readFileSync(blobFile);
  } catch {
    return stats; // not built (a source checkout before `npm run build`): compile as usual
  }
  const cache = readCodeCache(blob, root);
  if (cache === null) return stats;
  const compile = Loader.prototype._compile;
  const compileCached = function (this: LoadedModule, content: string, filename: string): unknown {
    const hit = cache.get(filename);
    if (hit === undefined || hit.sha256 !== sha256(content)) return compile.call(this, content, filename);
    cache.delete(filename);
    const script = new vm.Script(wrapped(content), { filename, cachedData: hit.data });
    if (script.cachedDataRejected === true) rejected++;
    else served++;
    return run(script, this, filename);
  };
  Loader.prototype._compile = compileCached;
  stats.uninstall = (): void => {
    if (Loader.prototype._compile === compileCached) Loader.prototype._compile = compile;
    cache.clear();
  };
  return stats;
}

/**
 * Loads `modules` (and what they import) and runs `exercise`, compiling every module under `root`
 * that has no dynamic `import()`; returns the blob of their code as V8 holds it afterwards.
 */
export function trainCodeCache(modules: readonly string[], exercise: () => void, root: string = PACKAGE_ROOT): Buffer {
  const compiled = new Map<string, { script: vm.Script; sha256: string }>();
  const compile = Loader.prototype._compile;
  Loader.prototype._compile = function compileTraining(this: LoadedModule, content: string, filename: string): unknown {
    const rel = path.relative(root, filename);
    if (rel.startsWith('..') || path.isAbsolute(rel) || content.includes('import(')) return compile.call(this, content, filename);
    const script = new vm.Script(wrapped(content), { filename });
    compiled.set(rel, { script, sha256: sha256(content) });
    return run(script, this, filename);
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    for (const m of modules) require(path.resolve(root, m));
    exercise();
  } finally {
    Loader.prototype._compile = compile;
  }
  const entries: Entry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [file, c] of compiled) {
    const data = c.script.createCachedData();
    entries.push({ file, sha256: c.sha256, offset, length: data.length });
    chunks.push(data);
    offset += data.length;
  }
  const header: Header = { node: process.version, arch: process.arch, entries };
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...chunks]);
}

/** Only when the program is cli.js itself (not a test, the build or a script that imports it). */
const isCli = require.main !== undefined && require.main.filename === path.join(__dirname, 'cli.js');
/** This process's cache (cli.js only): cli.ts uninstalls it once the node has started. */
export const startupCodeCache: InstalledCodeCache | null = isCli ? installCodeCache() : null;
