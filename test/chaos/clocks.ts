/**
 * Per-node wall clocks for the clock faults: every controller (and so its shims and Jenkins) runs
 * under Debian's libfaketime, reading its offset from a timestamp file of its own
 * (FAKETIME_TIMESTAMP_FILE, re-read at most once a second: FAKETIME_CACHE_DURATION=1; re-reading
 * on every call costs ~20 us per Date.now()). CLOCK_MONOTONIC is left alone
 * (FAKETIME_DONT_FAKE_MONOTONIC), so the journal's times stay comparable across nodes and with
 * the suite's. `set(id, '+1h')` steps that node's wall clock; `resetAll()` puts every clock back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** How long after set() every process of the node reads the new offset (the cache duration, plus slack). */
export const CLOCK_STEP_DELAY_MS = 1500;

export function libfaketime(): string {
  for (const arch of fs.readdirSync('/usr/lib')) {
    const p = path.join('/usr/lib', arch, 'faketime', 'libfaketime.so.1');
    if (fs.existsSync(p)) return p;
  }
  throw new Error('libfaketime.so.1 not found under /usr/lib/*/faketime (apt-get install faketime)');
}

export class Clocks {
  private readonly offsets = new Map<string, string>();
  private readonly lib = libfaketime();

  constructor(
    private readonly dir: string,
    ids: readonly string[],
  ) {
    for (const id of ids) this.set(id, '+0');
  }

  private file(id: string): string {
    return path.join(this.dir, `clock-${id}`);
  }

  /** The env that puts a controller (and its children) on node `id`'s clock. */
  envOf(id: string): Record<string, string> {
    return {
      LD_PRELOAD: this.lib,
      FAKETIME_TIMESTAMP_FILE: this.file(id),
      FAKETIME_CACHE_DURATION: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
      DONT_FAKE_MONOTONIC: '1',
    };
  }

  /** Node `id`'s wall clock runs at `offset` from now on (libfaketime syntax: '+1h', '-1h', '+0'). */
  set(id: string, offset: string): void {
    fs.writeFileSync(this.file(id), `${offset}\n`);
    this.offsets.set(id, offset);
  }

  offsetOf(id: string): string {
    return this.offsets.get(id) ?? '+0';
  }

  /** Every clock back to +0; the nodes that were off, for the progress log. */
  resetAll(): string[] {
    const off = [...this.offsets].filter(([, o]) => o !== '+0').map(([id, o]) => `${id} (${o})`);
    for (const id of this.offsets.keys()) this.set(id, '+0');
    return off;
  }
}
