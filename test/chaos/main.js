#!/usr/bin/env node
/*
 * Entry point of `npm run chaos`: runs test/chaos/run.ts in place, compiling each TypeScript file
 * on load with the project's own TypeScript (transpile only; `npm run typecheck` checks the types).
 * Running the sources where they are keeps the helpers' paths (dist/, scripts/, test/fixtures/)
 * right without a separate build tree.
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

require('./run.ts');
