/** Config keys of fencing: the self-fencing deadline, the methods run against a previous active, the host watchdog. */
import type { Config, WatchdogMode } from '../types';
import { absolutePathFormat, commandListFormat, intFormat, openUnitFormat, optionalAbsolutePathFormat } from './formats';
import type { SpecTree } from './spec';

const WATCHDOG_MODES: WatchdogMode[] = ['off', 'automatic', 'required'];

/** The `fencing` section. */
export function fencingKeys(): SpecTree<Config['fencing']> {
  return {
    deadlineRatio: {
      doc: 'Number in (0,1). A leader starts stopping Jenkins when lastHeard + deadlineRatio * session timeout passes without a ZooKeeper reply.',
      format: openUnitFormat(),
      default: 0.5,
    },
    marginMs: {
      doc: 'Safety margin in ms kept before the session could expire; integer >= 0. Rule: session timeout * deadlineRatio + jenkins.fenceKillAfterMs + marginMs + max(zk.pingIntervalMs, zk.tickTimeMs / 2) <= session timeout.',
      format: intFormat(0),
      default: 200,
    },
    methods: {
      doc: 'Fencing methods: shell command lines tried in order before a new leader starts Jenkins when the previous active did not exit cleanly; the first to exit 0 fences it. Env and flag take a JSON array or one command line. Empty = no fencing command. See docs/safety.md for the environment they get.',
      format: commandListFormat(),
      default: [],
    },
    timeoutMs: {
      doc: 'Time limit of one fencing method in ms; its process group is killed when it runs longer (counts as failed). Integer 100..3600000.',
      format: intFormat(100, 3600000),
      default: 30000,
    },
    retryBackoffMs: {
      doc: 'Delay in ms before the fencing methods are tried again after all of them failed; doubles per round up to retryBackoffMaxMs. Integer >= 100.',
      format: intFormat(100),
      default: 5000,
    },
    retryBackoffMaxMs: {
      doc: 'Upper bound of the fencing retry delay in ms; integer >= fencing.retryBackoffMs.',
      format: intFormat(100),
      default: 60000,
    },
    watchdog: {
      mode: {
        doc: 'Linux host watchdog (softdog), held open while this node runs Jenkins and kept alive only while it can prove its leadership: off; automatic (use it if it can be validated, else warn and run without); required (a node that cannot arm a valid watchdog does not start Jenkins; a problem found at start-up is a configuration error). See docs/safety.md.',
        format: WATCHDOG_MODES,
        default: 'off',
      },
      device: {
        doc: 'Watchdog device opened while Jenkins runs here. The service user needs write access (udev rule); no other process may hold it (a watchdog daemon, systemd RuntimeWatchdogSec).',
        format: absolutePathFormat,
        default: '/dev/watchdog',
      },
      sysfsDir: {
        doc: 'Directory holding the device\'s timeout (seconds) and nowayout files; empty = /sys/class/watchdog/<name>, where /dev/watchdog is watchdog0 and /dev/watchdogN is watchdogN.',
        format: optionalAbsolutePathFormat,
        default: '',
      },
      safetyMarginMs: {
        doc: 'Time in ms kept between the latest host reset and the earliest session expiry. Rule, checked against the device\'s timeout: fence deadline (session timeout * fencing.deadlineRatio) + device timeout + safetyMarginMs + max(zk.pingIntervalMs, zk.tickTimeMs / 2) <= session timeout, so the host resets before the session can expire (a session served by a follower can expire that lag before lastHeard + T) even if the controller stalls right after a keepalive.',
        format: intFormat(0, 600000),
        default: 1000,
      },
    },
  };
}
