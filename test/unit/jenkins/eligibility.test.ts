/** Pure parts of the Jenkins awareness: the eligibility verdict, command parsing, war manifests, builds. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { parseComputers } from '../../../src/jenkins/client';
import { assess, commandParts, type EligibilityFacts } from '../../../src/jenkins/eligibility';
import { manifestVersion, warVersion } from '../../../src/jenkins/war-version';

const OK: EligibilityFacts = {
  home: { ok: true, writeMs: 3 },
  executable: { name: 'java', found: true },
  war: { file: '/usr/share/java/jenkins.war', found: true },
  freeMb: 5000,
  localVersion: '2.440.1',
  leaderVersion: '2.440.1',
  preflight: null,
};
const LIMITS = { maxWriteLatencyMs: 100, minFreeDiskMb: 1024 };

describe('assess', () => {
  it('is eligible when every check passes, and keeps the versions it saw', () => {
    expect(assess(OK, LIMITS, 't')).toEqual({ eligible: true, reasons: [], checkedAt: 't', versions: { local: '2.440.1', leader: '2.440.1' } });
  });

  it.each<[string, Partial<EligibilityFacts>, RegExp]>([
    ['home missing', { home: { ok: false, error: 'ENOENT (/var/lib/jenkins)' } }, /^JENKINS_HOME: ENOENT/],
    ['slow storage', { home: { ok: true, writeMs: 250.4 } }, /write\+fsync took 250 ms \(more than 100 ms\)/],
    ['no java', { executable: { name: 'java', found: false } }, /^command not found: java$/],
    ['no war', { war: { file: '/x.war', found: false } }, /^war file not found: \/x\.war$/],
    ['disk full', { freeMb: 12.7 }, /^free disk 12 MiB below 1024 MiB$/],
    ['other version', { localVersion: '2.426.3' }, /2\.426\.3 differs from the leader's 2\.440\.1/],
    ['preflight failed', { preflight: { ok: false, output: 'exit 2; nfs not mounted' } }, /^preflight command failed: exit 2; nfs not mounted$/],
    ['stray service', { strayService: true }, /service runs although/],
  ])('is not eligible when %s', (_what, f, reason) => {
    const r = assess({ ...OK, ...f }, LIMITS, 't');
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual([expect.stringMatching(reason)]);
  });

  it('does not hold an unknown version or unknown free space against a node', () => {
    expect(assess({ ...OK, localVersion: null, freeMb: null }, LIMITS, 't').eligible).toBe(true);
    expect(assess({ ...OK, leaderVersion: null }, LIMITS, 't').eligible).toBe(true);
    expect(assess({ ...OK, freeMb: 1 }, { ...LIMITS, minFreeDiskMb: 0 }, 't').eligible).toBe(true);
  });
});

describe('commandParts', () => {
  it.each<[string, { executable: string | null; war: string | null }]>([
    ['java -jar /usr/share/java/jenkins.war --httpPort=8080', { executable: 'java', war: '/usr/share/java/jenkins.war' }],
    ['exec env JAVA_OPTS=-Xmx2g /opt/java/bin/java -Xmx2g -jar jenkins.war', { executable: '/opt/java/bin/java', war: 'jenkins.war' }],
    ['exec node /x/jenkins-standin.js --httpPort=9', { executable: 'node', war: null }],
    ['systemctl start jenkins', { executable: 'systemctl', war: null }],
    ['"$JAVA" -jar "$WAR"', { executable: null, war: null }],
    // Issue 13 item 12: `env -u VAR CMD` was judged "command not found: -u".
    ['env -u JHA_API_TOKEN java -jar jenkins.war', { executable: 'java', war: 'jenkins.war' }],
    ['exec env -i -uX --unset=Y --chdir /srv -- A=1 PATH=/usr/bin java -jar j.war', { executable: 'java', war: 'j.war' }],
    ['env - HOME=/var/lib/jenkins java', { executable: 'java', war: null }],
    ['nice -n 5 ionice -c2 -n7 java -jar j.war', { executable: 'java', war: 'j.war' }],
    ['nice -10 nohup setsid -w java', { executable: 'java', war: null }],
    ['sudo -u jenkins -E JAVA_HOME=/opt/jdk /opt/jdk/bin/java -jar j.war', { executable: '/opt/jdk/bin/java', war: 'j.war' }],
    ['sudo --user=jenkins --preserve-env=PATH -- java', { executable: 'java', war: null }],
    ['setpriv --reuid=jenkins --regid jenkins --init-groups --no-new-privs java', { executable: 'java', war: null }],
    ['runuser -u jenkins -- java', { executable: 'java', war: null }],
    ['numactl --interleave=all -N 0 taskset -c 0-3 chrt -b 0 java', { executable: 'java', war: null }],
    ['timeout -k 5 1d stdbuf -oL prlimit --nofile=65536 java', { executable: 'java', war: null }],
    ['taskset 0x3 exec -a jenkins java', { executable: 'java', war: null }],
    // What cannot be read is not judged: a shell string, an unknown option, nothing after.
    ['env -S "java -jar j.war"', { executable: null, war: null }],
    ['sudo -s java', { executable: null, war: null }],
    ['nice --frobnicate java', { executable: null, war: null }],
    ['env -u', { executable: null, war: null }],
    ['FOO=1 nice', { executable: null, war: null }],
    // A command that happens to share a prototype name is a command, not a wrapper.
    ['constructor --x', { executable: 'constructor', war: null }],
  ])('%s', (cmd, expected) => {
    expect(commandParts(cmd)).toEqual(expected);
  });
});

/** A minimal zip with one entry (deflated), as a war's manifest is stored. */
function zipWith(name: string, content: string): Buffer {
  const data = deflateRawSync(Buffer.from(content));
  const nameBuf = Buffer.from(name);
  const loc = Buffer.alloc(30);
  loc.writeUInt32LE(0x04034b50, 0);
  loc.writeUInt16LE(8, 8);
  loc.writeUInt32LE(data.length, 18);
  loc.writeUInt32LE(content.length, 22);
  loc.writeUInt16LE(nameBuf.length, 26);
  const cen = Buffer.alloc(46);
  cen.writeUInt32LE(0x02014b50, 0);
  cen.writeUInt16LE(8, 10);
  cen.writeUInt32LE(data.length, 20);
  cen.writeUInt32LE(content.length, 24);
  cen.writeUInt16LE(nameBuf.length, 28);
  cen.writeUInt32LE(0, 42);
  const cenOffset = loc.length + nameBuf.length + data.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(cen.length + nameBuf.length, 12);
  eocd.writeUInt32LE(cenOffset, 16);
  return Buffer.concat([loc, nameBuf, data, cen, nameBuf, eocd]);
}

describe('warVersion', () => {
  it('reads Jenkins-Version from the manifest of a war', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-war-'));
    try {
      const war = path.join(dir, 'jenkins.war');
      fs.writeFileSync(war, zipWith('META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\r\nImplementation-Version: 9\r\nJenkins-Version: 2.440.1\r\n\r\n'));
      expect(await warVersion(war)).toBe('2.440.1');
      fs.writeFileSync(war, 'not a zip');
      expect(await warVersion(war)).toBeNull();
      expect(await warVersion(path.join(dir, 'missing.war'))).toBeNull();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('falls back to Implementation-Version and joins continuation lines', () => {
    expect(manifestVersion('Manifest-Version: 1.0\nImplementation-Version: 2.4\n 40.3\n')).toBe('2.440.3');
    expect(manifestVersion('Manifest-Version: 1.0\n')).toBeNull();
  });
});

describe('parseComputers', () => {
  it('counts builds on regular and one-off executors once each', () => {
    const r = parseComputers({
      busyExecutors: 1,
      computer: [
        {
          executors: [{ currentExecutable: { url: 'u/1/', fullDisplayName: 'a #1' } }, { currentExecutable: null }],
          oneOffExecutors: [{ currentExecutable: { url: 'u/2/', fullDisplayName: 'pipe #2' } }, { currentExecutable: { url: 'u/1/', fullDisplayName: 'a #1' } }],
        },
        { executors: [], oneOffExecutors: [] },
      ],
    });
    expect(r).toEqual({ running: 2, busyExecutors: 1, builds: [{ name: 'a #1', url: 'u/1/' }, { name: 'pipe #2', url: 'u/2/' }] });
    expect(parseComputers({})).toEqual({ running: 0, busyExecutors: null, builds: [] });
  });
});
