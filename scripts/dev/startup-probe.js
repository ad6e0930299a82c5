/**
 * Where a `jenkins-ha run` start-up spends its CPU (docs/benchmarks.md, start-up). A preload:
 *
 *   node -r ./scripts/dev/startup-probe.js dist/cli.js run ...
 *
 * Writes nothing to stdout (the controller's JSON log stays intact). On stderr, when the node logs
 * `election.joined`, one line `PROBE {...}`: for the marks `preload` (node's own boot is done),
 * `started`, `zk.session` and `election.joined`, the mono time (CLOCK_MONOTONIC ms, as the log's
 * `mono`) and the CPU time of the process so far (user + system, ms: far less sensitive to a loaded
 * machine than wall time); and `mods`, the CPU spent loading each module up to then, exclusive of
 * the modules it loads in turn, summed per package (`pkg winston`) or per file of ours
 * (`ours config/load.js`; cli.js's own share includes loading the configuration, which it does at
 * its top level). scripts/dev/startup-ab.js drives it and prints medians.
 */
'use strict';
const Module = require('node:module');
const fs = require('node:fs');

const monoMs = () => Number(process.hrtime.bigint() / 1000n) / 1000;
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const marks = { preload: { mono: monoMs(), cpu: cpuMs() } };
const mark = (name) => {
  if (!marks[name]) marks[name] = { mono: monoMs(), cpu: cpuMs() };
};

// Exclusive CPU per module file: Module.prototype.load runs once per file actually loaded.
const self = new Map();
const stack = [];
const load = Module.prototype.load;
Module.prototype.load = function (filename) {
  const frame = { start: cpuMs(), children: 0 };
  stack.push(frame);
  try {
    return load.call(this, filename);
  } finally {
    stack.pop();
    const inclusive = cpuMs() - frame.start;
    if (stack.length > 0) stack[stack.length - 1].children += inclusive;
    self.set(filename, (self.get(filename) ?? 0) + inclusive - frame.children);
  }
};

function owner(file) {
  const pkgs = [...file.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
  if (pkgs.length > 0) return `pkg ${pkgs[pkgs.length - 1][1]}`;
  const ours = /\/dist\/(.*)$/.exec(file);
  return ours ? `ours ${ours[1]}` : file;
}

function report() {
  const mods = {};
  for (const [file, ms] of self) mods[owner(file)] = Math.round(((mods[owner(file)] ?? 0) + ms) * 100) / 100;
  fs.writeSync(2, `PROBE ${JSON.stringify({ pid: process.pid, marks, mods })}\n`);
}

const EVENTS = ['started', 'zk.session', 'election.joined'];
const write = process.stdout.write;
process.stdout.write = function (chunk, ...rest) {
  const line = typeof chunk === 'string' ? chunk : String(chunk);
  for (const e of EVENTS) if (line.includes(`"event":"${e}"`)) mark(e);
  if (line.includes('"event":"election.joined"') && !marks.reported) {
    marks.reported = { mono: monoMs(), cpu: cpuMs() };
    report();
  }
  return write.call(this, chunk, ...rest);
};
