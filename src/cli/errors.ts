/** A command that could not do what was asked: the message says why; exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command line jenkins-ha cannot parse: exit 64 (cli.ts, cli/args.ts). */
export class UsageError extends Error {}

/** A flag's value is wrong (not its spelling): the command exits 2, as a configuration error does. */
export class BadValueError extends UsageError {}
