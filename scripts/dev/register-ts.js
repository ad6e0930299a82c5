/*
 * Loads TypeScript sources in place: `node -r ./scripts/dev/register-ts.js file.ts` (or
 * require('./scripts/dev/register-ts') first). Each .ts file is compiled on load with the project's
 * own TypeScript, transpile only (`npm run typecheck` checks the types); `require('./x')` then
 * finds x.ts. Used by the chaos suite (test/chaos/main.js) and the benchmarks (`npm run bench`),
 * which run their sources where they are, so the paths they compute (dist/, scripts/,
 * test/fixtures/) stay right without a separate build tree.
 */
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      inlineSourceMap: true,
    },
  });
  module._compile(out.outputText, filename);
};
