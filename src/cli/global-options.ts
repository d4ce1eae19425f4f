import type { CliCommandOption } from './cli-command.js';

/** Where `--dir` points when it is not given: the embedded default storage's base. */
export const DEFAULT_CHECKPOINT_DIRECTORY = './checkpoints';

/** Options every subcommand takes. */
export const GLOBAL_OPTIONS: Readonly<Record<string, CliCommandOption & { readonly short?: string }>> = {
  dir: { type: 'string', valueName: 'path', description: `the checkpoint directory: the storage's base, holding one directory per job (default ${DEFAULT_CHECKPOINT_DIRECTORY})` },
  job: { type: 'string', valueName: 'id', description: 'the job: its directory under --dir' },
  json: { type: 'boolean', description: 'print one JSON document on stdout instead of text, errors included' },
  help: { type: 'boolean', short: 'h', description: "show this help; '<command> --help' shows a command's own" },
  version: { type: 'boolean', description: 'print the version' },
};
