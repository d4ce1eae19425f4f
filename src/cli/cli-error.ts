import { CliExitCode } from './exit-code.js';

/**
 * A failure the command reports to its user and ends with: it carries the exit code of its class and a message that
 * says what was wrong and how to fix it. Thrown by the command-line parser and the subcommands; `runCli` prints it.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly exitCode: Exclude<CliExitCode, typeof CliExitCode.OK>,
    message: string,
  ) {
    super(message);
  }
}
