/**
 * This member's record in its election znode, kept current (issue 16 items 3 and 5): the member
 * info, its effective safety settings, and its status notes, so every node (and the status page
 * any node serves) shows every member's notes from the members list it already watches, without
 * a browser or a node calling another node's API.
 *
 * The notes are rewritten (setData on our own ephemeral znode) when their wording changes, not
 * when only a number in them ticks (a countdown, an age): then at most every REFRESH_MS. Each
 * note passes the secret redaction first and is bounded (election/member.ts MAX_NOTES,
 * MAX_NOTE_LENGTH): the election znodes are readable by every cluster member.
 */
import type { Coordinator } from '../coordination/types';
import { errorCode, errorMessage } from '../errors';
import { boundedNotes, encodeMember, type MemberInfo } from '../election/member';
import type { Logger } from '../logging/logger';

/** How often the notes are looked at. */
const CHECK_MS = 1000;
/** A note whose numbers alone changed is republished at most this often. */
const REFRESH_MS = 15_000;

export interface NotesPublisherOptions {
  coordinator: Coordinator;
  /** `<base>/election` */
  electionPath: string;
  /** The member info without notes (id, host, ..., settings). */
  base: () => MemberInfo;
  /** Secret redaction of one note. */
  redact: (text: string) => string;
  logger: Logger;
  now: () => number;
}

export class NotesPublisher {
  private notes: string[] = [];
  private published: { znode: string; shape: string; text: string; at: number } | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: NotesPublisherOptions) {}

  /** What the election writes when it creates our znode: the member info with the current notes. */
  member(): MemberInfo {
    return { ...this.o.base(), notes: this.notes };
  }

  /** Follow `notes()` and keep our znode (`znode()`: its name, null when we have none) current. */
  start(znode: () => string | null, notes: () => string[]): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(znode(), notes()), CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async check(znode: string | null, raw: string[]): Promise<void> {
    this.notes = boundedNotes(raw.map((n) => this.o.redact(n))) ?? [];
    if (znode === null || this.o.coordinator.state !== 'connected') return;
    const text = this.notes.join('\n');
    const shape = text.replace(/\d+/g, '#');
    const p = this.published;
    const now = this.o.now();
    if (p && p.znode === znode && p.text === text) return;
    if (p && p.znode === znode && p.shape === shape && now - p.at < REFRESH_MS) return;
    // Marked first: a slow or failed write is not repeated every second.
    this.published = { znode, shape, text, at: now };
    try {
      await this.o.coordinator.setData(`${this.o.electionPath}/${znode}`, encodeMember(this.member()), -1);
    } catch (err) {
      if (errorCode(err) !== 'ZK_NO_NODE') {
        this.o.logger.debug(`could not publish this node's notes: ${errorMessage(err)}`, { event: 'notes.publish_failed', code: errorCode(err) });
      }
      this.published = null;
    }
  }
}
