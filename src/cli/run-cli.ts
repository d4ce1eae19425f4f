import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { errorMessage } from '../core/error-message.js';
import type { CliCommand, CommandInvocation } from './cli-command.js';
import { CLI_COMMANDS } from './cli-commands.js';
import { CliError } from './cli-error.js';
import { CliExitCode, exitCodeName } from './exit-code.js';
import { DEFAULT_CHECKPOINT_DIRECTORY, GLOBAL_OPTIONS } from './global-options.js';
import { commandHelp, programHelp } from './help-text.js';

/** Where the command writes: `process.stdout` and `process.stderr` are such streams. */
export interface CliOutput {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

type ParsedValues = Record<string, string | boolean | undefined>;

/** Options of the earlier `npm run verify` script, with what replaced them. */
const RENAMED_OPTIONS: Readonly<Record<string, string>> = { '--remove-orphans': "orphans are deleted by 'gc --yes' now" };

/**
 * Runs `nact-checkpoint` with `argv` (the arguments after the program name) and resolves to its exit code. Results go
 * to stdout, as text or, with `--json`, as one JSON document; errors go to stderr as text, or to stdout as a JSON
 * document with `--json`. Every failure resolves to its exit code; nothing is thrown.
 */
export async function runCli(argv: readonly string[], output: CliOutput, commands: readonly CliCommand[] = CLI_COMMANDS): Promise<CliExitCode> {
  const json = argv.includes('--json');
  let commandName: string | null = null;
  try {
    const { values, positionals } = parseCommandLine(argv, commands);
    if (values['version'] === true) {
      print(output.stdout, json ? [JSON.stringify({ version: packageVersion() })] : [packageVersion()]);
      return CliExitCode.OK;
    }
    const [name, ...rest] = positionals;
    if (name === undefined || name === 'help') {
      if (name === undefined && values['help'] !== true) throw new CliError(CliExitCode.USAGE, `missing command; one of ${commands.map((c) => c.name).join(', ')}`);
      const topic = name === 'help' ? rest[0] : undefined;
      print(output.stdout, topic === undefined ? programHelp(commands) : commandHelp(commandNamed(topic, commands)));
      return CliExitCode.OK;
    }
    const command = commandNamed(name, commands);
    commandName = command.name;
    if (values['help'] === true) {
      print(output.stdout, commandHelp(command));
      return CliExitCode.OK;
    }
    const result = await command.run(invocationOf(command, values, rest, commands));
    print(output.stdout, json ? [JSON.stringify(result.json, null, 2)] : result.lines);
    return result.exitCode;
  } catch (error) {
    const failure = error instanceof CliError ? error : new CliError(CliExitCode.UNEXPECTED, `unexpected failure: ${errorMessage(error)}`);
    if (json) {
      const document = { command: commandName, error: { code: exitCodeName(failure.exitCode), exitCode: failure.exitCode, message: failure.message } };
      print(output.stdout, [JSON.stringify(document, null, 2)]);
    } else {
      const hint = failure.exitCode === CliExitCode.USAGE ? [`run 'nact-checkpoint ${commandName === null ? '' : `${commandName} `}--help' for usage`] : [];
      print(output.stderr, [`error: ${failure.message}`, ...hint]);
    }
    return failure.exitCode;
  }
}

function parseCommandLine(argv: readonly string[], commands: readonly CliCommand[]): { values: ParsedValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, option] of Object.entries(GLOBAL_OPTIONS)) options[name] = option.short === undefined ? { type: option.type } : { type: option.type, short: option.short };
  for (const command of commands) for (const [name, option] of Object.entries(command.options)) options[name] = { type: option.type };
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as ParsedValues, positionals };
  } catch (error) {
    // Node's parse errors go on about '--' after their first sentence, which names what was wrong.
    if (isParseArgsError(error)) {
      const renamed = Object.keys(RENAMED_OPTIONS).find((name) => argv.includes(name));
      const hint = renamed === undefined ? '' : `; ${RENAMED_OPTIONS[renamed]}`;
      throw new CliError(CliExitCode.USAGE, `${errorMessage(error).replace(/\. .*$/s, '')}${hint}`);
    }
    throw error;
  }
}

function commandNamed(name: string, commands: readonly CliCommand[]): CliCommand {
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) throw new CliError(CliExitCode.USAGE, `unknown command '${name}'; commands: ${commands.map((c) => c.name).join(', ')}`);
  return command;
}

function invocationOf(command: CliCommand, values: ParsedValues, positionals: readonly string[], commands: readonly CliCommand[]): CommandInvocation {
  for (const other of commands) {
    if (other === command) continue;
    for (const name of Object.keys(other.options)) {
      if (values[name] !== undefined && !(name in command.options)) throw new CliError(CliExitCode.USAGE, `--${name} is an option of ${other.name}, not of ${command.name}`);
    }
  }
  if (positionals.length > command.positionals.length) {
    throw new CliError(CliExitCode.USAGE, `unexpected argument '${positionals[command.positionals.length]}' for ${command.name}`);
  }
  const options: ParsedValues = {};
  for (const name of Object.keys(command.options)) options[name] = values[name];
  const directory = values['dir'];
  const jobId = values['job'];
  return {
    directory: typeof directory === 'string' ? directory : DEFAULT_CHECKPOINT_DIRECTORY,
    jobId: typeof jobId === 'string' ? jobId : undefined,
    positionals,
    options,
  };
}

function print(stream: CliOutput['stdout'], lines: readonly string[]): void {
  stream.write(lines.map((line) => `${line}\n`).join(''));
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** The version in the package.json two directories up: the same from `src/cli` and from `dist/cli`. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(manifest.version);
}
