/**
 * Start-up checks of JENKINS_HOME: the controller refuses (ConfigError on jenkins.home, exit 2) a
 * home that is missing, not a directory, not writable by it (a real write, not access(2): root
 * and NFS make access() lie), or world-writable (anyone on the host could plant or remove the
 * lock files and defeat the fencing). Its own files there, the lock (.jenkins-ha.lock) and the
 * flock file (.jenkins-ha.flock), are 0600: created so, and tightened when found looser.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, errorMessage } from '../errors';
import { LOCK_FILE } from './home-lock';

/** The file the shim flocks (never replaced, unlike the lock file, which is renamed over). */
export const FLOCK_FILE = '.jenkins-ha.flock';

export function flockPath(home: string): string {
  return path.join(home, FLOCK_FILE);
}

const KEY = 'jenkins.home';
const octal = (mode: number): string => `0${(mode & 0o777).toString(8)}`;

/** Returns what it fixed (files whose mode was tightened to 0600), for the log. */
export async function checkJenkinsHome(home: string): Promise<string[]> {
  let st;
  try {
    st = await fs.stat(home);
  } catch (err) {
    throw new ConfigError(`jenkins.home ${JSON.stringify(home)} cannot be used: ${errorMessage(err)}`, KEY);
  }
  if (!st.isDirectory()) throw new ConfigError(`jenkins.home ${JSON.stringify(home)} is not a directory`, KEY);
  if (st.mode & 0o002) {
    throw new ConfigError(
      `jenkins.home ${JSON.stringify(home)} is world-writable (mode ${octal(st.mode)}): any user of this host could remove or forge ` +
        `the jenkins-ha lock files and defeat the fencing; remove the write bit for others (chmod o-w)`,
      KEY,
    );
  }
  const probe = path.join(home, `.jenkins-ha.probe.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    const fh = await fs.open(probe, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
    try {
      await fh.writeFile('probe\n');
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new ConfigError(`jenkins.home ${JSON.stringify(home)} is not writable by this controller: ${errorMessage(err)}`, KEY);
  } finally {
    await fs.rm(probe, { force: true }).catch(() => undefined);
  }

  const fixed: string[] = [];
  // The flock file must exist for the shim (it never creates it with a loose mode either).
  const flock = flockPath(home);
  try {
    await (await fs.open(flock, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND, 0o600)).close();
  } catch (err) {
    throw new ConfigError(`jenkins.home: cannot create ${flock}: ${errorMessage(err)}`, KEY);
  }
  for (const file of [path.join(home, LOCK_FILE), flock]) {
    let mode: number;
    try {
      mode = (await fs.lstat(file)).mode;
    } catch {
      continue; // no lock file yet
    }
    if ((mode & 0o777) === 0o600) continue;
    try {
      await fs.chmod(file, 0o600);
    } catch (err) {
      throw new ConfigError(`jenkins.home: ${file} has mode ${octal(mode)} and cannot be made 0600: ${errorMessage(err)}`, KEY);
    }
    fixed.push(`${file} (was ${octal(mode)})`);
  }
  return fixed;
}
