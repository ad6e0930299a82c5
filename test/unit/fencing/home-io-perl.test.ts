/**
 * The perl helper (home-io-perl.ts) against the node helper (home-io-helper.ts): the same script
 * of calls on two identical trees gives the same answers, field for field (kind, value, code,
 * refusal text, the syscall and path of an error), through the real HomeIo. Also: perl is the
 * default helper on this host, it runs with an empty environment and costs a fraction of a node.
 * Deadlines and the hung mount are home-io.test.ts and test/integration/home-io.test.ts, which run
 * the default (perl) helper.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HomeIo } from '../../../src/fencing/home-io';
import { HELPER_SOURCE } from '../../../src/fencing/home-io-helper';
import { PERL, perlHelperCommand } from '../../../src/fencing/home-io-perl';
import type { HomeIoResult } from '../../../src/fencing/home-io-types';
import { waitFor } from '../../helpers/wait';

const NODE_HELPER = [process.execPath, '-e', HELPER_SOURCE];
const ios: HomeIo[] = [];
let root: string;

function make(command?: readonly string[]): HomeIo {
  const io = new HomeIo({ timeoutMs: 10_000, ...(command ? { command } : {}) });
  ios.push(io);
  return io;
}

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(tmpdir(), 'jenkins-ha-home-io-perl-'));
});

afterEach(async () => {
  for (const io of ios.splice(0)) io.close();
  await fs.rm(root, { recursive: true, force: true });
});

/** Text with every kind of character JSON.stringify escapes or passes raw, a lone surrogate and an astral one. */
const ODD = `a"b\\c/d\u0000\u0001\u001f\b\f\n\r\t é ü € \u2028 \ud83d\ude00 \ud800 x \udc00 end`;
/** Bytes that are not UTF-8 (a lone continuation byte, a truncated sequence) among control characters. */
const RAW = Buffer.from([0x61, 0xff, 0xc3, 0x00, 0x1f, 0x22, 0x5c, 0x0a, 0xe2, 0x82, 0x41, 0xf0, 0x9f, 0x98]);

async function tree(d: string): Promise<void> {
  await fs.mkdir(d);
  await fs.mkdir(path.join(d, 'dir'));
  await fs.writeFile(path.join(d, 'dir', 'x'), 'x');
  await fs.writeFile(path.join(d, 'plain'), 'plain');
  await fs.writeFile(path.join(d, 'raw'), RAW);
  await fs.writeFile(path.join(d, 'big'), Buffer.alloc((1 << 20) + 10, 0x41));
  await fs.symlink(path.join(d, 'plain'), path.join(d, 'link'));
  await fs.symlink(path.join(d, 'nowhere'), path.join(d, 'dangling'));
  execFileSync('mkfifo', [path.join(d, 'fifo')]);
}

/** The same calls, in order, against the tree at d; each answer with d replaced by <D> and what differs by nature (inode, ms, exact free bytes) reduced. */
async function script(io: HomeIo, d: string): Promise<unknown[]> {
  const p = (f: string): string => path.join(d, f);
  const many = 'line\n'.repeat(40_000); // 40 000 escapes in one request
  const calls: Array<() => Promise<HomeIoResult<unknown>>> = [
    () => io.read(p('missing')),
    () => io.read(p('plain')),
    () => io.read(p('raw')),
    () => io.read(p('big')),
    () => io.read(p('dir')),
    () => io.read(p('fifo')),
    () => io.read(p('link')),
    () => io.read(p('plain/x')),
    () => io.writeAtomic(p('odd'), p('odd.tmp'), ODD, { mode: 0o640, durable: true }),
    () => io.read(p('odd')),
    () => io.writeAtomic(p('ünï €'), p('ünï €.tmp'), 'é', { mode: 0o600, durable: false }),
    () => io.read(p('ünï €')),
    () => io.writeAtomic(p('many'), p('many.tmp'), many, { mode: 0o600, durable: false }),
    () => io.lstat(p('many')),
    () => io.writeAtomic(p('dir'), p('dir.tmp'), 'x', { mode: 0o600, durable: true }),
    () => io.writeAtomic(p('g'), p('fifo'), 'x', { mode: 0o600, durable: false }),
    () => io.writeAtomic(p('g'), p('dangling'), 'x', { mode: 0o600, durable: false }),
    () => io.writeAtomic(p('nodir/g'), p('nodir/g.tmp'), 'x', { mode: 0o600, durable: false }),
    () => io.lstat(p('odd')),
    () => io.lstat(p('missing')),
    () => io.lstat(p('link')),
    () => io.lstat(p('fifo')),
    () => io.stat(p('link')),
    () => io.stat(d),
    () => io.stat(p('missing')),
    () => io.stat(p('dangling')),
    () => io.ensureFile(p('e'), 0o600),
    () => io.ensureFile(p('e'), 0o644),
    () => io.lstat(p('e')),
    () => io.ensureFile(p('dir'), 0o600),
    () => io.ensureFile(p('fifo'), 0o600),
    () => io.ensureFile(p('link'), 0o600),
    () => io.ensureFile(p('dangling'), 0o600),
    () => io.ensureFile(p('nodir/e'), 0o600),
    () => io.probeWrite(p('.probe'), undefined, true),
    () => io.probeWrite(p('.probe2')),
    () => io.probeWrite(p('fifo')),
    () => io.probeWrite(p('nodir/.probe')),
    () => io.statfs(d),
    () => io.statfs(p('missing')),
    () => io.chmod(p('odd'), 0o604),
    () => io.lstat(p('odd')),
    () => io.chmod(p('fifo'), 0o600),
    () => io.chmod(p('link'), 0o600),
    () => io.chmod(p('missing'), 0o600),
    () => io.unlink(p('odd')),
    () => io.unlink(p('odd')),
    () => io.unlink(p('dir')),
    () => io.unlink(p('plain/x')),
  ];
  const out: unknown[] = [];
  for (const call of calls) {
    const r = JSON.parse(JSON.stringify(await call()).split(JSON.stringify(d).slice(1, -1)).join('<D>')) as Record<string, unknown>;
    delete r.ms;
    const v = r.value as Record<string, unknown> | null | undefined;
    if (v && typeof v === 'object') {
      if ('ino' in v) v.ino = typeof v.ino === 'number' && v.ino > 0;
      if ('mtimeMs' in v) v.mtimeMs = typeof v.mtimeMs === 'number' && Math.abs(Date.now() - v.mtimeMs) < 60_000;
      if ('freeBytes' in v) v.freeBytes = typeof v.freeBytes === 'number' && v.freeBytes > 0;
    }
    // The error's text is the C library's (perl) or libuv's (node); its code, syscall and path must agree.
    if (typeof r.message === 'string' && r.kind === 'io-error') r.message = r.message.replace(/^(E[A-Z0-9]+): [^,]*, /, '$1: <text>, ');
    out.push(r);
  }
  out.push((await fs.readdir(d)).sort());
  return out;
}

test('this host runs the perl helper by default: /usr/bin/perl, an empty environment, a fraction of a node', async () => {
  expect(perlHelperCommand()?.[0]).toBe(PERL);
  const io = make();
  io.warm();
  const pid = await waitFor(() => io.pids().ready && io.pids().helper, { timeoutMs: 10_000, what: 'the helper to start' });
  expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]).toBe(PERL);
  expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).toBe('');
  expect(await io.read(path.join(root, 'nothing'))).toMatchObject({ kind: 'ok', value: null });
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  // An idle node helper is about 40 MiB; this one about 4.
  expect(rssKb).toBeGreaterThan(0);
  expect(rssKb).toBeLessThan(12 * 1024);
});

test('perl and node helpers answer the same script of calls with the same answers', async () => {
  const perl = perlHelperCommand();
  expect(perl).not.toBeNull();
  const a = path.join(root, 'a');
  const b = path.join(root, 'b');
  await tree(a);
  await tree(b);
  const byPerl = await script(make(perl ?? undefined), a);
  const byNode = await script(make(NODE_HELPER), b);
  for (let i = 0; i < byNode.length; i++) expect({ i, answer: byPerl[i] }).toEqual({ i, answer: byNode[i] });
  // Spot checks that the script exercised what it is meant to (not two identical failures).
  expect(byPerl[1]).toEqual({ kind: 'ok', value: 'plain' });
  expect(byPerl[2]).toEqual({ kind: 'ok', value: RAW.toString('utf8') });
  expect((byPerl[3] as { value: string }).value).toHaveLength(1 << 20);
  expect(byPerl[5]).toMatchObject({ kind: 'refused', code: 'HOME_NOT_REGULAR', message: '<D>/fifo is a FIFO, not a regular file' });
  expect(byPerl[9]).toEqual({ kind: 'ok', value: Buffer.from(ODD, 'utf8').toString('utf8') });
  expect(byPerl[11]).toEqual({ kind: 'ok', value: 'é' });
  expect(byPerl[13]).toMatchObject({ kind: 'ok', value: { type: 'file', size: 200_000 } });
  expect(byPerl[14]).toMatchObject({ kind: 'io-error', code: 'EISDIR', message: "EISDIR: <text>, rename '<D>/dir.tmp' -> '<D>/dir'" });
  expect(byPerl[15]).toMatchObject({ kind: 'io-error', code: 'EEXIST' });
  expect(byPerl[18]).toMatchObject({ kind: 'ok', value: { type: 'file', mode: 0o640 } });
  expect(byPerl[38]).toEqual({ kind: 'ok', value: { freeBytes: true } });
  expect(byPerl[byPerl.length - 1]).toEqual(['big', 'dangling', 'dir', 'e', 'fifo', 'link', 'many', 'plain', 'raw', 'ünï €']);
});

test('statfs: the free bytes node itself sees', async () => {
  const io = make(perlHelperCommand() ?? undefined);
  const r = await io.statfs(root);
  const s = statfsSync(root);
  expect(r.kind).toBe('ok');
  const free = r.kind === 'ok' ? r.value.freeBytes : 0;
  // Other processes write to this file system meanwhile: equal within 256 MiB.
  expect(Math.abs(free - s.bavail * s.bsize)).toBeLessThan(256 * 1024 * 1024);
  expect(free).toBeGreaterThan(0);
});

test.each([
  ['perl', (): readonly string[] => perlHelperCommand() ?? []],
  ['node', (): readonly string[] => NODE_HELPER],
])('%s helper: opens with O_NONBLOCK | O_NOFOLLOW, fsyncs exactly the durable writes (strace)', async (_name, command) => {
  const trace = path.join(root, 'trace');
  const d = path.join(root, 'd');
  await fs.mkdir(d);
  const io = make(['/usr/bin/strace', '-f', '-qq', '-e', 'trace=openat,fsync', '-o', trace, ...command()]);
  const tracees = (): number[] => [...new Set(readFileSync(trace, 'utf8').split('\n').map((l) => Number(l.split(' ')[0])).filter((n) => n > 0))];
  try {
    expect(await io.writeAtomic(path.join(d, 'a'), path.join(d, 'a.tmp'), 'a', { mode: 0o600, durable: true })).toMatchObject({ kind: 'ok' });
    expect(await io.writeAtomic(path.join(d, 'b'), path.join(d, 'b.tmp'), 'b', { mode: 0o600, durable: false })).toMatchObject({ kind: 'ok' });
    expect(await io.probeWrite(path.join(d, '.probe'), undefined, true)).toMatchObject({ kind: 'ok' });
    expect(await io.probeWrite(path.join(d, '.probe2'), undefined, false)).toMatchObject({ kind: 'ok' });
    expect(await io.read(path.join(d, 'a'))).toMatchObject({ kind: 'ok', value: 'a' });
    expect(await io.ensureFile(path.join(d, 'e'), 0o600)).toMatchObject({ kind: 'ok' });
    // fd -> the file of the home it was opened on; what was fsynced; with which flags.
    const fds = new Map<string, string>();
    const synced: string[] = [];
    const flags = new Map<string, string>();
    for (const line of readFileSync(trace, 'utf8').split('\n')) {
      const open = /openat\(AT_FDCWD, "([^"]+)", ([A-Z_|]+).*\) = (\d+)$/.exec(line);
      if (open && open[1]?.startsWith(d)) {
        fds.set(open[3] as string, path.basename(open[1]));
        flags.set(path.basename(open[1]), open[2] as string);
      }
      const sync = /fsync\((\d+)\)\s+= 0$/.exec(line);
      const f = sync ? fds.get(sync[1] as string) : undefined;
      if (f) synced.push(f);
    }
    expect(synced).toEqual(['a.tmp', '.probe']);
    expect([...flags.keys()].sort()).toEqual(['.probe', '.probe2', 'a', 'a.tmp', 'b.tmp', 'e']);
    for (const [f, fl] of flags) {
      expect({ f, nonblock: fl.includes('O_NONBLOCK'), nofollow: fl.includes('O_NOFOLLOW') }).toEqual({ f, nonblock: true, nofollow: true });
    }
  } finally {
    io.close();
    // SIGKILL of strace detaches its tracee, which would wait on its stdin: end it too.
    for (const pid of tracees()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
});
