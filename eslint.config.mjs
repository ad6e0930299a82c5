// Lint rules, including the module boundaries of docs/architecture.md: each third-party
// integration is imported by one folder only, and the parts depend in one direction.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Third-party integrations, each owned by one folder of src/ (child_process by four: jenkins
// supervises Jenkins; hooks runs the operator's role-change commands and fencer the fencing
// methods, each in its own process group; sync runs the git binary).
const OWNERS = {
  'node-zookeeper-client': 'coordination',
  'node:child_process': ['jenkins', 'hooks', 'sync', 'fencer', 'fencing'],
  child_process: ['jenkins', 'hooks', 'sync', 'fencer', 'fencing'],
  express: 'api',
  'prom-client': 'api',
  winston: 'logging',
  convict: 'config',
};
// Internal folders a part must not import (one direction: main/cli -> controller -> parts).
const FORBIDDEN = {
  coordination: ['election', 'fencing', 'jenkins', 'controller', 'api', 'config'],
  election: ['fencing', 'jenkins', 'controller', 'api', 'config'],
  fencing: ['election', 'jenkins', 'controller', 'api', 'config'],
  jenkins: ['coordination', 'election', 'fencing', 'controller', 'api', 'config'],
  controller: ['api', 'config'],
  api: ['coordination', 'election', 'fencing', 'jenkins', 'config', 'logging'],
  config: ['coordination', 'election', 'fencing', 'jenkins', 'controller', 'api', 'logging'],
  logging: ['coordination', 'election', 'fencing', 'jenkins', 'controller', 'api', 'config'],
  util: ['coordination', 'election', 'fencing', 'jenkins', 'controller', 'api', 'config', 'logging'],
  hooks: ['coordination', 'election', 'fencing', 'jenkins', 'api', 'config'],
  fencer: ['coordination', 'election', 'fencing', 'jenkins', 'controller', 'api', 'config'],
  sync: ['election', 'fencing', 'jenkins', 'controller', 'api', 'config'],
};
const ownersOf = (owner) => (Array.isArray(owner) ? owner : [owner]);
// Only the controller (and main/cli) may use src/sync.
const NOT_SYNC = ['coordination', 'election', 'fencing', 'jenkins', 'api', 'config', 'logging', 'util', 'hooks', 'fencer'];

const boundaries = Object.keys(FORBIDDEN).map((folder) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: Object.entries(OWNERS)
          .filter(([, owner]) => !ownersOf(owner).includes(folder))
          .map(([name, owner]) => ({ name, message: `only ${ownersOf(owner).map((o) => `src/${o}/`).join(' or ')} may import ${name}` })),
        patterns: [
          {
            group: [...FORBIDDEN[folder].map((f) => `../${f}/*`), ...(NOT_SYNC.includes(folder) ? ['../sync/*'] : []), '../main', '../cli'],
            message: `src/${folder}/ must not import that part (see docs/architecture.md)`,
          },
          ...(folder === 'api' || folder === 'hooks'
            ? [{ group: ['../controller/*', '!../controller/status'], message: `src/${folder}/ sees only the controller status interface` }]
            : []),
        ],
      },
    ],
  },
}));
boundaries.push({
  files: ['src/errors.ts'],
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['./*'], message: 'errors imports nothing internal' }] }] },
});

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
  ...boundaries,
);
