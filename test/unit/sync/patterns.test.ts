/** Include/exclude globs -> git pathspecs, and the plugin/mode manifests (pure parts). */
import { DEFAULT_INCLUDE, globProblem, pathspecs } from '../../../src/sync/patterns';
import { decodeModes, diffPlugins, encodeModes, manifestVersion } from '../../../src/sync/manifest';
import { redactRepo } from '../../../src/sync/git';

describe('pathspecs', () => {
  it('turns includes into glob pathspecs and always excludes our own files', () => {
    const p = pathspecs({ include: DEFAULT_INCLUDE, exclude: [], includeSecrets: false });
    expect(p).toEqual(expect.arrayContaining([':(glob)*.xml', ':(glob)jobs/**/config.xml', ':(glob)users/**', ':(glob)nodes/**']));
    expect(p).toEqual(expect.arrayContaining([':(glob,exclude).jenkins-ha.lock*', ':(glob,exclude).jenkins-ha/**']));
  });

  it('excludes secrets unless includeSecrets, even when an include would match them', () => {
    const off = pathspecs({ include: ['**'], exclude: [], includeSecrets: false });
    expect(off).toContain(':(glob,exclude)secrets/**');
    expect(off).toContain(':(glob,exclude)secret.key');
    expect(off).not.toContain(':(glob)secrets/**');
    const on = pathspecs({ include: ['*.xml'], exclude: [], includeSecrets: true });
    expect(on).toContain(':(glob)secrets/**');
    expect(on).not.toContain(':(glob,exclude)secrets/**');
  });

  it('keeps the operator excludes after the includes, without duplicates', () => {
    const p = pathspecs({ include: ['*.xml', '*.xml'], exclude: ['users/admin/**'], includeSecrets: false });
    expect(p.filter((x) => x === ':(glob)*.xml')).toHaveLength(1);
    expect(p[p.length - 1]).toBe(':(glob,exclude)users/admin/**');
    expect(p.indexOf(':(glob)*.xml')).toBeLessThan(p.indexOf(':(glob,exclude)users/admin/**'));
  });
});

describe('globProblem', () => {
  it('accepts relative globs', () => {
    for (const g of DEFAULT_INCLUDE) expect(globProblem(g)).toBeNull();
    expect(globProblem('jobs/*/nextBuildNumber')).toBeNull();
  });
  it.each([['/abs'], ['a/../b'], ['./x'], [':(top)x'], [' x'], ['a\nb'], ['']])('rejects %j', (g) => {
    expect(globProblem(g)).not.toBeNull();
  });
});

describe('manifests', () => {
  it('reads the plugin version from a MANIFEST.MF, with folded lines', () => {
    expect(manifestVersion('Manifest-Version: 1.0\r\nPlugin-Version: 1.2\r\n .3\r\nShort-Name: git\r\n')).toBe('1.2.3');
    expect(manifestVersion('Implementation-Version: 4.5\n')).toBe('4.5');
    expect(manifestVersion('Short-Name: x\n')).toBeNull();
  });

  it('lists plugin differences both ways', () => {
    expect(diffPlugins('git:5.0\nmatrix:1.1\n', 'git:5.1\nldap:2.0\n')).toEqual(['git: 5.0 -> 5.1', 'ldap: - -> 2.0', 'matrix: 1.1 -> -']);
    expect(diffPlugins('git:5.0\n', 'git:5.0\n')).toEqual([]);
  });

  it('round-trips modes and ignores malformed entries', () => {
    expect(decodeModes(encodeModes({ 'secrets/master.key': '0600', 'config.xml': '0644' }))).toEqual({ 'secrets/master.key': '0600', 'config.xml': '0644' });
    expect(decodeModes('{"a":"0999","b":7,"c":"0750"}')).toEqual({ c: '0750' });
    expect(decodeModes('not json')).toEqual({});
    expect(decodeModes(null)).toEqual({});
  });
});

describe('redactRepo', () => {
  it('hides credentials in a repository URL and leaves other forms alone', () => {
    expect(redactRepo('https://ci:s3cret@git.example.com/ci/config.git')).toBe('https://***@git.example.com/ci/config.git');
    expect(redactRepo('ssh://git@git.example.com/ci/config.git')).toBe('ssh://***@git.example.com/ci/config.git');
    expect(redactRepo('git@git.example.com:ci/config.git')).toBe('git@git.example.com:ci/config.git');
    expect(redactRepo('/srv/git/config.git')).toBe('/srv/git/config.git');
  });
});
