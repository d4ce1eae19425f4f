import type { CliExitCode } from './exit-code.js';

/** An option a subcommand adds to the global ones (`--dir`, `--job`, `--json`, `--help`). */
export interface CliCommandOption {
  readonly type: 'boolean' | 'string';
  /** The value's name in help, for string options (`--out <file>`). */
  readonly valueName?: string;
  readonly description: string;
}

/** What the command line asked a subcommand to do, after parsing. */
export interface CommandInvocation {
  /** `--dir` as given (default `./checkpoints`). */
  readonly directory: string;
  /** `--job` as given, or undefined when absent; commands that need it open it with `openJobDirectory`. */
  readonly jobId: string | undefined;
  /** The subcommand's positional arguments, in the order of {@link CliCommand.positionals}. */
  readonly positionals: readonly string[];
  /** Values of the subcommand's own options; absent booleans are false. */
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
}

/** What a subcommand found: its JSON document (for `--json`) and the same content as lines for people. */
export interface CommandResult {
  readonly exitCode: CliExitCode;
  readonly json: Readonly<Record<string, unknown>>;
  readonly lines: readonly string[];
}

/**
 * One subcommand of `nact-checkpoint`. The help text is generated from these fields, so a new subcommand (`history`,
 * `report`) is one more object in the command table. `run` reports expected failures by throwing a `CliError`.
 */
export interface CliCommand {
  readonly name: string;
  /** Positional arguments, as shown in help (`['id']` shows `<id>`). */
  readonly positionals: readonly string[];
  readonly summary: string;
  /** More lines of the subcommand's own help. */
  readonly details: readonly string[];
  readonly options: Readonly<Record<string, CliCommandOption>>;
  /** Whether the command reads one job's directory (and so requires `--job`). */
  readonly needsJob: boolean;
  run(invocation: CommandInvocation): Promise<CommandResult>;
}
