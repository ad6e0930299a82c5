/** Config keys of the election (resign cooldown, switchover) and the eligibility checks of a node that could take over. */
import type { Config } from '../types';
import { booleanFormat, intFormat, optionalCommandFormat } from './formats';
import type { SpecTree } from './spec';

/** The `election` section. */
export function electionKeys(): SpecTree<Config['election']> {
  return {
    resignCooldownMs: {
      doc: 'How long (ms) a node that resigned leadership stays out of the election; integer >= 0.',
      format: intFormat(0),
      default: 60000,
    },
    switchoverTimeoutMs: {
      doc: 'How long (ms) a planned switchover may take before it is abandoned and any standby may take over; integer >= 1000.',
      format: intFormat(1000),
      default: 60000,
    },
    priority: {
      doc: 'Failover priority of this node; integer -1000000..1000000, higher is preferred. When a leader is chosen (start-up, failover), the next in line steps to the back before taking the epoch while a member of strictly higher priority is in line; a switchover without a candidate goes to the highest. A leader is never moved for priority (no failback); equal priorities keep the line order. See docs/operating.md.',
      format: intFormat(-1000000, 1000000),
      default: 0,
    },
    noFailover: {
      doc: 'true: this node stands by but never leads (never takes a fencing epoch, not even when it is the only member left) and is never a switchover target: a DR or reporting node.',
      format: booleanFormat(),
      default: false,
    },
  };
}

/** The `eligibility` section. */
export function eligibilityKeys(): SpecTree<Config['eligibility']> {
  return {
    intervalMs: {
      doc: 'How often (ms) a node whose Jenkins is not running checks whether it could take over; integer 100..3600000.',
      format: intFormat(100, 3600000),
      default: 30000,
    },
    maxWriteLatencyMs: {
      doc: 'Largest acceptable time (ms) to write, fsync and delete a probe file in JENKINS_HOME; slower storage makes the node ineligible. Integer 1..600000.',
      format: intFormat(1, 600000),
      default: 2000,
    },
    minFreeDiskMb: {
      doc: 'Least free space (MiB) on the file system of JENKINS_HOME; less makes the node ineligible. Integer >= 0 (0 = no check).',
      format: intFormat(0),
      default: 1024,
    },
    preflightCommand: {
      doc: 'Optional site check run with /bin/sh -c on every eligibility check (JENKINS_HOME in env); a non-zero exit or a timeout makes the node ineligible, its output is the reason. Empty = none.',
      format: optionalCommandFormat,
      default: '',
    },
    preflightTimeoutMs: {
      doc: 'Timeout of eligibility.preflightCommand in ms; integer 100..600000.',
      format: intFormat(100, 600000),
      default: 10000,
    },
  };
}
