import type { CliCommand } from './cli-command.js';
import { gcCommand } from './gc-command.js';
import { inspectCommand } from './inspect-command.js';
import { listCommand } from './list-command.js';
import { verifyCommand } from './verify-command.js';
import { historyCommand } from './history-command.js';
import { reportCommand } from './report-command.js';

/** Every subcommand, in the order help lists them. A new subcommand is one more entry. */
export const CLI_COMMANDS: readonly CliCommand[] = [listCommand, inspectCommand, verifyCommand, gcCommand, historyCommand, reportCommand];
