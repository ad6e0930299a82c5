/** `switchover --at`: HH:MM is local time today or tomorrow; ISO times keep their zone; bad input exits 2. */
import { parseAtFlag } from '../../../src/cli/at';
import { BadValueError, parseOpsArgs } from '../../../src/cli/args';

describe('parseAtFlag', () => {
  const now = new Date(2026, 11, 6, 22, 30, 0); // local 22:30
  it('HH:MM later today is today, local time', () => {
    expect(parseAtFlag('23:15', now)).toBe(new Date(2026, 11, 6, 23, 15, 0).toISOString());
  });
  it('HH:MM that has passed (or is now) is tomorrow', () => {
    expect(parseAtFlag('02:00', now)).toBe(new Date(2026, 11, 7, 2, 0, 0).toISOString());
    expect(parseAtFlag('22:30', now)).toBe(new Date(2026, 11, 7, 22, 30, 0).toISOString());
  });
  it('takes a full ISO time, with or without a zone (none = local), and returns UTC', () => {
    expect(parseAtFlag('2026-12-07T02:00:00Z', now)).toBe('2026-12-07T02:00:00.000Z');
    expect(parseAtFlag('2026-12-07T03:00+01:00', now)).toBe('2026-12-07T02:00:00.000Z');
    expect(parseAtFlag('2026-12-07T02:00', now)).toBe(new Date(2026, 11, 7, 2, 0, 0).toISOString());
  });
  it('refuses anything else as a bad value', () => {
    for (const bad of ['24:00', '2:0', 'soon', '2026-12-07', '']) expect(() => parseAtFlag(bad, now)).toThrow(BadValueError);
  });
});

describe('switchover flags', () => {
  const none = new Set<string>();
  it('--at is passed on; --wait does not combine with it', () => {
    expect(parseOpsArgs('switchover', ['--at', '02:00', '--candidate', 'b'], none).parsed).toEqual({ command: 'switchover', opts: { at: '02:00', candidate: 'b', wait: false, timeoutMs: 60_000 } });
    expect(() => parseOpsArgs('switchover', ['--at', '02:00', '--wait'], none)).toThrow(/--wait does not combine with --at/);
  });
  it('--cancel takes no other flag', () => {
    expect(parseOpsArgs('switchover', ['--cancel'], none).parsed).toMatchObject({ opts: { cancel: true } });
    expect(() => parseOpsArgs('switchover', ['--cancel', '--at', '02:00'], none)).toThrow(/--cancel takes no other flag/);
  });
});
