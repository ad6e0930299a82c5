/**
 * The stand-in's opt-in numbered writes (STANDIN_WRITES_MS), used by the chaos suite to prove that
 * no acknowledged write is lost across failovers: real stand-in processes on a real home.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkWrites, WRITES_FILE } from '../chaos/checks';
import { standinOfHome } from '../chaos/cluster';
import { readJournal, type JournalEntry } from '../helpers/journal';
import { freePortBlock } from '../helpers/zk';
import { waitFor } from '../helpers/wait';

const STANDIN = path.resolve(__dirname, '../fixtures/jenkins-standin.js');

let home = '';
const children: ChildProcess[] = [];

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-writes-'));
});

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  fs.rmSync(home, { recursive: true, force: true });
});

function start(port: number, env: Record<string, string>): ChildProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, JENKINS_HOME: home };
  delete childEnv.STANDIN_WRITES_MS;
  delete childEnv.JHA_EPOCH;
  Object.assign(childEnv, env);
  const c = spawn(process.execPath, [STANDIN, `--httpPort=${port}`], { env: childEnv, stdio: 'ignore' });
  children.push(c);
  return c;
}

const acksOf = (pid: number): JournalEntry[] => readJournal(home).filter((e) => e.pid === pid && e.ev === 'ack');
const writesText = (): string => fs.readFileSync(path.join(home, WRITES_FILE), 'utf8');

test('acknowledged records survive kill -9 and the next instance continues the sequence', async () => {
  const port = await freePortBlock(1);
  const first = start(port, { STANDIN_WRITES_MS: '20', JHA_EPOCH: '1' });
  await waitFor(() => acksOf(first.pid!).length >= 5, { timeoutMs: 15000, what: '5 acknowledged records' });
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const firstAcks = acksOf(first.pid!).length;

  const second = start(port, { STANDIN_WRITES_MS: '20', JHA_EPOCH: '2' });
  await waitFor(() => acksOf(second.pid!).length >= 5, { timeoutMs: 15000, what: "the second instance's records" });
  second.kill('SIGTERM');
  await new Promise((r) => second.once('exit', r));

  const journal = readJournal(home);
  const report = checkWrites(writesText(), journal);
  expect(report.problems).toEqual([]);
  expect(report.acked).toBe(firstAcks + acksOf(second.pid!).length);
  const records = writesText()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { seq: number; pid: number; epoch: string });
  expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
  const firstOfSecond = records.findIndex((r) => r.pid === second.pid);
  expect(firstOfSecond).toBeGreaterThanOrEqual(firstAcks);
  expect(records.slice(0, firstOfSecond).every((r) => r.pid === first.pid && r.epoch === '1')).toBe(true);
  expect(records.slice(firstOfSecond).every((r) => r.pid === second.pid && r.epoch === '2')).toBe(true);
});

test('the same checker catches a file that lost an acknowledged record', async () => {
  const port = await freePortBlock(1);
  const s = start(port, { STANDIN_WRITES_MS: '20' });
  await waitFor(() => acksOf(s.pid!).length >= 3, { timeoutMs: 15000, what: '3 acknowledged records' });
  s.kill('SIGKILL');
  await new Promise((r) => s.once('exit', r));
  const lines = writesText().trim().split('\n');
  fs.writeFileSync(path.join(home, WRITES_FILE), lines.slice(0, 1).join('\n') + '\n'); // lose all but the first
  const kinds = checkWrites(writesText(), readJournal(home)).problems.map((p) => p.kind);
  expect(kinds).toContain('lost');
});

test('writes are opt-in: without STANDIN_WRITES_MS no file and no acks', async () => {
  const port = await freePortBlock(1);
  const s = start(port, {});
  await waitFor(() => readJournal(home).some((e) => e.pid === s.pid && e.ev === 'ready'), { timeoutMs: 15000, what: 'ready' });
  // Three heartbeats after ready: a writer at the default period would have written by now.
  const ready = readJournal(home).find((e) => e.ev === 'ready')!.mono;
  await waitFor(() => readJournal(home).filter((e) => e.ev === 'hb' && e.mono > ready).length >= 3, { timeoutMs: 15000, what: 'heartbeats' });
  expect(fs.existsSync(path.join(home, WRITES_FILE))).toBe(false);
  expect(acksOf(s.pid!)).toEqual([]);
});

test("the chaos suite tells its own stand-in from another home's (pid reuse)", async () => {
  const port = await freePortBlock(1);
  const s = start(port, {});
  await waitFor(() => readJournal(home).some((e) => e.pid === s.pid && e.ev === 'ready'), { timeoutMs: 15000, what: 'ready' });
  expect(standinOfHome(home)(s.pid!)).toBe(true);
  expect(standinOfHome(`${home}-other`)(s.pid!)).toBe(false);
  expect(standinOfHome(home)(process.pid)).toBe(false);
  s.kill('SIGKILL');
  await new Promise((r) => s.once('exit', r));
  expect(standinOfHome(home)(s.pid!)).toBe(false);
});
