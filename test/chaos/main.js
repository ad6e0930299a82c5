#!/usr/bin/env node
/*
 * Entry point of `npm run chaos`: runs test/chaos/run.ts in place, compiling each TypeScript file
 * on load (scripts/dev/register-ts.js, the loader the benchmarks use too).
 */
'use strict';
require('../../scripts/dev/register-ts');
require('./run.ts');
