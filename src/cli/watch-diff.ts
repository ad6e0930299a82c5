/**
 * `status --watch`: what changed between two frames of `jenkins-ha status`, marked. Pure.
 *
 * A line of the new frame is matched with the old frame's line of the same key (its first word and
 * how many lines before it had that word: a member's row, its second note, `leader:`), so a row
 * that moves keeps its match. Within a matched line the words are compared by position; a line
 * with no match is new. On a terminal, changed words (or a whole new line) are shown inverse,
 * which keeps the columns; elsewhere a line that changed starts with `* ` and the others with
 * two spaces.
 */

export type MarkStyle = 'tty' | 'plain';

export const INVERSE = '\u001b[7m';
export const RESET = '\u001b[0m';

interface Word {
  start: number;
  text: string;
}

function words(line: string): Word[] {
  const out: Word[] = [];
  for (const m of line.matchAll(/\S+/g)) out.push({ start: m.index, text: m[0] });
  return out;
}

/** Each line's key: its first word and its rank among the lines that start with that word. */
function keyed(lines: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return lines.map((l) => {
    const first = words(l)[0]?.text ?? '';
    const n = seen.get(first) ?? 0;
    seen.set(first, n + 1);
    return `${first}\u0000${n}`;
  });
}

export interface LineChange {
  /** The line has no counterpart in the previous frame. */
  added: boolean;
  /** Indices (in the line's words) of the words that differ from the previous frame's line. */
  changedWords: number[];
}

/** Per line of `next`: what differs from `prev` (null: first frame, nothing is marked). */
export function frameChanges(prev: string | null, next: string): LineChange[] {
  const nextLines = next.split('\n');
  if (prev === null) return nextLines.map(() => ({ added: false, changedWords: [] }));
  const prevLines = prev.split('\n');
  const prevByKey = new Map<string, string>();
  keyed(prevLines).forEach((k, i) => prevByKey.set(k, prevLines[i] ?? ''));
  const keys = keyed(nextLines);
  return nextLines.map((line, i) => {
    const old = prevByKey.get(keys[i] ?? '');
    if (old === undefined) return { added: words(line).length > 0, changedWords: [] };
    const was = words(old);
    const changedWords = words(line).flatMap((w, j) => (was[j]?.text === w.text ? [] : [j]));
    return { added: false, changedWords };
  });
}

/** `next` with what changed since `prev` marked in `style`. */
export function markChanges(prev: string | null, next: string, style: MarkStyle): string {
  const changes = frameChanges(prev, next);
  return next
    .split('\n')
    .map((line, i) => {
      const c = changes[i] ?? { added: false, changedWords: [] };
      const changed = c.added || c.changedWords.length > 0;
      if (style === 'plain') return line === '' && !changed ? '' : `${changed ? '*' : ' '} ${line}`;
      if (c.added) return `${INVERSE}${line}${RESET}`;
      if (!changed) return line;
      const ws = words(line);
      let out = '';
      let at = 0;
      for (const j of c.changedWords) {
        const w = ws[j];
        if (!w) continue;
        out += `${line.slice(at, w.start)}${INVERSE}${w.text}${RESET}`;
        at = w.start + w.text.length;
      }
      return out + line.slice(at);
    })
    .join('\n');
}
