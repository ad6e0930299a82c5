/**
 * What `jenkins-ha pause` and `resume` print about a scheduled switchover (src/cli/commands.ts,
 * switchoverNote). The integration test (scheduled-switchover.test.ts) covers the plain pause and a
 * due resume against real controllers; here the other cases of the pure text.
 */
import { switchoverNote } from '../../../src/cli/commands';
import type { SwitchoverIntent } from '../../../src/controller/status';

const at = '2026-12-07T02:00:00.000Z';
const intent: SwitchoverIntent = { id: 'sw1', candidate: null, from: 'a', reason: '', requestedAt: '2026-12-06T20:00:00.000Z', state: 'scheduled', at };
const before = Date.parse(at) - 60_000;
const after = Date.parse(at) + 60_000;

test('nothing scheduled: nothing printed', () => {
  expect(switchoverNote(null, 'pause', before)).toBe('');
  expect(switchoverNote(null, 'resume', after)).toBe('');
});

test('a drained pause says that resume would start Jenkins only to hand it over', () => {
  expect(switchoverNote(intent, 'drained pause', before)).toBe(
    `note: switchover sw1 to the next in line is scheduled for ${at}: while paused it waits, and if its time comes it runs at resume: ` +
      'the leader then starts Jenkins and hands it over at once (cancel it and ask again after resume to start Jenkins once) (jenkins-ha switchover --cancel drops it)\n',
  );
  expect(switchoverNote(intent, 'pause', before)).not.toMatch(/starts Jenkins/);
});

test('resume before its time: it stays scheduled; after it: the leader hands over now', () => {
  expect(switchoverNote(intent, 'resume', before)).toMatch(/: it stays scheduled \(/);
  expect(switchoverNote({ ...intent, candidate: 'b' }, 'resume', after)).toMatch(/^note: switchover sw1 to b is scheduled for \S+: it is due, so the leader hands over now \(/);
});

test('ZooKeeper unreadable: the command still stands, the note says what could not be checked', () => {
  expect(switchoverNote('cannot reach ZooKeeper at z:2181 within 2 s', 'pause', before)).toBe(
    'note: could not check ZooKeeper for a scheduled switchover (cannot reach ZooKeeper at z:2181 within 2 s)\n',
  );
});
