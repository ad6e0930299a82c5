/** Config keys of the role-change hooks. */
import type { Config } from '../types';
import { intFormat, optionalCommandFormat } from './formats';
import type { SpecTree } from './spec';

/** The `hooks` section. */
export function hooksKeys(): SpecTree<Config['hooks']> {
  return {
    onLeader: {
      doc: 'Shell command (/bin/sh -c) run when this node becomes the leader, once it holds its fencing epoch and before Jenkins is ready; empty = none. Env: JHA_HOOK, JHA_ROLE, JHA_PREVIOUS_ROLE, JHA_NODE_ID, JHA_CLUSTER, JHA_EPOCH, JHA_LEADER, JHA_PREVIOUS_LEADER. Never blocks the control loop; see docs/operating.md.',
      format: optionalCommandFormat,
      default: '',
    },
    onStandby: {
      doc: 'Shell command run when this node becomes a standby (joined and in line); empty = none. Same env as hooks.onLeader.',
      format: optionalCommandFormat,
      default: '',
    },
    onStopped: {
      doc: 'Shell command run when this node stops (graceful shutdown, or resigned leadership); empty = none. Same env as hooks.onLeader. It starts as the shutdown begins, beside Jenkins stopping; the process waits for it (bounded by hooks.timeoutMs) before exiting.',
      format: optionalCommandFormat,
      default: '',
    },
    timeoutMs: {
      doc: 'A hook still running after this many ms gets SIGTERM to its process group, SIGKILL 1 s later, and counts as failed; integer 100..3600000.',
      format: intFormat(100, 3600000),
      default: 30000,
    },
  };
}
