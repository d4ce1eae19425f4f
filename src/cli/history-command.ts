import { resolve } from 'node:path';
import type { CheckpointHistoryEntry, MinAvgMax } from '../checkpoint/checkpoint-history.js';
import type { CliCommand, CommandInvocation, CommandResult } from './cli-command.js';
import { CliExitCode } from './exit-code.js';
import { openJobDirectory } from './job-directory.js';
import { readJobHistory } from './job-history.js';
import { formatBytes, formatTable, formatTimestamp, plural } from './text-format.js';

/** `history`: the latest checkpoints of a job as its coordinator last persisted them (Flink's checkpoint history tab). */
export const historyCommand: CliCommand = {
  name: 'history',
  positionals: [],
  summary: 'show the checkpoint stats history: per checkpoint status, duration, acknowledgement latency, sizes, failures; restores; a summary',
  details: [
    'Reads <dir>/<job>/checkpoint-history.json, which the coordinator writes after every finished checkpoint and restore',
    '(coordinator options historySize and persistHistory). Works after the job ended, even when its checkpoints are gone.',
  ],
  options: {},
  needsJob: true,
  run: showHistory,
};

const orDash = (value: number | null, format: (value: number) => string): string => (value === null ? '-' : format(value));
const ms = (value: number): string => `${Math.round(value * 10) / 10} ms`;

function entryRow(entry: CheckpointHistoryEntry): string[] {
  const latency = entry.acknowledgementLatency;
  return [
    String(entry.checkpointId),
    entry.kind,
    entry.status,
    formatTimestamp(entry.triggerTimestamp),
    orDash(entry.durationMs, ms),
    latency === null ? '-' : `${ms(latency.p99)} / ${ms(latency.max)}`,
    entry.slowestTask === null ? '-' : entry.slowestTask.taskId,
    orDash(entry.stateSize, formatBytes),
    orDash(entry.persistedBytes, formatBytes),
    entry.failureReason ?? '',
  ];
}

function rangeLine(name: string, range: MinAvgMax | null, format: (value: number) => string): string {
  return range === null ? `  ${name}: -` : `  ${name}: min ${format(range.min)}, avg ${format(range.avg)}, max ${format(range.max)}`;
}

async function showHistory(invocation: CommandInvocation): Promise<CommandResult> {
  const job = await openJobDirectory(invocation.directory, invocation.jobId, false);
  const { file, persisted } = await readJobHistory(job);
  const { history, totals } = persisted;
  const failures = history.entries.filter((entry) => entry.failureMessage !== null);
  const lines = [
    `Checkpoint history of job ${job.jobId} (${file}, written ${formatTimestamp(persisted.writtenAt)})`,
    '',
    ...formatTable(
      ['id', 'kind', 'status', 'triggered', 'duration', 'ack p99 / max', 'slowest task', 'state size', 'persisted', 'failure'],
      history.entries.map(entryRow),
      ['right', 'left', 'left', 'left', 'right', 'right', 'left', 'right', 'right', 'left'],
    ),
  ];
  if (failures.length > 0) {
    lines.push('', 'failures:');
    for (const entry of failures) lines.push(`  ${entry.checkpointId}: ${entry.failureMessage}`);
  }
  lines.push('', history.restores.length === 0 ? 'restores: none' : 'restores:');
  for (const restore of history.restores) lines.push(`  ${formatTimestamp(restore.timestamp)}  ${restore.checkpointId === null ? 'to empty state (no completed checkpoint)' : `to checkpoint ${restore.checkpointId}`}`);
  lines.push(
    '',
    `summary of the last ${plural(history.entries.length, 'checkpoint')} (history size ${history.capacity}): ${history.summary.completed} completed, ${history.summary.failed} failed, ${history.summary.inProgress} in progress`,
    rangeLine('duration', history.summary.durationMs, ms),
    rangeLine('state size', history.summary.stateSize, formatBytes),
    rangeLine('persisted', history.summary.persistedBytes, formatBytes),
    `totals of the run: ${totals.triggered} triggered, ${totals.completed} completed, ${totals.failed} failed, ${totals.restored} restored`,
  );
  return {
    exitCode: CliExitCode.OK,
    json: { command: 'history', jobId: job.jobId, directory: resolve(job.path), file: resolve(file), writtenAt: persisted.writtenAt, totals, history },
    lines,
  };
}
