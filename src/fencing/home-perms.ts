/**
 * Start-up checks of JENKINS_HOME: the controller refuses (ConfigError on jenkins.home, exit 2) a
 * home that is missing, not a directory, not writable by it (a real write, not access(2): root
 * and NFS make access() lie), or world-writable (anyone on the host could plant or remove the
 * lock files and defeat the fencing). Its own files there, the lock (.jenkins-ha.lock) and the
 * flock file (.jenkins-ha.flock), are 0600: created so, and tightened when found looser.
 * Every call runs through HomeIo (bounded, off the event loop, never opens a non-regular file).
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { sharedHomeIo, type HomeIo } from './home-io';
import type { HomeIoResult } from './home-io-types';

/**
 * The lock file's name (home-lock.ts writes and reads it). Here, beside the flock file's, because the
 * start-up check needs both names before the join and home-lock.ts is not needed until after it.
 */
export const LOCK_FILE = '.jenkins-ha.lock';

/** The file the shim flocks (never replaced, unlike the lock file, which is renamed over). */
export const FLOCK_FILE = '.jenkins-ha.flock';

export function flockPath(home: string): string {
  return path.join(home, FLOCK_FILE);
}

const KEY = 'jenkins.home';
const octal = (mode: number): string => `0${(mode & 0o777).toString(8)}`;

/** A HomeIo answer that is not ok, as the ConfigError of a start-up check. */
function failed(what: string, r: Exclude<HomeIoResult<unknown>, { kind: 'ok' }>): ConfigError {
  const why =
    r.kind === 'timeout'
      ? `${r.message} (is the mount hung? every call on JENKINS_HOME must answer within lock.ioTimeoutMs)`
      : r.kind === 'refused'
        ? `${r.message}; remove it`
        : `${r.code}: ${r.message}`;
  return new ConfigError(`jenkins.home: ${what}: ${why}`, KEY);
}

/**
 * Returns what it fixed (files whose mode was tightened to 0600), for the log. Every call goes
 * through HomeIo: a hung home fails the check within lock.ioTimeoutMs per call.
 */
export async function checkJenkinsHome(home: string, io: HomeIo = sharedHomeIo()): Promise<string[]> {
  const st = await io.stat(home);
  if (st.kind === 'timeout' || st.kind === 'refused') throw failed(`cannot stat ${JSON.stringify(home)}`, st);
  if (st.kind === 'io-error') throw new ConfigError(`jenkins.home ${JSON.stringify(home)} cannot be used: ${st.code}: ${st.message}`, KEY);
  if (st.value.type !== 'a directory') throw new ConfigError(`jenkins.home ${JSON.stringify(home)} is not a directory`, KEY);
  if (st.value.mode & 0o002) {
    throw new ConfigError(
      `jenkins.home ${JSON.stringify(home)} is world-writable (mode ${octal(st.value.mode)}): any user of this host could remove or forge ` +
        `the jenkins-ha lock files and defeat the fencing; remove the write bit for others (chmod o-w)`,
      KEY,
    );
  }
  const probe = path.join(home, `.jenkins-ha.probe.${process.pid}.${randomBytes(4).toString('hex')}`);
  const wrote = await io.probeWrite(probe);
  if (wrote.kind === 'timeout') throw failed(`cannot write ${probe}`, wrote);
  if (wrote.kind !== 'ok') {
    const why = `${wrote.kind === 'io-error' ? `${wrote.code}: ` : ''}${wrote.message}`;
    throw new ConfigError(`jenkins.home ${JSON.stringify(home)} is not writable by this controller: ${why}`, KEY);
  }

  const fixed: string[] = [];
  // The flock file must exist for the shim (it never creates it with a loose mode either).
  const flock = flockPath(home);
  const made = await io.ensureFile(flock, 0o600);
  if (made.kind !== 'ok') throw failed(`cannot create ${flock}`, made);
  for (const file of [path.join(home, LOCK_FILE), flock]) {
    const ls = await io.lstat(file);
    if (ls.kind !== 'ok') throw failed(`cannot lstat ${file}`, ls);
    if (ls.value === null) continue; // no lock file yet
    // A FIFO or symlink at the lock path is left alone here: the first lock write renames a
    // regular file over it. chmod would follow a symlink, so only regular files are tightened.
    if (ls.value.type !== 'file' || (ls.value.mode & 0o777) === 0o600) continue;
    const ch = await io.chmod(file, 0o600);
    if (ch.kind !== 'ok') throw failed(`${file} has mode ${octal(ls.value.mode)} and cannot be made 0600`, ch);
    fixed.push(`${file} (was ${octal(ls.value.mode)})`);
  }
  return fixed;
}
