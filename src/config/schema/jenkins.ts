/** Config keys of Jenkins: its home, how it is started and stopped, its health checks and restarts. */
import type { Config, JenkinsMode } from '../types';
import { booleanFormat, commandFormat, httpUrlFormat, intFormat, optionalCommandFormat, pathFormat, stringFormat } from './formats';
import type { SpecTree } from './spec';

const JENKINS_MODES: JenkinsMode[] = ['child', 'service'];

/** The `jenkins` section. */
export function jenkinsKeys(): SpecTree<Config['jenkins']> {
  return {
    home: {
      doc: 'JENKINS_HOME on shared storage. Required (absolute path) by the run command.',
      format: pathFormat,
      default: '',
    },
    command: {
      doc: 'Command line that runs Jenkins in the foreground, run with /bin/sh -c.',
      format: commandFormat,
      default: 'java -jar /usr/share/java/jenkins.war --httpPort=8080',
    },
    url: {
      doc: 'http(s) base URL of the local Jenkins; readiness is probed at its /login page.',
      format: httpUrlFormat,
      default: 'http://127.0.0.1:8080',
    },
    startupGraceMs: {
      doc: 'Start-up grace in ms: a starting Jenkins that is not ready yet is no failure for this long (a big JENKINS_HOME can take minutes); past it, it is restarted. Separate from the liveness probes, which start once it was ready. Integer 1000..86400000.',
      format: intFormat(1000, 86400000),
      default: 600000,
    },
    healthIntervalMs: {
      doc: 'Interval of liveness probes of a running Jenkins in ms; integer 100..3600000.',
      format: intFormat(100, 3600000),
      default: 5000,
    },
    healthTimeoutMs: {
      doc: 'Timeout of one readiness or liveness probe in ms; integer 100..600000.',
      format: intFormat(100, 600000),
      default: 2000,
    },
    livenessFailures: {
      doc: 'Consecutive failed liveness probes before Jenkins is restarted; integer 1..1000.',
      format: intFormat(1, 1000),
      default: 3,
    },
    stopTimeoutMs: {
      doc: 'Graceful stop: SIGTERM, then SIGKILL after this many ms; integer 0..3600000.',
      format: intFormat(0, 3600000),
      default: 30000,
    },
    fenceKillAfterMs: {
      doc: 'Grace in ms between SIGTERM and SIGKILL when self-fencing; integer 0..600000.',
      format: intFormat(0, 600000),
      default: 500,
    },
    restartBackoffMs: {
      doc: 'Initial delay in ms before restarting a crashed Jenkins; grows up to restartBackoffMaxMs. Integer >= 0, <= restartBackoffMaxMs.',
      format: intFormat(0),
      default: 1000,
    },
    restartBackoffMaxMs: {
      doc: 'Upper bound of the restart delay in ms; integer >= restartBackoffMs.',
      format: intFormat(0),
      default: 30000,
    },
    maxRestarts: {
      doc: 'More than this many crashes within restartWindowMs and the node resigns leadership; integer 0..1000.',
      format: intFormat(0, 1000),
      default: 3,
    },
    restartWindowMs: {
      doc: 'Window in ms in which crashes are counted against maxRestarts; integer >= 1000.',
      format: intFormat(1000),
      default: 600000,
    },
    mode: {
      doc: 'How Jenkins is run: child (jenkins.command under the watchdog shim, the default) or service (jenkins.startCommand/stopCommand of a service manager such as systemd, guarded by the service watchdog shim).',
      format: JENKINS_MODES,
      default: 'child',
    },
    startCommand: {
      doc: 'Service mode: command that starts the Jenkins service (e.g. systemctl start jenkins), run with /bin/sh -c. Required when jenkins.mode is service.',
      format: optionalCommandFormat,
      default: '',
    },
    stopCommand: {
      doc: 'Service mode: command that stops the Jenkins service (e.g. systemctl stop jenkins); bounded by jenkins.stopTimeoutMs (jenkins.fenceKillAfterMs when fencing), then the main pid is killed. Required when jenkins.mode is service.',
      format: optionalCommandFormat,
      default: '',
    },
    statusCommand: {
      doc: 'Service mode: command that exits 0 while the Jenkins service runs (e.g. systemctl is-active --quiet jenkins). A node that does not lead and finds the service running stops it. Empty = use jenkins.servicePidCommand.',
      format: optionalCommandFormat,
      default: '',
    },
    servicePidCommand: {
      doc: 'Service mode: command that prints the main pid of the Jenkins service, 0 or nothing when it does not run (e.g. systemctl show -p MainPID --value jenkins). Required when jenkins.mode is service.',
      format: optionalCommandFormat,
      default: '',
    },
    user: {
      doc: 'Jenkins user for the drain calls (quietDown) and the authenticated readiness check (/whoAmI); set together with jenkins.apiToken. Empty = anonymous.',
      format: stringFormat,
      default: '',
    },
    apiToken: {
      doc: 'API token of jenkins.user (HTTP basic auth). Sensitive: masked by redactedConfig; prefer the env var to the config file.',
      format: stringFormat,
      default: '',
      sensitive: true,
    },
    drainTimeoutMs: {
      doc: 'Drain before a planned handover (switchover, pause with drain, shutdown with --drain): Jenkins is put into quiet-down and stopped when no build runs, or after this many ms anyway; 0 = no drain. Integer 0..86400000.',
      format: intFormat(0, 86400000),
      default: 300000,
    },
    drainOnShutdown: {
      doc: 'Drain Jenkins (see jenkins.drainTimeoutMs) before stopping it when the controller shuts down (SIGTERM/SIGINT); the run command\'s --drain flag sets it. true|false.',
      format: booleanFormat(),
      default: false,
    },
  };
}
