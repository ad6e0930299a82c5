/**
 * The boundary rule of eslint.config.mjs (BOUNDARIES) bites: small snippets placed in each kind
 * of module, linted with the project's real config through ESLint's Node API, are refused when
 * they cross a boundary and accepted when they do not (so the rule does not simply refuse all).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

interface Snippet {
  filePath: string;
  code: string;
}

const ROOT = path.resolve(__dirname, '../../..');

/** One ESLint run for all snippets: the boundary messages of each. */
function boundaryMessages(snippets: Snippet[]): string[][] {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'test/helpers/lint-text.mjs')], {
    cwd: ROOT,
    input: JSON.stringify(snippets),
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(`lint-text.mjs exited ${run.status}: ${run.stderr}`);
  const results = JSON.parse(run.stdout) as { ruleId: string | null; message: string }[][];
  return results.map((messages) => messages.filter((m) => m.ruleId === 'jha/boundaries').map((m) => m.message));
}

const use = (imports: string): string => `${imports}\nexport const used = [x];\n`;

const refused: [string, Snippet, RegExp][] = [
  ['election importing the controller', { filePath: 'src/election/x.ts', code: use("import { Controller as x } from '../controller/controller';") }, /src\/election\/ must not import src\/controller\/controller\.ts/],
  ['api (a nested route) importing the ZooKeeper wrapper', { filePath: 'src/api/routes/x.ts', code: use("import { ZkCoordinator as x } from '../../coordination/zookeeper';") }, /src\/api\/ must not import src\/coordination\/zookeeper\.ts/],
  ['api importing the ZooKeeper client', { filePath: 'src/api/x.ts', code: use("import x from 'node-zookeeper-client';") }, /only src\/coordination\/ may import node-zookeeper-client/],
  ['hooks importing more of the controller than its status', { filePath: 'src/hooks/x.ts', code: use("import { Controller as x } from '../controller/controller';") }, /src\/hooks\/ must not import src\/controller\/controller\.ts/],
  ['the controller importing the api', { filePath: 'src/controller/x.ts', code: "export { createApp } from '../api/app';\n" }, /src\/controller\/ must not import src\/api\/app\.ts/],
  ['the controller reading the config', { filePath: 'src/controller/x.ts', code: use("import { loadConfig as x } from '../config/load';") }, /src\/controller\/ must not import src\/config\/load\.ts/],
  ['errors importing anything internal', { filePath: 'src/errors.ts', code: use("import { monoNow as x } from './util/clock';") }, /src\/errors\.ts must not import src\/util\/clock\.ts: it may import nothing internal/],
  ['util importing logging', { filePath: 'src/util/x.ts', code: use("import { createLogger as x } from '../logging/logger';") }, /src\/util\/ must not import src\/logging\/logger\.ts/],
  ['election using child_process', { filePath: 'src/election/x.ts', code: use("import { spawn as x } from 'node:child_process';") }, /only src\/fencing\/ or src\/jenkins\/ or src\/sync\/ or src\/hooks\/ may import node:child_process/],
  ['the cli importing the controller class', { filePath: 'src/cli/x.ts', code: use("const x = import('../controller/controller');") }, /src\/cli\/ must not import src\/controller\/controller\.ts/],
  ['the cli using express', { filePath: 'src/cli/x.ts', code: use("import x from 'express';") }, /only src\/api\/ may import express/],
  ['a part importing main', { filePath: 'src/jenkins/x.ts', code: use("import { VERSION as x } from '../main';") }, /src\/jenkins\/ must not import src\/main\.ts/],
  ['a folder missing from the allow-list', { filePath: 'src/newpart/x.ts', code: use("import { monoNow as x } from '../util/clock';") }, /src\/newpart\/ is not in BOUNDARIES/],
];

const accepted: [string, Snippet][] = [
  ['api importing the controller status interface', { filePath: 'src/api/routes/x.ts', code: use("import type { StatusSnapshot as x } from '../../controller/status';") }],
  ['fencing using child_process', { filePath: 'src/fencing/x.ts', code: use("import { spawn as x } from 'node:child_process';") }],
  ['election importing coordination types', { filePath: 'src/election/x.ts', code: use("import type { Coordinator as x } from '../coordination/types';") }],
  ['main importing the controller', { filePath: 'src/main.ts', code: use("import { Controller as x } from './controller/controller';") }],
  ['a module importing within itself', { filePath: 'src/sync/x.ts', code: use("import { Git as x } from './git';") }],
];

describe('eslint.config.mjs boundary allow-list', () => {
  const all = [...refused.map(([, s]) => s), ...accepted.map(([, s]) => s)];
  let messages: string[][] = [];
  beforeAll(() => {
    messages = boundaryMessages(all);
  });

  it.each(refused.map(([name, , expected], i) => [name, i, expected] as const))('refuses %s', (_name, i, expected) => {
    expect(messages[i]).toEqual([expect.stringMatching(expected)]);
  });

  it.each(accepted.map(([name], i) => [name, refused.length + i] as const))('accepts %s', (_name, i) => {
    expect(messages[i]).toEqual([]);
  });
});
