/**
 * The sync.* keys: lists and booleans from every layer, and the rules `run` applies in git mode
 * (a repository is required; the git directory stays out of JENKINS_HOME).
 */
import { loadConfig, requireRunnable, resolveGitDir } from '../../../src/config/load';
import { configError } from '../../helpers/config-error';


const GIT = { JENKINS_HOME: '/var/lib/jenkins', JHA_SYNC_MODE: 'git', JHA_SYNC_REPO: 'ssh://git@example.com/ci/config.git' };

describe('sync keys', () => {
  it('default to shared mode with the documented include globs and no secrets', () => {
    const cfg = loadConfig({ env: {}, args: [] });
    expect(cfg.sync.mode).toBe('shared');
    expect(cfg.sync.include).toEqual(['*.xml', 'jobs/**/config.xml', 'users/**', 'nodes/**']);
    expect(cfg.sync.exclude).toEqual([]);
    expect(cfg.sync.includeSecrets).toBe(false);
    expect(cfg.sync.allowStale).toBe(false);
    expect(cfg.sync.branch).toBe('main');
  });

  it('read lists comma-separated or as JSON from env and flags', () => {
    expect(loadConfig({ env: { JHA_SYNC_INCLUDE: '*.xml, jobs/**/config.xml' }, args: [] }).sync.include).toEqual(['*.xml', 'jobs/**/config.xml']);
    expect(loadConfig({ env: {}, args: ['--sync-exclude', '["users/admin/**","nodes/x/**"]'] }).sync.exclude).toEqual(['users/admin/**', 'nodes/x/**']);
    expect(loadConfig({ env: { JHA_SYNC_EXCLUDE: '' }, args: [] }).sync.exclude).toEqual([]);
  });

  it('read booleans only as true or false', () => {
    expect(loadConfig({ env: { JHA_SYNC_ALLOW_STALE: 'true' }, args: [] }).sync.allowStale).toBe(true);
    expect(loadConfig({ env: {}, args: ['--sync-include-secrets=false'] }).sync.includeSecrets).toBe(false);
    const err = configError(() => loadConfig({ env: { JHA_SYNC_ALLOW_STALE: 'yes' }, args: [] }));
    expect(err.key).toBe('sync.allowStale');
  });

  it.each([['/etc/*.xml'], ['jobs/../secrets/**'], [':(exclude)x'], ['']])('rejects the glob %j, naming the key', (glob) => {
    const err = configError(() => loadConfig({ env: { JHA_SYNC_INCLUDE: JSON.stringify([glob]) }, args: [] }));
    expect(err.key).toBe('sync.include');
  });

  it('rejects an unknown mode and a bad branch name', () => {
    expect(configError(() => loadConfig({ env: { JHA_SYNC_MODE: 'nfs' }, args: [] })).key).toBe('sync.mode');
    expect(configError(() => loadConfig({ env: { JHA_SYNC_BRANCH: '../x' }, args: [] })).key).toBe('sync.branch');
  });
});

describe('requireRunnable in git mode', () => {
  it('requires sync.repo', () => {
    const err = configError(() => requireRunnable(loadConfig({ env: { ...GIT, JHA_SYNC_REPO: '' }, args: [] })));
    expect(err.key).toBe('sync.repo');
    expect(err.message).toContain('JHA_SYNC_REPO');
  });

  it('does not require it in shared mode', () => {
    expect(() => requireRunnable(loadConfig({ env: { JENKINS_HOME: '/var/lib/jenkins' }, args: [] }))).not.toThrow();
  });

  it('keeps the git directory out of JENKINS_HOME', () => {
    expect(configError(() => requireRunnable(loadConfig({ env: { ...GIT, JHA_SYNC_GIT_DIR: '/var/lib/jenkins/.git' }, args: [] }))).key).toBe('sync.gitDir');
    expect(configError(() => requireRunnable(loadConfig({ env: { ...GIT, JHA_SYNC_GIT_DIR: 'rel/dir' }, args: [] }))).key).toBe('sync.gitDir');
    expect(() => requireRunnable(loadConfig({ env: { ...GIT, JHA_SYNC_GIT_DIR: '/var/lib/jenkins-config.git' }, args: [] }))).not.toThrow();
  });

  it('derives the git directory as a sibling of the home', () => {
    expect(resolveGitDir(loadConfig({ env: GIT, args: [] }))).toBe('/var/lib/.jenkins.jenkins-ha.git');
    expect(resolveGitDir(loadConfig({ env: { ...GIT, JENKINS_HOME: '/srv/ci/home/' }, args: [] }))).toBe('/srv/ci/.home.jenkins-ha.git');
    expect(() => requireRunnable(loadConfig({ env: GIT, args: [] }))).not.toThrow();
  });

  it('requires at least one include glob', () => {
    expect(configError(() => requireRunnable(loadConfig({ env: { ...GIT, JHA_SYNC_INCLUDE: '' }, args: [] }))).key).toBe('sync.include');
  });
});
