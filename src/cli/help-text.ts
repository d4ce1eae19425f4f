import type { CliCommand, CliCommandOption } from './cli-command.js';
import { CliExitCode, EXIT_CODE_MEANINGS, type CliExitCodeName } from './exit-code.js';
import { GLOBAL_OPTIONS } from './global-options.js';
import { formatTable } from './text-format.js';

const PROGRAM = 'nact-checkpoint';

/** The program's `--help`: commands, options and exit codes. */
export function programHelp(commands: readonly CliCommand[]): string[] {
  const commandOptions = commands.flatMap((command) => Object.entries(command.options).map(([name, option]) => [name, { ...option, description: `${command.name}: ${option.description}` }] as const));
  return [
    `${PROGRAM}: look into, maintain and report on the checkpoint directory of a nact-checkpoint job`,
    '',
    `usage: ${PROGRAM} <command> [arguments] --dir <path> --job <id> [--json]`,
    `       ${PROGRAM} help [command]`,
    '',
    'commands:',
    ...indented(formatTable(['', ''], commands.map((command) => [synopsis(command), command.summary]), ['left', 'left']).slice(1)),
    '',
    'options:',
    ...optionLines([...Object.entries(GLOBAL_OPTIONS), ...commandOptions]),
    '',
    ...exitCodeLines(),
    '',
    'examples:',
    `  ${PROGRAM} list --dir ./checkpoints --job orders`,
    `  ${PROGRAM} inspect 42 --job orders --json`,
    `  ${PROGRAM} gc --job orders --yes`,
    `  ${PROGRAM} history --job orders`,
    `  ${PROGRAM} report --job orders --out report.html`,
  ];
}

/** One command's `--help`. */
export function commandHelp(command: CliCommand): string[] {
  const own = Object.entries(command.options);
  const options = Object.entries(GLOBAL_OPTIONS).filter(([name]) => name !== 'version');
  return [
    `usage: ${PROGRAM} ${synopsis(command)} --dir <path> --job <id>${own.map(([name, option]) => ` [${optionName(name, option)}]`).join('')} [--json]`,
    '',
    `${command.summary}.`,
    ...command.details,
    '',
    'options:',
    ...optionLines([...own, ...options]),
    '',
    ...exitCodeLines(),
  ];
}

function synopsis(command: CliCommand): string {
  return [command.name, ...command.positionals.map((name) => `<${name}>`)].join(' ');
}

function optionName(name: string, option: CliCommandOption & { readonly short?: string }): string {
  const long = option.type === 'string' ? `--${name} <${option.valueName ?? 'value'}>` : `--${name}`;
  return option.short === undefined ? long : `-${option.short}, ${long}`;
}

function optionLines(options: readonly (readonly [string, CliCommandOption & { readonly short?: string }])[]): string[] {
  return indented(formatTable(['', ''], options.map(([name, option]) => [optionName(name, option), option.description]), ['left', 'left']).slice(1));
}

function exitCodeLines(): string[] {
  const rows = (Object.keys(CliExitCode) as CliExitCodeName[]).map((name) => [String(CliExitCode[name]), name, EXIT_CODE_MEANINGS[name]]);
  return ['exit codes:', ...indented(formatTable(['', '', ''], rows, ['right', 'left', 'left']).slice(1))];
}

function indented(lines: readonly string[]): string[] {
  return lines.map((line) => `  ${line}`);
}
