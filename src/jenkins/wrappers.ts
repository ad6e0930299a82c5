/**
 * The command a Jenkins command line runs, seen through the usual wrappers: `exec`, `env`,
 * `nice`, `ionice`, `nohup`, `setsid`, `setpriv`, `sudo`, `runuser`, `doas`, `numactl`, `taskset`,
 * `chrt`, `timeout`, `stdbuf`, `prlimit`, and leading VAR=value words, nested in any order
 * (`env -u VAR nice -n 5 java ...` runs `java`). Pure: words in, index out.
 *
 * A wrapper option this table does not know, or one that hands the command to a shell
 * (`env -S`, `sudo -s`, `runuser -c`), makes the command unknowable: the result is null and the
 * caller checks only what it can know.
 */

interface WrapperSpec {
  /** Short options taking a value, attached (`-uVAR`) or as the next word (`-u VAR`). */
  readonly shortArg?: string;
  /** Short options without a value; may be grouped (`-ab`). */
  readonly shortFlags?: string;
  /** Long options taking a value, as `--name=value` or `--name value`. */
  readonly longArg?: readonly string[];
  /** Long options without a value (or with an optional `=value`). */
  readonly longFlags?: readonly string[];
  /** Words before the command that are not options (chrt's priority, timeout's duration). */
  readonly positional?: number;
  /** VAR=value words may stand between the options and the command. */
  readonly assignments?: boolean;
  /** `-N` (a number as an option, nice's old syntax) is a flag. */
  readonly numericFlag?: boolean;
  /** A lone `-` is a flag (env's `-i`). */
  readonly dashFlag?: boolean;
}

const WRAPPERS: Readonly<Record<string, WrapperSpec>> = {
  exec: { shortArg: 'a', shortFlags: 'cl' },
  env: {
    shortArg: 'uC',
    shortFlags: 'i0v',
    longArg: ['unset', 'chdir'],
    longFlags: ['ignore-environment', 'null', 'debug'],
    assignments: true,
    dashFlag: true,
  },
  nice: { shortArg: 'n', longArg: ['adjustment'], numericFlag: true },
  ionice: { shortArg: 'cn', shortFlags: 't', longArg: ['class', 'classdata'], longFlags: ['ignore'] },
  nohup: {},
  setsid: { shortFlags: 'cfw', longFlags: ['ctty', 'fork', 'wait'] },
  setpriv: {
    longArg: ['reuid', 'regid', 'ruid', 'rgid', 'euid', 'egid', 'groups', 'inh-caps', 'ambient-caps', 'bounding-set', 'securebits', 'pdeathsig', 'selinux-label', 'apparmor-profile'],
    longFlags: ['clear-groups', 'init-groups', 'keep-groups', 'no-new-privs', 'nnp', 'reset-env'],
  },
  sudo: {
    shortArg: 'ugCDhprtTU',
    shortFlags: 'AbEHnPkK',
    longArg: ['user', 'group', 'chdir', 'close-from', 'host', 'prompt', 'role', 'type', 'command-timeout', 'other-user'],
    longFlags: ['preserve-env', 'preserve-groups', 'non-interactive', 'set-home', 'askpass', 'background', 'reset-timestamp', 'remove-timestamp'],
    assignments: true,
  },
  runuser: { shortArg: 'ugGw', shortFlags: 'mp', longArg: ['user', 'group', 'supp-group', 'whitelist-environment'], longFlags: ['preserve-environment'] },
  doas: { shortArg: 'uC', shortFlags: 'n' },
  numactl: {
    shortArg: 'imNCpPw',
    shortFlags: 'lab',
    longArg: ['interleave', 'membind', 'cpunodebind', 'physcpubind', 'preferred', 'preferred-many', 'weighted-interleave'],
    longFlags: ['localalloc', 'all', 'balancing'],
  },
  taskset: { shortFlags: 'ac', longFlags: ['all-tasks', 'cpu-list'], positional: 1 },
  chrt: {
    shortArg: 'TPD',
    shortFlags: 'abdfioRrv',
    longArg: ['sched-runtime', 'sched-period', 'sched-deadline'],
    longFlags: ['all-tasks', 'batch', 'deadline', 'fifo', 'idle', 'other', 'rr', 'reset-on-fork', 'verbose'],
    positional: 1,
  },
  timeout: { shortArg: 'sk', shortFlags: 'v', longArg: ['signal', 'kill-after'], longFlags: ['foreground', 'preserve-status', 'verbose'], positional: 1 },
  stdbuf: { shortArg: 'ioe', longArg: ['input', 'output', 'error'] },
  prlimit: {
    longArg: ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'],
  },
};

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Index just past one wrapper's options and positional words; null when it cannot be read. */
function skipWrapper(words: readonly string[], start: number, spec: WrapperSpec): number | null {
  let i = start;
  for (; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w === '--') {
      i++;
      break;
    }
    if (w === '-' && spec.dashFlag) continue;
    if (!w.startsWith('-') || w === '-') break;
    if (spec.numericFlag && /^-\d+$/.test(w)) continue;
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = w.slice(2, eq === -1 ? undefined : eq);
      if (spec.longArg?.includes(name)) {
        if (eq === -1) i++; // the value is the next word
        continue;
      }
      if (spec.longFlags?.includes(name)) continue; // `--preserve-env` or `--preserve-env=LIST`
      return null;
    }
    // A group of short options: flags, and at most one option with a value, last.
    let k = 1;
    for (; k < w.length; k++) {
      const c = w[k] ?? '';
      if (spec.shortFlags?.includes(c)) continue;
      if (spec.shortArg?.includes(c)) {
        if (k === w.length - 1) i++; // `-u VAR`: the value is the next word; else attached
        break;
      }
      return null;
    }
  }
  if (spec.assignments) while (i < words.length && ASSIGNMENT.test(words[i] ?? '')) i++;
  i += spec.positional ?? 0;
  return i;
}

/**
 * Index of the word that names the command actually run, after leading VAR=value words and any
 * wrappers; null when a wrapper's options cannot be read (or nothing follows them).
 */
export function commandIndex(words: readonly string[]): number | null {
  let i = 0;
  for (;;) {
    while (i < words.length && ASSIGNMENT.test(words[i] ?? '')) i++;
    const w = words[i];
    if (w === undefined) return null;
    const spec = WRAPPERS[w];
    if (spec === undefined || !Object.prototype.hasOwnProperty.call(WRAPPERS, w)) return i;
    const next = skipWrapper(words, i + 1, spec);
    if (next === null || next >= words.length) return null;
    i = next;
  }
}
