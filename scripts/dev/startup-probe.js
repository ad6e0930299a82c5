/**
 * Where a `jenkins-ha run` start-up spends its CPU (docs/benchmarks.md, start-up). A preload:
 *
 *   node -r ./scripts/dev/startup-probe.js dist/cli.js run ...
 *
 * Writes nothing to stdout (the controller's JSON log stays intact). On stderr, when the node logs
 * `election.joined` (the call, not the write: since logging/early.ts a node writes its lines from
 * before the join only after it, so for such a build the marks come from BufferedLogger.log, and
 * from stdout's writes for a build without it), one line `PROBE {...}`: for the marks `preload` (node's own boot is done),
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
function sawEvent(e) {
  if (!EVENTS.includes(e)) return;
  mark(e);
  if (e === 'election.joined' && !marks.reported) {
    marks.reported = { mono: monoMs(), cpu: cpuMs() };
    report();
  }
}

// A build with logging/early.ts: every log call passes BufferedLogger.prototype.log.
const loadEarly = Module.prototype.load;
Module.prototype.load = function (filename) {
  const r = loadEarly.call(this, filename);
  const C = filename.endsWith('/dist/logging/early.js') ? this.exports.BufferedLogger : undefined;
  if (C && typeof C.prototype.log === 'function') {
    const log = C.prototype.log;
    C.prototype.log = function (level, message, fields) {
      if (fields && typeof fields.event === 'string') sawEvent(fields.event);
      return log.call(this, level, message, fields);
    };
  }
  return r;
};

const write = process.stdout.write;
process.stdout.write = function (chunk, ...rest) {
  const line = typeof chunk === 'string' ? chunk : String(chunk);
  for (const e of EVENTS) if (line.includes(`"event":"${e}"`)) sawEvent(e);
  return write.call(this, chunk, ...rest);
};
