import { frameChanges, INVERSE, markChanges, RESET } from '../../../src/cli/watch-diff';

const FRAME1 = ['leader: a  epoch: 1  paused: no', '', 'ID  ROLE     READY', 'a   leader   yes', 'b   standby  yes', ''].join('\n');
const FRAME2 = ['leader: b  epoch: 2  paused: no', '', 'ID  ROLE     READY', 'b   leader   no ', 'a   standby  yes', ''].join('\n');

test('the first frame marks nothing', () => {
  expect(frameChanges(null, FRAME1).every((c) => !c.added && c.changedWords.length === 0)).toBe(true);
  expect(markChanges(null, FRAME1, 'tty')).toBe(FRAME1);
  expect(markChanges(null, FRAME1, 'plain').split('\n')).toEqual(['  leader: a  epoch: 1  paused: no', '', '  ID  ROLE     READY', '  a   leader   yes', '  b   standby  yes', '']);
});

test('an unchanged frame marks nothing', () => {
  expect(markChanges(FRAME1, FRAME1, 'plain')).not.toMatch(/^\*/m);
  expect(markChanges(FRAME1, FRAME1, 'tty')).toBe(FRAME1);
});

test('rows are matched by their first word, so a row that moved keeps its match; changed words are found', () => {
  const c = frameChanges(FRAME1, FRAME2);
  expect(c[0]).toEqual({ added: false, changedWords: [1, 3] }); // leader b, epoch 2
  expect(c[2]).toEqual({ added: false, changedWords: [] });
  expect(c[3]).toEqual({ added: false, changedWords: [1, 2] }); // b: standby -> leader, yes -> no
  expect(c[4]).toEqual({ added: false, changedWords: [1] }); // a: leader -> standby
});

test('plain: a changed line starts with *, the others with two spaces', () => {
  expect(markChanges(FRAME1, FRAME2, 'plain').split('\n')).toEqual([
    '* leader: b  epoch: 2  paused: no',
    '',
    '  ID  ROLE     READY',
    '* b   leader   no ',
    '* a   standby  yes',
    '',
  ]);
});

test('tty: only the changed words are inverse, the columns stay where they were', () => {
  const out = markChanges(FRAME1, FRAME2, 'tty').split('\n');
  expect(out[3]).toBe(`b   ${INVERSE}leader${RESET}   ${INVERSE}no${RESET} `);
  expect(out[4]).toBe(`a   ${INVERSE}standby${RESET}  yes`);
  // Without the escapes the frame is the frame.
  expect(out.join('\n').split(INVERSE).join('').split(RESET).join('')).toBe(FRAME2);
});

test('a new line (a member that joined, a new note) is marked whole; repeated first words match by rank', () => {
  const before = 'notes:\n  a: held back\n';
  const after = 'notes:\n  a: held back\n  a: draining\n';
  expect(frameChanges(before, after).map((c) => c.added)).toEqual([false, false, true, false]);
  expect(markChanges(before, after, 'tty').split('\n')[2]).toBe(`${INVERSE}  a: draining${RESET}`);
  expect(markChanges(before, after, 'plain').split('\n')[2]).toBe('*   a: draining');
});
