#!/usr/bin/env node
// Rewrites the generated section of docs/configuration.md from the schema (what
// `jenkins-ha config --doc` prints). Run after `npm run build`: `npm run docs:config`.
'use strict';
const fs = require('fs');
const path = require('path');
const { renderConfigDoc, spliceGenerated } = require('../../dist/config/doc');

const page = path.join(__dirname, '..', '..', 'docs', 'configuration.md');
const before = fs.readFileSync(page, 'utf8');
const after = spliceGenerated(before, renderConfigDoc());
if (after === before) {
  console.log('docs/configuration.md is up to date');
} else {
  fs.writeFileSync(page, after);
  console.log('docs/configuration.md: generated section rewritten');
}
