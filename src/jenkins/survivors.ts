/**
 * The processes of the last Jenkins process group that outlive its SIGKILL: a process in
 * uninterruptible I/O (a hung NFS mount, a FUSE request the daemon holds) does not die of it, so
 * the shim's exit proves nothing about Jenkins (docs/safety.md, "What holds when the old Jenkins
 * cannot be killed"). The supervisor hands over each group whose shim exited; current() answers
 * on every observation: kill(-pgid, 0) first (ESRCH: the group is gone, microseconds), and only
 * when something of the group exists, a /proc scan for live (non-zombie) members, at most every
 * RECHECK_MS. Once none is left the group is forgotten.
 */
import type { Logger } from '../logging/logger';
import { liveGroupMembers } from '../util/proc';
import type { GroupSurvivors } from './status';

/** How often a group that still exists is scanned again in /proc. */
export const RECHECK_MS = 200;
/** The first look after the shim's exit, off the handover path (the group was just SIGKILLed). */
const FIRST_LOOK_MS = 50;

export interface SurvivorWatchOptions {
  logger: Logger;
  now: () => number;
  /** Injected for tests: whether any process of group `pgid` exists (zombies included). */
  groupExists?: (pgid: number) => boolean;
  /** Injected for tests: the live members of group `pgid`. */
  liveMembers?: (pgid: number) => number[];
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SurvivorWatch {
  private last: (GroupSurvivors & { checkedAt: number }) | null = null;
  private killedAt: { pgid: number; at: number } | null = null;

  constructor(private readonly o: SurvivorWatchOptions) {}

  /** SIGKILL was sent to group `pgid` (the first time counts). */
  killed(pgid: number): void {
    if (this.killedAt?.pgid !== pgid) this.killedAt = { pgid, at: this.o.now() };
  }

  /** The shim of group `pgid` exited and the group was SIGKILLed: watch what is left of it. */
  exited(pgid: number): void {
    this.killed(pgid);
    this.last = { pgid, pids: [], killedAt: this.killedAt?.at ?? this.o.now(), checkedAt: -Infinity };
    const t = setTimeout(() => {
      const left = this.current();
      if (left?.pgid === pgid) this.o.logger.error('processes of the Jenkins group survive SIGKILL', { event: 'jenkins.group_survivors', pgid, pids: left.pids });
    }, FIRST_LOOK_MS);
    t.unref();
  }

  /** The live survivors of the last group, or null when none is left (checked now, cheaply). */
  current(): GroupSurvivors | null {
    const l = this.last;
    if (!l) return null;
    if (!(this.o.groupExists ?? groupExists)(l.pgid)) return this.forget(l.pgid);
    const now = this.o.now();
    if (now - l.checkedAt >= RECHECK_MS) {
      const pids = (this.o.liveMembers ?? liveGroupMembers)(l.pgid);
      if (pids.length === 0) return this.forget(l.pgid);
      l.pids = pids;
      l.checkedAt = now;
    }
    return { pgid: l.pgid, pids: [...l.pids], killedAt: l.killedAt };
  }

  private forget(pgid: number): null {
    if (this.last && this.last.pids.length > 0) this.o.logger.info('the surviving processes of the Jenkins group are gone', { event: 'jenkins.group_survivors_gone', pgid });
    this.last = null;
    if (this.killedAt?.pgid === pgid) this.killedAt = null;
    return null;
  }
}
