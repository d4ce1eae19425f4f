import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { asJobId, type JobId } from '../core/ids.js';
import { removeOrphans, verifyCheckpoints, type AuditProblem, type CheckpointAuditReport } from '../storage/checkpoint-audit.js';
import { FileSystemCheckpointStorage } from '../storage/filesystem-checkpoint-storage.js';
import { errorMessage } from '../core/error-message.js';

/** Exit codes of the verify command. */
export const VerifyExitCode = {
  OK: 0,
  PROBLEMS: 1,
  BAD_ARGUMENTS: 2,
} as const;
export type VerifyExitCode = (typeof VerifyExitCode)[keyof typeof VerifyExitCode];

/** Where the command writes its report; `process.stdout` is one. */
export interface CommandOutput {
  write(text: string): unknown;
}

export const VERIFY_USAGE = 'usage: npx tsx src/cli/verify-command.ts --job <jobId> [--dir ./checkpoints] [--remove-orphans]';

const DEFAULT_DIRECTORY = './checkpoints';

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Audits the checkpoints of one job in a checkpoint directory and prints a readable report; with
 * `--remove-orphans` it then deletes the orphans (only safe while no coordinator of the job runs).
 * Resolves to the exit code: 0 when everything checks out, 1 when problems remain, 2 on bad arguments
 * (after printing what was wrong and the usage line).
 * A failing audit is reported and resolves to 1; it does not throw.
 */
export async function runVerifyCommand(argv: readonly string[], out: CommandOutput): Promise<VerifyExitCode> {
  const print = (line = ''): void => void out.write(`${line}\n`);
  let options: { directory: string; jobId: JobId; removeOrphans: boolean } | 'help';
  try {
    options = await parseOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError) && !isParseArgsError(error)) throw error;
    // Node's parse errors go on about positionals after '--'; their first sentence names the bad option.
    print(`error: ${(error as Error).message.replace(/\. .*$/s, '')}`);
    print(VERIFY_USAGE);
    return VerifyExitCode.BAD_ARGUMENTS;
  }
  if (options === 'help') {
    print(VERIFY_USAGE);
    return VerifyExitCode.OK;
  }

  const storage = new FileSystemCheckpointStorage(options.directory);
  try {
    const report = await verifyCheckpoints({ jobId: options.jobId, storage });
    printReport(report, print);
    let remainingOrphans = report.orphans.length;
    if (options.removeOrphans && report.orphans.length > 0) {
      try {
        const removal = await removeOrphans(report, storage);
        print(`removed ${removal.removed.length} orphan(s)`);
        for (const { path, problem } of removal.failed) print(`  could not remove ${path}: ${problem}`);
        remainingOrphans = removal.failed.length;
      } catch (error) {
        print(`orphans kept: ${(error as Error).message}`);
      }
    }
    const ok = report.missing.length === 0 && report.corrupt.length === 0 && remainingOrphans === 0;
    if (!ok && remainingOrphans > 0 && !options.removeOrphans) {
      print('hint: --remove-orphans deletes the orphans; run it only while no coordinator of this job is running');
    }
    print(ok ? 'result: OK' : 'result: PROBLEMS FOUND');
    return ok ? VerifyExitCode.OK : VerifyExitCode.PROBLEMS;
  } catch (error) {
    print(`audit failed: ${errorMessage(error)}`);
    print('result: PROBLEMS FOUND');
    return VerifyExitCode.PROBLEMS;
  }
}

async function parseOptions(argv: readonly string[]): Promise<{ directory: string; jobId: JobId; removeOrphans: boolean } | 'help'> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      dir: { type: 'string', default: DEFAULT_DIRECTORY },
      job: { type: 'string' },
      'remove-orphans': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const job = values.job;
  if (job === undefined) throw new UsageError('missing required option --job');
  if (job.length === 0 || job.includes('/') || job.includes('\\') || job === '.' || job === '..') {
    throw new UsageError(`--job '${job}' is not a job id: it must be a single directory name under --dir`);
  }
  const directory = values.dir;
  if (!(await isDirectory(directory))) throw new UsageError(`--dir ${directory}: no such directory`);
  if (!(await isDirectory(join(directory, job)))) throw new UsageError(`--job ${job}: no directory ${join(directory, job)} (is --dir right?)`);
  return { directory, jobId: asJobId(job), removeOrphans: values['remove-orphans'] };
}

function printReport(report: CheckpointAuditReport, print: (line?: string) => void): void {
  print(`checkpoint audit of job ${report.jobId} in ${report.storage}`);
  print(`  checkpoints checked: ${report.checkpointsChecked}`);
  print(`  files checked: ${report.filesChecked}`);
  const problems = (title: string, list: readonly AuditProblem[]): void => {
    print(`  ${title}: ${list.length}`);
    for (const { path, checkpointIds, problem } of list) {
      const referencedBy = checkpointIds.length === 0 ? '' : ` (checkpoint${checkpointIds.length === 1 ? '' : 's'} ${checkpointIds.join(', ')})`;
      print(`    ${path}${referencedBy}: ${problem}`);
    }
  };
  problems('missing', report.missing);
  problems('corrupt', report.corrupt);
  print(`  orphans: ${report.orphans.length}`);
  for (const { path, size, kind } of report.orphans) print(`    ${path} (${size} bytes, ${kind})`);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

function isMainModule(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMainModule()) {
  // No top-level await: specs load this module through a CommonJS transform.
  void runVerifyCommand(process.argv.slice(2), process.stdout).then((code) => {
    process.exitCode = code;
  });
}
