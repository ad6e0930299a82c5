/** The Jenkins-awareness keys: service mode, Jenkins credentials, drain, eligibility. */
import { loadConfig, redactedConfig } from '../../../src/config/load';
import { ConfigError } from '../../../src/errors';

const load = (env: Record<string, string>, args: string[] = []) => loadConfig({ env, args });

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no ConfigError');
}

describe('jenkins.mode = service', () => {
  it('needs the start, stop and main-pid commands, naming the missing key', () => {
    const e = configError(() => load({ JHA_JENKINS_MODE: 'service', JHA_JENKINS_START_COMMAND: 'systemctl start jenkins' }));
    expect(e.key).toBe('jenkins.stopCommand');
    expect(e.message).toMatch(/jenkins\.stopCommand must be set when jenkins\.mode is service/);
    const ok = load({
      JHA_JENKINS_MODE: 'service',
      JHA_JENKINS_START_COMMAND: 'systemctl start jenkins',
      JHA_JENKINS_STOP_COMMAND: 'systemctl stop jenkins',
      JHA_JENKINS_SERVICE_PID_COMMAND: 'systemctl show -p MainPID --value jenkins',
    });
    expect(ok.jenkins.mode).toBe('service');
    expect(ok.jenkins.statusCommand).toBe('');
  });

  it('rejects an unknown mode and a blank command', () => {
    expect(configError(() => load({ JHA_JENKINS_MODE: 'docker' })).key).toBe('jenkins.mode');
    expect(configError(() => load({ JHA_JENKINS_STOP_COMMAND: '   ' })).key).toBe('jenkins.stopCommand');
  });
});

describe('jenkins.user / jenkins.apiToken', () => {
  it('come in pairs and the token is redacted', () => {
    expect(configError(() => load({ JHA_JENKINS_USER: 'admin' })).key).toBe('jenkins.apiToken');
    expect(configError(() => load({ JHA_JENKINS_API_TOKEN: 's3cret' })).key).toBe('jenkins.user');
    const cfg = load({ JHA_JENKINS_USER: 'admin', JHA_JENKINS_API_TOKEN: 's3cret' });
    expect(cfg.jenkins.apiToken).toBe('s3cret');
    expect(redactedConfig(cfg).jenkins.apiToken).toBe('***');
    expect(redactedConfig(cfg).jenkins.user).toBe('admin');
  });
});

describe('drain keys', () => {
  it('drainOnShutdown is a boolean from env or flag; anything else names the key', () => {
    expect(load({}).jenkins.drainOnShutdown).toBe(false);
    expect(load({ JHA_JENKINS_DRAIN_ON_SHUTDOWN: 'true' }).jenkins.drainOnShutdown).toBe(true);
    expect(load({}, ['--jenkins-drain-on-shutdown', 'true']).jenkins.drainOnShutdown).toBe(true);
    expect(load({ JHA_JENKINS_DRAIN_ON_SHUTDOWN: 'false' }).jenkins.drainOnShutdown).toBe(false);
    expect(configError(() => load({ JHA_JENKINS_DRAIN_ON_SHUTDOWN: '0' })).key).toBe('jenkins.drainOnShutdown');
    expect(configError(() => load({ JHA_JENKINS_DRAIN_ON_SHUTDOWN: 'maybe' })).key).toBe('jenkins.drainOnShutdown');
  });

  it('drainTimeoutMs 0 disables drains; negative is refused', () => {
    expect(load({ JHA_JENKINS_DRAIN_TIMEOUT_MS: '0' }).jenkins.drainTimeoutMs).toBe(0);
    expect(configError(() => load({ JHA_JENKINS_DRAIN_TIMEOUT_MS: '-1' })).key).toBe('jenkins.drainTimeoutMs');
  });

  it('has a long start-up grace by default, separate from the liveness interval', () => {
    const cfg = load({});
    expect(cfg.jenkins.startupGraceMs).toBe(600000);
    expect(cfg.jenkins.healthIntervalMs).toBe(5000);
  });
});

describe('eligibility keys', () => {
  it('validate their ranges', () => {
    expect(load({ JHA_ELIGIBILITY_MIN_FREE_DISK_MB: '0' }).eligibility.minFreeDiskMb).toBe(0);
    expect(configError(() => load({ JHA_ELIGIBILITY_INTERVAL_MS: '10' })).key).toBe('eligibility.intervalMs');
    expect(configError(() => load({ JHA_ELIGIBILITY_MAX_WRITE_LATENCY_MS: '0' })).key).toBe('eligibility.maxWriteLatencyMs');
  });
});
