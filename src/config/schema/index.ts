/**
 * The configuration schema: every key with its doc, format, default, env var and flag. The keys
 * live in one file per section beside this one (zk.ts, fencing.ts, jenkins.ts, ...), their
 * formats in formats.ts and the naming rules in names.ts; this file assembles them.
 *
 * Env var and flag names are never written by hand: `buildSchema` derives them from the
 * key path with `envName` / `argName`, so the naming rule cannot drift (a unit test walks
 * the schema and checks both rules for every key).
 *
 * This module is internal to src/config: the rest of the code base uses the plain `Config`
 * type from ./types.ts and `loadConfig` from ./load.ts, never convict.
 */
import os from 'node:os';
import type convict from 'convict';
import type { Config } from '../types';
import { apiKeys } from './api';
import { electionKeys, eligibilityKeys } from './election';
import { fencingKeys } from './fencing';
import { hooksKeys } from './hooks';
import { jenkinsKeys } from './jenkins';
import { lockKeys } from './lock';
import { logKeys } from './log';
import { argName, envName } from './names';
import { clusterKeys, nodeKeys } from './node';
import type { KeySpec, LeafValue, SpecTree } from './spec';
import { syncKeys } from './sync';
import { zkKeys } from './zk';

export { ENV_EXCEPTIONS, CONFIG_FILE_ENV, envName, argName, flagName, NAME_PATTERN, sanitizeNodeId } from './names';
export type { KeySpec, LeafValue, SpecTree } from './spec';

export interface BuildSchemaOptions {
  /** Host name used for the defaults of node.id and node.host (default: `os.hostname()`). */
  readonly hostname?: string;
}

/** Every section, in the order of `Config` (the order of `jenkins-ha config --doc`). */
function keySpecs(hostname: string): SpecTree<Config> {
  return {
    cluster: clusterKeys(),
    node: nodeKeys(hostname),
    zk: zkKeys(),
    fencing: fencingKeys(),
    lock: lockKeys(),
    jenkins: jenkinsKeys(),
    election: electionKeys(),
    eligibility: eligibilityKeys(),
    api: apiKeys(),
    log: logKeys(),
    hooks: hooksKeys(),
    sync: syncKeys(),
  };
}

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

/** A leaf of the convict schema as built here. */
export interface SchemaLeaf extends KeySpec<LeafValue> {
  readonly env: string;
  readonly arg: string;
}

interface LooseSpecTree {
  readonly [key: string]: LooseSpecTree | KeySpec<LeafValue>;
}

interface LooseSchemaTree {
  [key: string]: LooseSchemaTree | SchemaLeaf;
}

function isLeaf<T>(node: object): node is KeySpec<T> {
  return Object.prototype.hasOwnProperty.call(node, 'default');
}

function decorate(tree: LooseSpecTree, prefix: string): LooseSchemaTree {
  const out: LooseSchemaTree = {};
  for (const [key, node] of Object.entries(tree)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out[key] = isLeaf<LeafValue>(node)
      ? { ...node, env: envName(path), arg: argName(path) }
      : decorate(node, path);
  }
  return out;
}

/** Schemas made by `buildSchema` (whose sensitive keys `sensitiveKeys` may keep). */
const built = new WeakSet<object>();
/** The sensitive keys, from the first schema of `buildSchema` listed in this process (loadConfig's). */
let sensitive: readonly KeyInfo[] | undefined;

/**
 * Builds the convict schema: every key of `keySpecs` plus its `env` (`envName(path)`) and
 * `arg` (`argName(path)`). Cheap; `loadConfig` builds a fresh one per call.
 */
export function buildSchema(opts: BuildSchemaOptions = {}): convict.Schema<Config> {
  const specs: LooseSpecTree = keySpecs(opts.hostname ?? os.hostname());
  const schema = decorate(specs, '');
  built.add(schema);
  return schema as unknown as convict.Schema<Config>;
}

/** One key of the schema, flattened (for docs, error messages and tests). */
export interface KeyInfo extends SchemaLeaf {
  readonly path: string;
}

/** Every key of a schema built by `buildSchema`, in declaration order. */
export function listKeys(schema: convict.Schema<Config> = buildSchema()): KeyInfo[] {
  const out: KeyInfo[] = [];
  const walk = (tree: LooseSchemaTree, prefix: string): void => {
    for (const [key, node] of Object.entries(tree)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (isLeaf<LeafValue>(node)) out.push({ ...node, path });
      else walk(node, path);
    }
  };
  walk(schema as unknown as LooseSchemaTree, '');
  if (sensitive === undefined && built.has(schema)) sensitive = Object.freeze(out.filter((k) => k.sensitive === true).map((k) => Object.freeze({ ...k })));
  return out;
}

/**
 * The schema's `sensitive` keys (src/config/secrets.ts), listed once per process: kept from the
 * first `listKeys` of a schema `buildSchema` made (loadConfig's, in a node), else built now. Which
 * keys are sensitive is fixed by the section files; the host name only changes two defaults.
 * Start-up: the secrets list no longer builds the schema a second time (docs/benchmarks.md).
 */
export function sensitiveKeys(): readonly KeyInfo[] {
  if (sensitive === undefined) listKeys(buildSchema());
  return sensitive ?? [];
}
