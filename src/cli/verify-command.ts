import { resolve } from 'node:path';
import { verifyCheckpoints, type AuditProblem, type CheckpointAuditReport } from '../storage/checkpoint-audit.js';
import type { CliCommand, CommandInvocation, CommandResult } from './cli-command.js';
import { CliExitCode } from './exit-code.js';
import { openJobDirectory } from './job-directory.js';
import { formatBytes } from './text-format.js';

/** `verify`: the mark-and-sweep audit of a job's checkpoints (`verifyCheckpoints`); reads only. */
export const verifyCommand: CliCommand = {
  name: 'verify',
  positionals: [],
  summary: 'audit every retained checkpoint: referenced files present with the right size and checksum, and no orphans',
  details: ["Exits 1 when a file is missing or corrupt or an orphan remains; 'gc' deletes the orphans."],
  options: {},
  needsJob: true,
  run: verify,
};

async function verify(invocation: CommandInvocation): Promise<CommandResult> {
  const job = await openJobDirectory(invocation.directory, invocation.jobId);
  const report = await verifyCheckpoints({ jobId: job.jobId, storage: job.storage });
  const lines = describeAudit(report, job.path);
  if (report.orphans.length > 0) lines.push("hint: 'nact-checkpoint gc' lists the orphans it would delete; run it only while no coordinator of this job is running");
  lines.push(report.ok ? 'result: OK' : 'result: PROBLEMS FOUND');
  return {
    exitCode: report.ok ? CliExitCode.OK : CliExitCode.PROBLEMS_FOUND,
    json: { command: 'verify', directory: resolve(job.path), ...report },
    lines,
  };
}

/** The audit for people: counts, then each missing, corrupt and orphaned file. Shared with `gc`. */
export function describeAudit(report: CheckpointAuditReport, path: string): string[] {
  const lines = [
    `Audit of job ${report.jobId} in ${path}`,
    `  checkpoints checked: ${report.checkpointsChecked}`,
    `  files checked: ${report.filesChecked}`,
  ];
  const problems = (title: string, list: readonly AuditProblem[]): void => {
    lines.push(`  ${title}: ${list.length}`);
    for (const { path: file, checkpointIds, problem } of list) {
      const referencedBy = checkpointIds.length === 0 ? '' : ` (checkpoint${checkpointIds.length === 1 ? '' : 's'} ${checkpointIds.join(', ')})`;
      lines.push(`    ${file}${referencedBy}: ${problem}`);
    }
  };
  problems('missing', report.missing);
  problems('corrupt', report.corrupt);
  lines.push(`  orphans: ${report.orphans.length}`);
  for (const { path: file, size, kind } of report.orphans) lines.push(`    ${file} (${formatBytes(size)}, ${kind})`);
  return lines;
}
