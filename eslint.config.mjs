// Lint rules, including the module boundaries of docs/architecture.md ("Who may import what").
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The one boundary rule: every module of src/ (a folder `name/` or a top-level file `name.ts`)
// with the internal modules it may import and the third-party integrations it owns. An entry in
// `imports` is a folder (`util/`) or one file of it (`controller/status.ts`); a module always
// imports within itself. Anything not listed is refused, an owned integration is refused to every
// module that does not own it, and a module missing here is refused until it is added.
// One direction: main/cli -> controller -> parts; errors and util import nothing internal.
const BOUNDARIES = {
  'errors.ts': { imports: [] },
  'util/': { imports: [] },
  'logging/': { imports: ['util/'], owns: ['winston'] },
  'config/': { imports: ['errors.ts', 'util/'], owns: ['convict'] },
  'coordination/': { imports: ['errors.ts', 'logging/', 'util/'], owns: ['node-zookeeper-client'] },
  'election/': { imports: ['coordination/types.ts', 'errors.ts', 'logging/', 'util/'] },
  // child_process: fencing runs the fencing methods, jenkins supervises Jenkins, hooks runs the
  // role-change commands, sync runs git; each in a process group of its own.
  'fencing/': { imports: ['coordination/types.ts', 'errors.ts', 'logging/', 'util/'], owns: ['child_process'] },
  'jenkins/': { imports: ['errors.ts', 'logging/', 'util/'], owns: ['child_process'] },
  'sync/': { imports: ['coordination/types.ts', 'errors.ts', 'logging/', 'util/'], owns: ['child_process'] },
  'controller/': {
    imports: ['coordination/types.ts', 'election/', 'errors.ts', 'fencing/', 'jenkins/', 'logging/', 'sync/', 'util/'],
  },
  // The controller's events reach hooks and api only through its status interface.
  'hooks/': { imports: ['controller/status.ts', 'errors.ts', 'logging/', 'util/'], owns: ['child_process'] },
  'api/': { imports: ['controller/status.ts', 'errors.ts'], owns: ['express', 'prom-client'] },
  // Operator commands: read ZooKeeper and the members' APIs in the controller's own words.
  'cli/': {
    imports: [
      'config/', 'controller/cluster-view.ts', 'controller/notes.ts', 'controller/status.ts',
      'coordination/', 'election/', 'errors.ts', 'fencing/epoch.ts', 'jenkins/', 'logging/', 'util/',
    ],
  },
  // Composition roots.
  'main.ts': {
    imports: ['api/', 'assemble.ts', 'config/', 'controller/', 'coordination/', 'election/', 'errors.ts', 'fencing/', 'hooks/', 'jenkins/', 'logging/', 'sync/', 'util/'],
  },
  // main.ts's second half: what a node builds once it has joined (loaded by main.ts after the join).
  'assemble.ts': {
    imports: ['config/', 'controller/', 'coordination/', 'election/', 'errors.ts', 'fencing/', 'hooks/', 'jenkins/', 'logging/', 'sync/', 'util/'],
  },
  'cli.ts': { imports: ['cli/', 'code-cache.ts', 'config/', 'errors.ts', 'fencing/home-io-warm.ts', 'main.ts'] },
  // The V8 code cache of the start-up's modules (cli.ts installs it first): node's own modules only.
  'code-cache.ts': { imports: [] },
  // The closer a shim runs when its controller died (docs/safety.md): a program of its own.
  'session-closer.ts': { imports: ['coordination/session-close.ts', 'errors.ts', 'fencing/home-io.ts', 'fencing/home-lock.ts', 'util/'] },
};

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), 'src');
const OWNERS = {};
for (const [mod, { owns = [] }] of Object.entries(BOUNDARIES)) {
  for (const pkg of owns) (OWNERS[pkg] ??= []).push(`src/${mod}`);
}
/** Path relative to src/ -> its module: 'api/routes/read.ts' -> 'api/', 'main.ts' -> 'main.ts'. */
function moduleOf(rel) {
  const slash = rel.indexOf('/');
  return slash < 0 ? rel : rel.slice(0, slash + 1);
}
/** The bare package an import names: 'node:child_process' -> 'child_process', '@a/b/c' -> '@a/b'. */
function packageOf(spec) {
  const bare = spec.replace(/^node:/, '');
  const parts = bare.split('/');
  return bare.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
const boundaryRule = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const rel = path.relative(SRC, context.filename).split(path.sep).join('/');
    if (rel.startsWith('..') || path.isAbsolute(rel)) return {};
    const mod = moduleOf(rel);
    const rule = BOUNDARIES[mod];
    const check = (node, source) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const spec = source.value;
      if (!rule) {
        context.report({ node, message: `src/${mod} is not in BOUNDARIES of eslint.config.mjs: add it with what it may import` });
        return;
      }
      if (!spec.startsWith('.')) {
        const owners = OWNERS[packageOf(spec)];
        if (owners && !(rule.owns ?? []).includes(packageOf(spec))) {
          context.report({ node, message: `only ${owners.join(' or ')} may import ${spec} (eslint.config.mjs BOUNDARIES)` });
        }
        return;
      }
      const target = path.relative(SRC, path.resolve(path.dirname(context.filename), spec)).split(path.sep).join('/');
      if (target.startsWith('..')) return; // outside src/ (package.json)
      const file = target.replace(/\.(ts|js)$/, '') + '.ts';
      const targetMod = moduleOf(file);
      if (targetMod === mod) return;
      const allowed = rule.imports.some((entry) => (entry.endsWith('/') ? targetMod === entry : file === entry));
      if (!allowed) {
        const may = rule.imports.length ? rule.imports.map((e) => `src/${e}`).join(', ') : 'nothing internal';
        context.report({ node, message: `src/${mod} must not import src/${file}: it may import ${may} (eslint.config.mjs BOUNDARIES, docs/architecture.md)` });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      TSImportEqualsDeclaration: (node) => {
        if (node.moduleReference.type === 'TSExternalModuleReference') check(node, node.moduleReference.expression);
      },
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, node.arguments[0]);
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.run/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', fetch: 'readonly', AbortSignal: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name=/^(only|skip)$/]", message: 'no focused or skipped tests' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { jha: { rules: { boundaries: boundaryRule } } },
    rules: { 'jha/boundaries': 'error' },
  },
  // The benchmarks measure the build: they load the project's code from dist/ (bench/lib.ts dist())
  // and take only its types from src/.
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../src/*', '../src/**'], allowTypeImports: true, message: "bench/ runs the build: load src/ code with dist() from bench/lib.ts, import only its types" }] },
      ],
    },
  },
);
