/**
 * Every fencing method the documentation offers (the `fencing-method` blocks of docs/safety.md
 * and the fencing.methods of conf/examples/*.json) is run the way the fencer runs it
 * (`/bin/sh -c`), with real processes as the previous controller, against:
 * - a live previous controller: it must be killed and the method exit 0;
 * - a dead one (the usual crash): exit 0, or the takeover retries for ever;
 * - no pid in the breadcrumb: exit non-zero (it cannot tell).
 * ssh is a stand-in on PATH that runs the remote command here, as the host would.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../helpers/ha-node';
import { isAlive, waitForExit } from '../helpers/procs';
import { waitFor } from '../helpers/wait';

function documentedMethods(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const safety = fs.readFileSync(path.join(REPO, 'docs', 'safety.md'), 'utf8');
  for (const m of safety.matchAll(/```sh fencing-method\n([\s\S]*?)```/g)) out.push([`docs/safety.md #${out.length + 1}`, (m[1] ?? '').trim()]);
  const dir = path.join(REPO, 'conf', 'examples');
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    // The examples are JSON with whole-line // comments.
    const text = fs.readFileSync(path.join(dir, f), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const methods = (JSON.parse(text) as { fencing?: { methods?: string[] } }).fencing?.methods ?? [];
    methods.forEach((m, i) => out.push([`conf/examples/${f} #${i + 1}`, m]));
  }
  return out;
}

const METHODS = documentedMethods();

let dir = '';
let bin = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-fence-examples-'));
  bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  // ssh [options] destination command...: run the command here with sh, as sshd would.
  fs.writeFileSync(
    path.join(bin, 'ssh'),
    [
      '#!/bin/sh',
      'while [ $# -gt 0 ]; do',
      '  case $1 in',
      '    -[oiplFJ]) shift 2 ;;',
      '    -*) shift ;;',
      '    *) break ;;',
      '  esac',
      'done',
      'shift # destination',
      'exec sh -c "$*"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs a method as the fencer does; async, so that this process reaps its stand-ins meanwhile. */
async function runMethod(method: string, prevPid: string): Promise<{ status: number | null; output: string }> {
  const child = spawn('/bin/sh', ['-c', method], {
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, JHA_PREV_PID: prevPid, JHA_PREV_HOST: 'prev.example', JHA_PREV_NODE_ID: 'a', JHA_PREV_EPOCH: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20000,
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const status = await new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { status, output };
}

test('the documentation offers fencing methods to test', () => {
  expect(METHODS.map(([where]) => where)).toEqual(expect.arrayContaining(['docs/safety.md #1', 'conf/examples/node-a.json #1', 'conf/examples/node-b.json #1']));
});

describe.each(METHODS)('%s', (_where, method) => {
  test('kills a live previous controller and exits 0', async () => {
    // A stand-in controller: its command line names jenkins-ha, as the real one's does.
    const prev = spawn('bash', ['-c', 'exec -a jenkins-ha-controller sleep 600'], { stdio: 'ignore' });
    try {
      const pid = prev.pid!;
      await waitFor(() => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('jenkins-ha'), { timeoutMs: 5000, what: `pid ${pid} to run as jenkins-ha-controller` });
      const r = await runMethod(method, String(pid));
      expect(r).toEqual({ status: 0, output: '' });
      expect(await waitForExit(pid, 2000)).toBe(true);
    } finally {
      prev.kill('SIGKILL');
    }
  });

  test('exits 0 when the previous controller is already dead (the usual crash)', async () => {
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    expect(isAlive(gone.pid!)).toBe(false);
    expect((await runMethod(method, String(gone.pid))).status).toBe(0);
  });

  test('fails when the breadcrumb had no pid', async () => {
    expect((await runMethod(method, '')).status).not.toBe(0);
  });
});

