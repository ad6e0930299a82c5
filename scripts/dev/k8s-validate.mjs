#!/usr/bin/env node
// Validates Kubernetes manifests against the API's OpenAPI schemas, as carried by the
// kubernetes-models package (ajv validators per kind; no cluster needed). ESM because the
// package is ESM only; test/deploy/kubernetes.test.ts spawns it.
//
//   node scripts/dev/k8s-validate.mjs FILE.yaml|DIR ...
//
// Every YAML document of every file (a DIR: its *.yaml and *.yml, recursively) is validated by
// its apiVersion and kind, in two steps:
// 1. the package's ajv validator (types, formats, enums, required fields);
// 2. unknown fields, which the OpenAPI schemas allow but the API server refuses under strict
//    field validation (kubectl's default, --validate=strict): the OpenAPI validators would pass a
//    misspelt `readinesProbe` that silently drops the probe. The fields of each kind are read
//    from the package's own TypeScript declarations (the same schemas, generated) with the
//    TypeScript checker.
// Only GA API versions (vN) are accepted: the package also carries removed beta versions.
// Prints one JSON object on stdout:
//   {"schemas": "kubernetes-models@5.1.0", "results": [{file, index, apiVersion, kind, name, valid, errors}]}
// Exit codes: 0 every document valid, 1 at least one is not (or does not parse), 64 usage.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';

const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help')) {
  process.stderr.write('usage: k8s-validate.mjs FILE.yaml|DIR ...\n');
  process.exit(64);
}

function yamlFiles(p) {
  if (!fs.statSync(p).isDirectory()) return [p];
  return fs
    .readdirSync(p, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? yamlFiles(path.join(p, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(p, e.name)] : []));
}

/** kubernetes-models/<group>/<version>/<Kind>; the core group ("v1") is kubernetes-models/v1/<Kind>. */
function modulePath(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !/^[A-Za-z0-9.]+(\/[A-Za-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) return null;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/** ajv's errors as "path: message" lines ("/spec/template/spec/containers/0/ports/0/containerPort: must be integer"). */
function describe(err) {
  const list = Array.isArray(err?.errors) ? err.errors : [];
  if (list.length === 0) return [String(err?.message ?? err)];
  return list.map((e) => `${e.instancePath === '' ? '/' : e.instancePath}: ${e.message}`);
}

const require = createRequire(import.meta.url);
const pkg = require('kubernetes-models/package.json');
const PKG_DIR = path.dirname(require.resolve('kubernetes-models/package.json'));

/** The TypeScript checker over the declarations of the kinds in use (built once: it takes seconds). */
let checker = null;
function interfaceOf(apiVersion, kind, roots) {
  const ts = require('typescript');
  if (checker === null) {
    const program = ts.createProgram(roots, {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    });
    checker = { ts, program, tc: program.getTypeChecker() };
  }
  const sf = checker.program.getSourceFile(path.join(PKG_DIR, apiVersion, `${kind}.d.ts`));
  const mod = sf && checker.tc.getSymbolAtLocation(sf);
  const iface = mod && checker.tc.getExportsOfModule(mod).find((s) => s.name === `I${kind}`);
  return iface ? checker.tc.getDeclaredTypeOfSymbol(iface) : null;
}

/** Paths of fields that the declared type does not have ("/spec/template/spec/containers/0/readinesProbe"). */
function unknownFields(value, type, at, out) {
  const { ts, tc } = checker;
  if (value === null || typeof value !== 'object') return out;
  let t = tc.getNonNullableType(type);
  if (Array.isArray(value)) {
    const el = tc.isArrayType(t) ? tc.getTypeArguments(t)[0] : undefined;
    if (el !== undefined) value.forEach((v, i) => unknownFields(v, el, `${at}/${i}`, out));
    return out;
  }
  if (t.isUnion()) {
    const objects = t.types.filter((u) => (u.flags & ts.TypeFlags.Object) !== 0);
    if (objects.length !== 1) return out;
    t = objects[0];
  }
  const index = tc.getIndexInfoOfType(t, ts.IndexKind.String);
  if (index !== undefined) {
    for (const [k, v] of Object.entries(value)) unknownFields(v, index.type, `${at}/${k}`, out);
    return out;
  }
  const props = tc.getPropertiesOfType(t);
  if (props.length === 0) return out; // a free-form object (e.g. a CRD's raw extension)
  for (const [k, v] of Object.entries(value)) {
    const p = props.find((s) => s.name === k);
    if (p === undefined) out.push(`${at}/${k}: unknown field`);
    else unknownFields(v, tc.getTypeOfSymbol(p), `${at}/${k}`, out);
  }
  return out;
}

async function validate(doc, roots) {
  const mod = modulePath(doc?.apiVersion, doc?.kind);
  if (mod === null) return [`apiVersion/kind missing or malformed (${JSON.stringify(doc?.apiVersion)}, ${JSON.stringify(doc?.kind)})`];
  // The package also carries alpha/beta versions that Kubernetes has removed since (apps/v1beta1,
  // policy/v1beta1, ...) or that need a feature gate: manifests meant to apply anywhere use GA only.
  if (!/(^|\/)v\d+$/.test(doc.apiVersion)) return [`${doc.apiVersion} is not a GA API version (alpha/beta: removed since, or behind a feature gate)`];
  let Model;
  try {
    Model = (await import(mod))[doc.kind];
  } catch {
    Model = undefined;
  }
  if (typeof Model !== 'function') return [`no schema for ${doc.apiVersion} ${doc.kind} in kubernetes-models (unknown or removed API)`];
  try {
    new Model(doc).validate();
  } catch (err) {
    return describe(err);
  }
  const type = interfaceOf(doc.apiVersion, doc.kind, roots);
  if (type === null) return [`no declarations for ${doc.apiVersion} ${doc.kind} in kubernetes-models: cannot check for unknown fields`];
  return unknownFields(doc, type, '', []);
}

const results = [];
const parsed = args.flatMap(yamlFiles).map((file) => ({ file, docs: parseAllDocuments(fs.readFileSync(file, 'utf8')) }));
// The declaration files of every kind in use, the roots of one TypeScript program.
const roots = [
  ...new Set(
    parsed.flatMap(({ docs }) =>
      docs.flatMap((d) => {
        const js = d.errors.length === 0 ? d.toJS() : null;
        const mod = modulePath(js?.apiVersion, js?.kind);
        const file = mod === null ? '' : path.join(PKG_DIR, js.apiVersion, `${js.kind}.d.ts`);
        return file !== '' && fs.existsSync(file) ? [file] : [];
      }),
    ),
  ),
];
for (const { file, docs } of parsed) {
  let index = 0;
  for (const d of docs) {
    const i = index++;
    if (d.errors.length > 0) {
      results.push({ file, index: i, apiVersion: null, kind: null, name: null, valid: false, errors: d.errors.map((e) => `YAML: ${e.message}`) });
      continue;
    }
    const doc = d.toJS();
    if (doc === null || doc === undefined) continue; // an empty document (a trailing ---)
    const errors = await validate(doc, roots);
    results.push({ file, index: i, apiVersion: doc.apiVersion ?? null, kind: doc.kind ?? null, name: doc.metadata?.name ?? null, valid: errors.length === 0, errors });
  }
}
process.stdout.write(`${JSON.stringify({ schemas: `${pkg.name}@${pkg.version}`, results }, null, 2)}\n`);
process.exit(results.every((r) => r.valid) && results.length > 0 ? 0 : 1);
