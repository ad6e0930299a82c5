/**
 * cli.ts imports home-io-warm first so that `jenkins-ha run` starts its JENKINS_HOME I/O helper
 * while the controller's modules load. It must recognise `run` the way cli.ts parses a command
 * line, and start nothing when the program is not cli.js (a test, a script, another command).
 */
import { commandOf } from '../../../src/fencing/home-io-warm';
import { sharedHomeIo } from '../../../src/fencing/home-io';

test('the command is the first word that is neither an option nor the file of -c/--config', () => {
  expect(commandOf(['run'])).toBe('run');
  expect(commandOf(['-c', 'run', 'status'])).toBe('status');
  expect(commandOf(['--config', '/etc/jha.json', 'run', '--drain'])).toBe('run');
  expect(commandOf(['--config=/etc/jha.json', 'run'])).toBe('run');
  expect(commandOf(['--version'])).toBeNull();
  expect(commandOf([])).toBeNull();
});

test('imported by anything but cli.js, it starts no helper', () => {
  expect(sharedHomeIo().pids().helper).toBeNull();
});
