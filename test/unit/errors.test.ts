/**
 * hasCode: true for an error carrying one of the given codes (ours, or any object with that
 * `code`), false otherwise; a code that does not exist is a compile error (checked by typecheck).
 */
import { HaError, SyncError, ZkError, hasCode } from '../../src/errors';

describe('hasCode', () => {
  const noNode = new ZkError('ZK_NO_NODE', 'gone', 'getData', '/ha/x');

  it('matches the code an error carries, and any of several', () => {
    expect(hasCode(noNode, 'ZK_NO_NODE')).toBe(true);
    expect(hasCode(new SyncError('GIT_TIMEOUT', 'slow'), 'GIT_FAILED', 'GIT_TIMEOUT', 'GIT_NOT_FOUND')).toBe(true);
  });

  it('does not match another code, a plain Error, or a non-error', () => {
    expect(hasCode(noNode, 'ZK_NODE_EXISTS')).toBe(false);
    expect(hasCode(new Error('ZK_NO_NODE'), 'ZK_NO_NODE')).toBe(false);
    expect(hasCode(undefined, 'ZK_NO_NODE')).toBe(false);
    expect(hasCode('ZK_NO_NODE', 'ZK_NO_NODE')).toBe(false);
  });

  it('matches an error from another module copy by its code, as errorCode() does', () => {
    expect(hasCode({ code: 'LOCK_IO', message: 'x' }, 'LOCK_IO')).toBe(true);
    expect(hasCode(new HaError('CONFLICT', 'x'), 'CONFLICT')).toBe(true);
  });

  it('refuses a misspelt code at compile time', () => {
    // @ts-expect-error 'ZK_NONODE' is not an ErrorCode
    expect(hasCode(noNode, 'ZK_NONODE')).toBe(false);
  });
});
