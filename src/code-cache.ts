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
 * It also holds where each of those modules' `require()` calls led (`resolutions`): resolving a
 * request is stat calls, package.json reads and `exports` matching, ~20 ms of a start-up here, and
 * a map answers it at once. A resolution is served only while the package's own package.json and
 * that of every package a resolution leads into read as they did at the build (`manifests`, by
 * sha256: a dependency changed, updated or removed turns them all off), the file it names exists,
 * and node runs without a flag that changes resolution (`--conditions`, `--preserve-symlinks`). A
 * request the build did not see resolves as always.
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
  filename?: string | null;
  require(id: string): unknown;
  _compile(content: string, filename: string): unknown;
}
interface Loader {
  prototype: LoadedModule;
  wrap(source: string): string;
  _resolveFilename(request: string, parent: LoadedModule | undefined, isMain: boolean, options?: { paths?: string[] }): string;
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
/** A `require(request)` in a file of directory `from`, and the file it led to: paths relative to the root. */
type Resolution = [from: string, request: string, to: string];
interface Header {
  node: string;
  arch: string;
  entries: Entry[];
  resolutions?: Resolution[];
  /** The package.json of every package a resolution leads into, and the sha256 of their contents. */
  manifests?: { files: string[]; sha256: string };
}

/** What the blob holds, by absolute path: the modules' code and the resolutions (not yet checked). */
export interface CodeCache {
  modules: Map<string, { sha256: string; data: Buffer }>;
  resolutions: Map<string, string>;
  manifests: { files: string[]; sha256: string } | null;
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

/** The blob's contents by absolute path, or null when it is missing, unreadable or for another node. */
export function readCodeCache(blob: Buffer, root: string = PACKAGE_ROOT): CodeCache | null {
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
  return {
    modules: new Map(header.entries.map((e) => [path.resolve(root, e.file), { sha256: e.sha256, data: data.subarray(e.offset, e.offset + e.length) }])),
    resolutions: new Map((header.resolutions ?? []).map(([from, request, to]) => [resolutionKey(path.resolve(root, from), request), path.resolve(root, to)])),
    manifests: header.manifests ?? null,
  };
}

const resolutionKey = (fromDir: string, request: string): string => `${fromDir}\0${request}`;

/** The package.json of the package `file` lies in (relative to the root), or null for a file of ours. */
function manifestOf(file: string): string | null {
  const at = file.lastIndexOf('node_modules/');
  if (at < 0) return null;
  const parts = file.slice(at + 'node_modules/'.length).split('/');
  const name = parts[0]?.startsWith('@') === true ? parts.slice(0, 2) : parts.slice(0, 1);
  return path.join(file.slice(0, at), 'node_modules', ...name, 'package.json');
}

/** The sha256 of these package.json files as they read now (null when one cannot be read). */
function manifestsSha(files: readonly string[], root: string): string | null {
  const h = createHash('sha256');
  try {
    for (const f of files) h.update(`${f}\n`).update(fs.readFileSync(path.resolve(root, f))).update('\n');
  } catch {
    return null;
  }
  return h.digest('hex');
}

/** Node flags under which a request may resolve to another file than at the build. */
const RESOLUTION_FLAGS = /(^|\s)(--conditions|-C|--preserve-symlinks)/;
const flagsKeepResolution = (): boolean => !RESOLUTION_FLAGS.test([...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' '));

/** An installed cache: how many modules it served, how many V8 refused (compiled from source), how many requests it resolved, and its removal. */
export interface InstalledCodeCache {
  served(): number;
  rejected(): number;
  resolved(): number;
  /** Node compiles and resolves every later module itself, and the blob is let go. */
  uninstall(): void;
}

/** Serves the blob's modules from their cached code (once each), and their requires from its resolutions. */
export function installCodeCache(blobFile: string = CODE_CACHE_FILE, root: string = PACKAGE_ROOT): InstalledCodeCache {
  let [served, rejected, resolved] = [0, 0, 0];
  const stats = { served: (): number => served, rejected: (): number => rejected, resolved: (): number => resolved, uninstall: (): void => undefined };
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
    const hit = cache.modules.get(filename);
    if (hit === undefined || hit.sha256 !== sha256(content)) return compile.call(this, content, filename);
    cache.modules.delete(filename);
    const script = new vm.Script(wrapped(content), { filename, cachedData: hit.data });
    if (script.cachedDataRejected === true) rejected++;
    else served++;
    return run(script, this, filename);
  };
  Loader.prototype._compile = compileCached;
  const resolve = Loader._resolveFilename;
  const useResolutions = cache.manifests !== null && cache.resolutions.size > 0 && flagsKeepResolution() && manifestsSha(cache.manifests.files, root) === cache.manifests.sha256;
  const resolveCached: Loader['_resolveFilename'] = function (this: unknown, request, parent, isMain, options) {
    if (options === undefined && typeof parent?.filename === 'string') {
      const to = cache.resolutions.get(resolutionKey(path.dirname(parent.filename), request));
      if (to !== undefined && fs.existsSync(to)) {
        resolved++;
        return to;
      }
    }
    return resolve.call(this, request, parent, isMain, options);
  };
  if (useResolutions) Loader._resolveFilename = resolveCached;
  stats.uninstall = (): void => {
    if (Loader.prototype._compile === compileCached) Loader.prototype._compile = compile;
    if (Loader._resolveFilename === resolveCached) Loader._resolveFilename = resolve;
    cache.modules.clear();
    cache.resolutions.clear();
  };
  return stats;
}

/**
 * Loads `modules` (and what they import) and runs `exercise`, compiling every module under `root`
 * that has no dynamic `import()`; returns the blob of their code as V8 holds it afterwards, with
 * where their requires led.
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
  const resolutions = new Map<string, Resolution>();
  const resolve = Loader._resolveFilename;
  Loader._resolveFilename = function resolveTraining(this: unknown, request, parent, isMain, options): string {
    const to = resolve.call(this, request, parent, isMain, options);
    const from = typeof parent?.filename === 'string' ? path.relative(root, path.dirname(parent.filename)) : null;
    const target = path.relative(root, to);
    const inside = (rel: string): boolean => !rel.startsWith('..') && !path.isAbsolute(rel);
    if (options === undefined && !isMain && from !== null && inside(from) && path.isAbsolute(to) && inside(target) && !path.isAbsolute(request)) {
      resolutions.set(resolutionKey(from, request), [from, request, target]);
    }
    return to;
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    for (const m of modules) require(path.resolve(root, m));
    exercise();
  } finally {
    Loader.prototype._compile = compile;
    Loader._resolveFilename = resolve;
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
  const files = ['package.json', ...[...new Set([...resolutions.values()].flatMap(([, , to]) => manifestOf(to) ?? []))].sort()];
  const manifests = { files, sha256: manifestsSha(files, root) ?? '' };
  const header: Header = { node: process.version, arch: process.arch, entries, resolutions: [...resolutions.values()], manifests };
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...chunks]);
}

/** Only when the program is cli.js itself (not a test, the build or a script that imports it). */
const isCli = require.main !== undefined && require.main.filename === path.join(__dirname, 'cli.js');
/** This process's cache (cli.js only): cli.ts uninstalls it once the node has started. */
export const startupCodeCache: InstalledCodeCache | null = isCli ? installCodeCache() : null;
