import { resolve } from 'node:path';
import { AuditSubject, removeOrphans, verifyCheckpoints } from '../storage/checkpoint-audit.js';
import type { CliCommand, CommandInvocation, CommandResult } from './cli-command.js';
import { CliError } from './cli-error.js';
import { CliExitCode } from './exit-code.js';
import { openJobDirectory } from './job-directory.js';
import { describeAudit } from './verify-command.js';
import { formatBytes, plural } from './text-format.js';

/** `gc`: deletes the orphans the audit finds; a dry run unless `--yes`, refused while some metadata cannot be read. */
export const gcCommand: CliCommand = {
  name: 'gc',
  positionals: [],
  summary: 'delete orphaned files (unreferenced, or left by interrupted writes); a dry run unless --yes',
  details: [
    'Run it only while no coordinator of the job is running: the files of a checkpoint in progress look orphaned.',
    'Refused (exit 7) while some metadata cannot be read, because the files it references would look orphaned.',
    'Exits 1 after collecting when referenced files are missing or corrupt.',
  ],
  options: { yes: { type: 'boolean', description: 'really delete the orphans (without it, only list them)' } },
  needsJob: true,
  run: collectGarbage,
};

async function collectGarbage(invocation: CommandInvocation): Promise<CommandResult> {
  const job = await openJobDirectory(invocation.directory, invocation.jobId);
  const report = await verifyCheckpoints({ jobId: job.jobId, storage: job.storage });
  const unreadable = [...new Set([...report.missing, ...report.corrupt].filter((problem) => problem.subject === AuditSubject.METADATA).map((problem) => problem.path))];
  if (unreadable.length > 0) {
    throw new CliError(
      CliExitCode.GC_REFUSED,
      `gc refused: the metadata of ${unreadable.join(', ')} cannot be read, so the files it references would look orphaned and could be lost; ` +
        "fix or remove that metadata ('nact-checkpoint verify' says what is wrong), then run gc again",
    );
  }
  const damaged = report.missing.length + report.corrupt.length > 0;
  const lines = describeAudit(report, job.path);
  const bytes = report.orphans.reduce((sum, orphan) => sum + orphan.size, 0);
  const json = { command: 'gc', jobId: job.jobId, directory: resolve(job.path), dryRun: invocation.options['yes'] !== true, audit: report };
  const problemsExitCode = damaged ? CliExitCode.PROBLEMS_FOUND : CliExitCode.OK;
  if (damaged) lines.push("warning: referenced files are missing or corrupt (listed above); gc cannot repair them: restore from a checkpoint that verifies");

  if (report.orphans.length === 0) {
    lines.push('nothing to delete');
    return { exitCode: problemsExitCode, json: { ...json, removed: [], failed: [] }, lines };
  }
  if (invocation.options['yes'] !== true) {
    lines.push(`dry run: would delete ${plural(report.orphans.length, 'orphan')} (${formatBytes(bytes)}); run again with --yes to delete them, while no coordinator of job ${job.jobId} is running`);
    return { exitCode: problemsExitCode, json: { ...json, removed: [], failed: [] }, lines };
  }
  const removal = await removeOrphans(report, job.storage);
  lines.push(`deleted ${plural(removal.removed.length, 'orphan')}`);
  for (const { path, problem } of removal.failed) lines.push(`  could not delete ${path}: ${problem}`);
  const exitCode = removal.failed.length > 0 ? CliExitCode.GC_INCOMPLETE : problemsExitCode;
  return { exitCode, json: { ...json, removed: removal.removed, failed: removal.failed }, lines };
}
