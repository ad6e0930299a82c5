/**
 * Turns the controller's events into hook requests: which hook a role transition runs, and what
 * it is told. Pure bookkeeping (no processes, no timers), so it is unit-tested on its own; main
 * feeds it the controller's events together with a snapshot read at that moment.
 *
 * - `standby` runs onStandby, `stopped` runs onStopped, `neutral` and `joining` run nothing
 *   (they still replace a waiting run, which has become stale) - except that a standby whose
 *   connection is briefly in doubt stays a standby for the hooks: standby -> neutral -> standby
 *   runs onStandby once (a blip must not page anyone twice), and a waiting onStandby survives it.
 * - `leader` runs onLeader once this node holds its fencing epoch: the controller reports the
 *   role when its znode is lowest and provable, and takes the epoch in the next action; the
 *   `leader_change` event says it is taken. If the role changes before that, no onLeader runs.
 */
import type { ControllerEvent, NodeRole } from '../controller/status';
import type { HookContext, HookName } from './runner';

/** What the trigger reads from the controller's status at each event. */
export interface TriggerView {
  /** The fencing epoch this node holds; null = none. */
  epoch: number | null;
  /** The leader as the cluster view shows it; null = unknown. */
  leaderId: string | null;
}

export type HookSink = (hook: HookName | null, ctx: HookContext) => void;

const HOOK_OF: Readonly<Record<NodeRole, HookName | null>> = {
  leader: 'onLeader',
  standby: 'onStandby',
  stopped: 'onStopped',
  neutral: null,
  joining: null,
};

export class HookTrigger {
  private role: NodeRole = 'joining';
  private previousRole: NodeRole = 'joining';
  private knownLeader: string | null = null;
  private previousLeader: string | null = null;
  /** Became leader, waiting for the epoch before running onLeader. */
  private leaderPending = false;
  /** onStandby was requested and no other hook since: a standby in doubt is still a standby. */
  private standbyHooked = false;

  constructor(
    private readonly selfId: string,
    private readonly sink: HookSink,
  ) {}

  handle(e: ControllerEvent, view: TriggerView): void {
    if (e.type === 'role') {
      if (e.role === this.role) return;
      const transient = e.role === 'neutral' || e.role === 'joining';
      const inDoubtStandby = this.standbyHooked && (transient || (e.role === 'standby' && (this.role === 'neutral' || this.role === 'joining')));
      this.previousRole = this.role;
      this.role = e.role;
      this.previousLeader = this.knownLeader;
      this.knownLeader = e.role === 'leader' ? this.selfId : view.leaderId ?? this.knownLeader;
      this.leaderPending = false;
      if (inDoubtStandby) return;
      this.standbyHooked = e.role === 'standby';
      if (e.role === 'leader' && view.epoch === null) {
        this.leaderPending = true;
        this.sink(null, this.context(view)); // a waiting run for the old role is stale now
        return;
      }
      this.sink(HOOK_OF[e.role], this.context(view));
      return;
    }
    if (e.type === 'leader_change' && this.leaderPending && this.role === 'leader') {
      this.leaderPending = false;
      this.sink('onLeader', this.context(view));
    }
  }

  private context(view: TriggerView): HookContext {
    return {
      role: this.role,
      previousRole: this.previousRole,
      epoch: view.epoch,
      leader: this.knownLeader,
      previousLeader: this.previousLeader,
    };
  }
}
