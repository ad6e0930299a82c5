import { ConfigError } from '../../src/errors';

/** Run `fn`, expect it to throw a ConfigError, and return it (so a test can check its key and message). */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}
