/**
 * What the others see of the election (./election.ts): the options it is built with, its role
 * and status, and the events it emits. Plain types, no behaviour.
 */
import type { Coordinator } from '../coordination/types';
import type { Logger } from '../logging/logger';
import type { MemberInfo } from './member';

export type ElectionRole = 'idle' | 'joining' | 'candidate' | 'leader';

export interface ElectionStatus {
  role: ElectionRole;
  /** Our znode name, if we have one in the current session. */
  znode: string | null;
  sequence: number | null;
  /** The znode we watch (candidates only). */
  predecessor: string | null;
  /** Session generation the role belongs to. */
  generation: number;
  /** Monotonic time of the last role change. */
  since: number;
}

export interface ElectionOptions {
  coordinator: Coordinator;
  /** `<root>/<cluster>/election` */
  path: string;
  nodeId: string;
  host: string;
  member: () => MemberInfo;
  logger: Logger;
  /** Delay before retrying a failed check while connected. */
  retryDelayMs?: number;
  now: () => number;
}

export interface ElectionEvents {
  change: (status: ElectionStatus, previous: ElectionStatus) => void;
  woken: (at: number) => void; // our predecessor's znode was deleted (monotonic ms): we may lead next
}
