/**
 * `jenkins-ha status --watch [INTERVAL]`: the status table redrawn every INTERVAL, as `watch`
 * does. On a terminal the screen is cleared and redrawn in place with what changed shown inverse;
 * otherwise each frame is printed after the previous one under a header line with its time, and a
 * changed line starts with `*` (watch-diff.ts). ZooKeeper being unreachable is shown in the frame,
 * not fatal: the watch goes on. Stops when `signal` aborts (Ctrl-C / SIGTERM in cli.ts).
 */
import { errorMessage } from '../errors';
import { formatDuration } from './duration';
import type { StatusReport } from './status';
import { markChanges } from './watch-diff';

/** Clear the screen and put the cursor home (what `watch` does before each frame). */
const CLEAR = '\u001b[H\u001b[2J';

export interface WatchOptions {
  intervalMs: number;
  collect: () => Promise<StatusReport>;
  render: (r: StatusReport) => string;
  write: (text: string) => void;
  /** stdout is a terminal: redraw in place, mark with inverse video. */
  tty: boolean;
  signal: AbortSignal;
  now?: () => Date;
}

/** One frame's body: the table, without the ever-growing role durations (they would mark every frame). */
async function frameBody(o: WatchOptions): Promise<string> {
  try {
    const r = await o.collect();
    return o.render({ ...r, members: r.members.map((m) => ({ ...m, sinceMs: null })) });
  } catch (err) {
    return `status: ${errorMessage(err)}\n`;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/** Draws frames until `signal` aborts; resolves then (the caller exits 0). */
export async function watchStatus(o: WatchOptions): Promise<void> {
  const now = o.now ?? ((): Date => new Date());
  let prev: string | null = null;
  while (!o.signal.aborted) {
    const body = await frameBody(o);
    if (o.signal.aborted) break;
    const head = `Every ${formatDuration(o.intervalMs)}: jenkins-ha status    ${now().toISOString()}\n\n`;
    const marked = markChanges(prev, body, o.tty ? 'tty' : 'plain');
    o.write(o.tty ? `${CLEAR}${head}${marked}` : `${head}${marked}\n`);
    prev = body;
    await sleep(o.intervalMs, o.signal);
  }
}
