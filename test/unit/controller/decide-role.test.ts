/**
 * The node's role from one observation (decide/role.ts): what /status, the metrics and the hooks
 * call this node. `joining` (no position yet) is the election's `joining`; the election's
 * `candidate` (waiting behind a predecessor) is our `standby`.
 */
import { nodeRole } from '../../../src/controller/decide';
import type { NodeRole } from '../../../src/controller/status';
import { FENCE, leaderObserved as observed, type Overrides } from './observed';

test.each<[string, NodeRole, Overrides]>([
  ['a provable leader', 'leader', {}],
  ['a leader that has not heard from ZooKeeper past the fence deadline', 'neutral', { zk: { msSinceHeard: FENCE } }],
  ['a disconnected standby', 'neutral', { zk: { state: 'disconnected' }, election: { role: 'candidate' } }],
  ['a candidate of the election (waiting behind a predecessor)', 'standby', { election: { role: 'candidate' } }],
  ['a node joining the election (no znode yet)', 'joining', { election: { role: 'joining' } }],
  ['a node shutting down', 'stopped', { shuttingDown: true }],
  ['a node that resigned', 'stopped', { resignedUntil: 5, election: { role: 'idle', joined: false } }],
  ['an ineligible node out of the election', 'stopped', { election: { role: 'idle', joined: false }, eligibility: { eligible: false, reason: 'disk' } }],
])('%s is %s', (_what, role, o) => {
  expect(nodeRole(observed(o))).toBe(role);
});
