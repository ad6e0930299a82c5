#!/usr/bin/env node
/**
 * Part of `npm run build`: trains dist/code-cache.bin, the V8 code of the modules a node loads
 * before it joins (src/code-cache.ts; docs/benchmarks.md, "a code cache for the start-up").
 * It loads main.js's static import graph and one configuration (what `jenkins-ha run` does before
 * the join), then writes what V8 compiled. Run by the node that will run the controller: the cache
 * is for that node version only (another one compiles from source, as without it).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { trainCodeCache, CODE_CACHE_FILE } = require(path.join(root, 'dist', 'code-cache.js'));
const blob = trainCodeCache(['dist/cli.js', 'dist/main.js', 'dist/config/load.js', 'dist/config/secrets.js'], () => {
  const { loadConfig } = require(path.join(root, 'dist', 'config', 'load.js'));
  const { configSecrets } = require(path.join(root, 'dist', 'config', 'secrets.js'));
  // Placeholders only: nothing is connected, started or written.
  configSecrets(loadConfig({ env: { JENKINS_HOME: '/nonexistent', JHA_ZK_CONNECT: '127.0.0.1:2181' }, args: [] }));
});
fs.writeFileSync(CODE_CACHE_FILE, blob);
const entries = JSON.parse(blob.toString('utf8', 0, blob.indexOf(10))).entries.length;
console.log(`code cache: ${entries} modules, ${(blob.length / 1024).toFixed(0)} KiB -> ${path.relative(root, CODE_CACHE_FILE)}`);
