/**
 * Start-up checks of JENKINS_HOME against real directories: refuse what is missing, not a
 * directory, world-writable or not writable (ConfigError on jenkins.home, exit 2); create the
 * flock file 0600 and tighten lock files found looser. (The not-writable case for an unprivileged
 * controller is also run as `nobody` in test/integration/fencing-home.test.ts.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../src/errors';
import { LOCK_FILE } from '../../../src/fencing/home-lock';
import { FLOCK_FILE, checkJenkinsHome } from '../../../src/fencing/home-perms';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-perms-'));
});
afterEach(() => {
  fs.chmodSync(home, 0o700);
  fs.rmSync(home, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const mode = (f: string): number => fs.statSync(f).mode & 0o777;

test('accepts a private home, creates the flock file 0600 and leaves no probe file behind', async () => {
  expect(await checkJenkinsHome(home)).toEqual([]);
  expect(fs.readdirSync(home)).toEqual([FLOCK_FILE]);
  expect(mode(path.join(home, FLOCK_FILE))).toBe(0o600);
});

test.each([0o777, 0o1777, 0o757])('refuses a world-writable home (mode %o), naming jenkins.home', async (m) => {
  fs.chmodSync(home, m);
  const err = await refusal(checkJenkinsHome(home));
  expect(err.key).toBe('jenkins.home');
  expect(err.message).toContain('world-writable');
  expect(err.message).toContain(`0${(m & 0o777).toString(8)}`);
  expect(fs.readdirSync(home)).toEqual([]);
});

test('accepts a group-writable home (a shared jenkins group is common)', async () => {
  fs.chmodSync(home, 0o770);
  await expect(checkJenkinsHome(home)).resolves.toEqual([]);
});

test('refuses a home that does not exist, or is a file', async () => {
  expect((await refusal(checkJenkinsHome(path.join(home, 'missing')))).message).toContain('ENOENT');
  const file = path.join(home, 'file');
  fs.writeFileSync(file, '');
  expect((await refusal(checkJenkinsHome(file))).message).toContain('not a directory');
});

test('refuses a home it cannot write, with a real write (root ignores modes, so /sys here)', async () => {
  const err = await refusal(checkJenkinsHome('/sys'));
  expect(err.key).toBe('jenkins.home');
  expect(err.message).toContain('not writable');
});

test('tightens a lock file and a flock file found with a looser mode to 0600, and says so', async () => {
  fs.writeFileSync(path.join(home, LOCK_FILE), '{}', { mode: 0o644 });
  fs.chmodSync(path.join(home, LOCK_FILE), 0o644);
  fs.writeFileSync(path.join(home, FLOCK_FILE), '', { mode: 0o666 });
  fs.chmodSync(path.join(home, FLOCK_FILE), 0o666);
  const fixed = await checkJenkinsHome(home);
  expect(fixed).toHaveLength(2);
  expect(fixed[0]).toContain('(was 0644)');
  expect(fixed[1]).toContain('(was 0666)');
  expect(mode(path.join(home, LOCK_FILE))).toBe(0o600);
  expect(mode(path.join(home, FLOCK_FILE))).toBe(0o600);
});
