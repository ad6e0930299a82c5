import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  JournalEntry,
  MalformedLine,
  assertNeverTwoAlive,
  checkNeverTwoAlive,
  isStandinAlive,
  lives,
  parseJournal,
  readJournal,
  startsAfter,
} from '../helpers/journal';
import { waitFor } from '../helpers/wait';
import { freePortBlock } from '../helpers/zk';

const notAlive = { isAlive: (): boolean => false };

function e(ev: string, pid: number, mono: number, extra: Partial<JournalEntry> = {}): JournalEntry {
  return { ev, pid, port: 8080, t: 1_700_000_000_000 + mono, mono, ...extra };
}

/** A stand-in's lines: start, ready, heartbeats every 100 ms, then the given end line (if any). */
function life(pid: number, start: number, lastHb: number, end?: 'stop' | 'exit', endAt?: number): JournalEntry[] {
  const out = [e('start', pid, start), e('ready', pid, start + 5)];
  for (let t = start + 100; t <= lastHb; t += 100) out.push(e('hb', pid, t));
  if (end) out.push(e(end, pid, endAt ?? lastHb + 1, { code: end === 'stop' ? 143 : 3 }));
  return out;
}

describe('lives()', () => {
  it('builds one life per pid, sorted by start, with the right end', () => {
    const entries = [
      ...life(300, 2000, 2500), // killed: ends at its last heartbeat
      ...life(100, 0, 400, 'stop', 420),
      ...life(200, 1000, 1300, 'exit', 1350),
    ];
    const ls = lives(entries, notAlive);
    expect(ls.map((l) => l.pid)).toEqual([100, 200, 300]);
    expect(ls[0]).toEqual({ pid: 100, start: 0, ready: 5, end: 420, endedBy: 'stop', port: 8080, code: 143 });
    expect(ls[1]).toMatchObject({ pid: 200, start: 1000, end: 1350, endedBy: 'exit', code: 3 });
    expect(ls[2]).toMatchObject({ pid: 300, start: 2000, end: 2500, endedBy: 'last-heartbeat' });
    expect(ls[2]?.code).toBeUndefined();
  });

  it('orders by mono, not by file order, and keeps the epoch', () => {
    const entries = [e('hb', 7, 300), e('start', 7, 100, { epoch: '12' }), e('hb', 7, 200)];
    expect(lives(entries, notAlive)).toEqual([
      { pid: 7, epoch: '12', start: 100, end: 300, endedBy: 'last-heartbeat', port: 8080 },
    ]);
  });

  it('marks a pid without an end line that is still alive as running, ending now', () => {
    const entries = life(55, 0, 300);
    const ls = lives(entries, { isAlive: (pid) => pid === 55, now: 10_000 });
    expect(ls[0]).toMatchObject({ pid: 55, endedBy: 'running', end: 10_000 });
  });

  it('splits a reused pid into two lives at its second start line', () => {
    const entries = [...life(9, 0, 200, 'stop', 210), ...life(9, 5000, 5200)];
    const ls = lives(entries, notAlive);
    expect(ls).toHaveLength(2);
    expect(ls[0]).toMatchObject({ start: 0, end: 210, endedBy: 'stop' });
    expect(ls[1]).toMatchObject({ start: 5000, end: 5200, endedBy: 'last-heartbeat' });
  });

  it('gives [] for no entries', () => {
    expect(lives([], notAlive)).toEqual([]);
  });
});

describe('checkNeverTwoAlive()', () => {
  it('accepts strictly sequential lives (stop, exit, and SIGKILL ends)', () => {
    const entries = [...life(1, 0, 400, 'stop', 410), ...life(2, 500, 900), ...life(3, 1000, 1400, 'exit', 1450)];
    expect(checkNeverTwoAlive(entries, notAlive).map((l) => l.pid)).toEqual([1, 2, 3]);
  });

  it('detects overlapping intervals without any overlap entry', () => {
    // pid 2 starts at 300 while pid 1 heartbeats until 400 and stops at 450
    const entries = [...life(1, 0, 400, 'stop', 450), ...life(2, 300, 700)];
    expect(() => checkNeverTwoAlive(entries, notAlive)).toThrow(/two Jenkins alive at once/);
    expect(() => checkNeverTwoAlive(entries, notAlive)).toThrow(/pid 2 started 150\.000 ms before pid 1 ended/);
  });

  it('detects an overlap with a life that ended only by its last heartbeat', () => {
    const entries = [...life(1, 0, 400), ...life(2, 350, 700, 'stop', 710)];
    expect(() => checkNeverTwoAlive(entries, notAlive)).toThrow(/pid 2 started 50\.000 ms before pid 1 ended/);
  });

  it('detects a later start while an earlier life is still running', () => {
    const entries = [...life(1, 0, 400), ...life(2, 900, 1000)];
    expect(() => checkNeverTwoAlive(entries, notAlive)).not.toThrow();
    expect(() => checkNeverTwoAlive(entries, { isAlive: (pid) => pid === 1, now: 2000 })).toThrow(
      /pid 2 started .* before pid 1 ended/,
    );
  });

  it('detects an overlap entry even when the intervals look disjoint', () => {
    const entries = [
      ...life(1, 0, 400, 'stop', 410),
      ...life(2, 500, 900),
      e('overlap', 2, 501, { otherPid: 1, via: 'socket' }),
    ];
    expect(() => checkNeverTwoAlive(entries, notAlive)).toThrow(
      /pid 2 started at mono 501\.000 while pid 1 was alive \(presence socket answered via socket\)/,
    );
  });

  it('detects an overlap entry whose peer pid is unknown', () => {
    const entries = [...life(1, 0, 100, 'stop', 110), e('overlap', 1, 50)];
    expect(() => checkNeverTwoAlive(entries, notAlive)).toThrow(/while pid \? was alive/);
  });

  it('counts touching intervals as overlapping', () => {
    const entries = [...life(1, 0, 100, 'stop', 150), ...life(2, 150, 300)];
    expect(() => checkNeverTwoAlive(entries, notAlive)).toThrow(/two Jenkins alive/);
  });

  it('lists every life in the message', () => {
    const entries = [...life(1, 0, 400, 'stop', 450), ...life(2, 300, 700)];
    let msg = '';
    try {
      checkNeverTwoAlive(entries, notAlive, '/some/home');
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toContain('/some/home');
    expect(msg).toMatch(/pid 1, no epoch, port 8080, start 0\.000, ready 5\.000, end 450\.000 \(stop code 143\)/);
    expect(msg).toMatch(/pid 2, .*end 700\.000 \(last-heartbeat\)/);
  });
});

describe('journal files', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-journal-'));
  });
  afterEach(() => {
    fs.rmSync(home, { recursive: true, force: true });
  });

  const write = (lines: string[]): void =>
    fs.writeFileSync(path.join(home, 'standin-journal.jsonl'), lines.map((l) => l + '\n').join(''));

  it('reads a missing journal as []', () => {
    expect(readJournal(home)).toEqual([]);
    expect(assertNeverTwoAlive(home, notAlive)).toEqual([]);
  });

  it('skips and reports malformed lines', () => {
    const good = life(4, 0, 200, 'stop', 210).map((x) => JSON.stringify(x));
    write([good[0] ?? '', '{"ev":"hb","pid":4,', '[1,2]', '{"ev":"hb","pid":"4","t":1,"mono":2}', ...good.slice(1)]);
    const bad: MalformedLine[] = [];
    const entries = readJournal(home, { onMalformed: (m) => bad.push(m) });
    expect(entries).toHaveLength(good.length);
    expect(bad.map((b) => b.lineNo)).toEqual([2, 3, 4]);
    expect(bad[0]?.reason).toMatch(/bad JSON/);
    expect(bad[1]?.reason).toBe('not a JSON object');
    expect(bad[2]?.reason).toBe('pid is not an integer');
  });

  it('reports through console.warn by default', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(parseJournal('garbage\n')).toEqual([]);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/journal line 1 skipped/));
    } finally {
      warn.mockRestore();
    }
  });

  it('drops a null otherPid and keeps extra fields', () => {
    const [entry] = parseJournal('{"ev":"overlap","pid":3,"t":1,"mono":2,"otherPid":null,"via":"abstract"}');
    expect(entry).toEqual({ ev: 'overlap', pid: 3, t: 1, mono: 2, via: 'abstract' });
  });

  it('assertNeverTwoAlive and startsAfter read the file', () => {
    write([...life(1, 0, 400, 'stop', 450), ...life(2, 500, 700, 'exit', 720)].map((x) => JSON.stringify(x)));
    expect(assertNeverTwoAlive(home, notAlive).map((l) => l.pid)).toEqual([1, 2]);
    expect(startsAfter(home, 0, notAlive).map((l) => l.pid)).toEqual([2]);
    expect(startsAfter(home, -1, notAlive).map((l) => l.pid)).toEqual([1, 2]);
    expect(startsAfter(home, 500, notAlive)).toEqual([]);
    fs.appendFileSync(path.join(home, 'standin-journal.jsonl'), JSON.stringify(e('overlap', 2, 501, { otherPid: 1 })) + '\n');
    expect(() => assertNeverTwoAlive(home, notAlive)).toThrow(/while pid 1 was alive/);
  });
});

describe('isStandinAlive()', () => {
  test("a live stand-in is alive; a thread id of it is not (a dead stand-in's pid, reused as a thread of the next one)", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-journal-alive-'));
    const port = await freePortBlock(1);
    const standin = path.resolve(__dirname, '../fixtures/jenkins-standin.js');
    const child = spawn(process.execPath, [standin, `--httpPort=${port}`], { env: { PATH: process.env.PATH ?? '', JENKINS_HOME: home }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const pid = child.pid as number;
      await waitFor(() => readJournal(home).some((x) => x.ev === 'ready' && x.pid === pid), { timeoutMs: 20000, what: 'the stand-in ready' });
      const tids = fs.readdirSync(`/proc/${pid}/task`).map(Number).filter((t) => t !== pid);
      expect(tids.length).toBeGreaterThan(0);
      expect(isStandinAlive(pid)).toBe(true);
      for (const tid of tids) expect(isStandinAlive(tid)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await exited;
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
