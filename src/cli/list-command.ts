import { resolve } from 'node:path';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { CliCommand, CommandInvocation, CommandResult } from './cli-command.js';
import { CliExitCode } from './exit-code.js';
import { openJobDirectory, readRetainedCheckpoints } from './job-directory.js';
import { formatBytes, formatTable, formatTimestamp, plural } from './text-format.js';

/** One retained checkpoint or savepoint as `list --json` prints it. */
export interface ListedCheckpoint {
  readonly id: number;
  readonly kind: CompletedCheckpoint['properties']['type'];
  readonly retention: CompletedCheckpoint['properties']['retention'];
  readonly triggerTimestamp: number;
  readonly completionTimestamp: number;
  readonly completedAt: string;
  readonly durationMs: number;
  /** Bytes of state the checkpoint refers to (inline, private and shared). */
  readonly stateSize: number;
  readonly tasks: number;
  readonly metadata: string;
}

/** `list`: the retained checkpoints and savepoints of a job, oldest first, with the ones whose metadata cannot be read. */
export const listCommand: CliCommand = {
  name: 'list',
  positionals: [],
  summary: 'list retained checkpoints and savepoints: id, kind, completion time, duration, state size, tasks',
  details: ['Metadata that cannot be read is listed as unreadable, and the command then exits 1.'],
  options: {},
  needsJob: true,
  run: listCheckpoints,
};

async function listCheckpoints(invocation: CommandInvocation): Promise<CommandResult> {
  const job = await openJobDirectory(invocation.directory, invocation.jobId);
  const { checkpoints, unreadable } = await readRetainedCheckpoints(job);
  const listed: ListedCheckpoint[] = checkpoints.map((checkpoint) => ({
    id: checkpoint.checkpointId,
    kind: checkpoint.properties.type,
    retention: checkpoint.properties.retention,
    triggerTimestamp: checkpoint.triggerTimestamp,
    completionTimestamp: checkpoint.completionTimestamp,
    completedAt: formatTimestamp(checkpoint.completionTimestamp),
    durationMs: checkpoint.completionTimestamp - checkpoint.triggerTimestamp,
    stateSize: checkpoint.stateSize,
    tasks: Object.keys(checkpoint.taskStates).length,
    metadata: checkpoint.externalPointer ?? '',
  }));

  const rows = listed.map((entry) => [String(entry.id), entry.kind, entry.completedAt, `${entry.durationMs} ms`, formatBytes(entry.stateSize), String(entry.tasks)]);
  const savepoints = listed.filter((entry) => entry.kind === 'savepoint').length;
  const lines = [
    `Checkpoints of job ${job.jobId} in ${job.path}`,
    '',
    ...formatTable(['id', 'kind', 'completed', 'duration', 'state size', 'tasks'], rows, ['right', 'left', 'left', 'right', 'right', 'right']),
    '',
    `${listed.length} retained: ${plural(listed.length - savepoints, 'checkpoint')}, ${plural(savepoints, 'savepoint')}`,
  ];
  if (unreadable.length > 0) {
    lines.push(`${plural(unreadable.length, 'metadata file')} cannot be read (run 'nact-checkpoint verify' for the full audit):`);
    for (const entry of unreadable) lines.push(`  ${entry.path}: ${entry.problem}`);
  }
  return {
    exitCode: unreadable.length > 0 ? CliExitCode.PROBLEMS_FOUND : CliExitCode.OK,
    json: { command: 'list', jobId: job.jobId, directory: resolve(job.path), checkpoints: listed, unreadable },
    lines,
  };
}
