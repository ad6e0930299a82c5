import { formatDuration, parseDurationMs, parseDurationSeconds } from '../../../src/cli/duration';

test.each([
  ['90s', 90_000],
  ['30m', 1_800_000],
  ['1h', 3_600_000],
  ['3600', 3_600_000],
  ['1h30m', 5_400_000],
  ['500ms', 500],
  ['2d', 172_800_000],
  ['1.5s', 1500],
  [' 60s ', 60_000],
])('parseDurationMs(%j) = %i', (text, ms) => {
  expect(parseDurationMs(text)).toBe(ms);
});

test.each(['', 'soon', '10x', 'h', '-5s', '0', '0s', '1h-', 's10', '10 s'])(
  'parseDurationMs(%j) throws',
  (text) => {
    expect(() => parseDurationMs(text)).toThrow(/duration/);
  },
);

test('parseDurationSeconds takes whole seconds only', () => {
  expect(parseDurationSeconds('1h')).toBe(3600);
  expect(parseDurationSeconds('3600')).toBe(3600);
  expect(() => parseDurationSeconds('1500ms')).toThrow('whole seconds');
});

test('formatDuration', () => {
  expect(formatDuration(950)).toBe('950ms');
  expect(formatDuration(42_000)).toBe('42s');
  expect(formatDuration(185_000)).toBe('3m05s');
  expect(formatDuration(7_800_000)).toBe('2h10m');
  expect(formatDuration(100_800_000)).toBe('1d4h');
  expect(formatDuration(NaN)).toBe('-');
});
