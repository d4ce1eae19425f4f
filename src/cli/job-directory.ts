import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { errorMessage } from '../core/error-message.js';
import { asJobId, type JobId } from '../core/ids.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';
import { FileSystemCheckpointStorage } from '../storage/filesystem-checkpoint-storage.js';
import { storageLayout } from '../storage/storage-layout.js';
import { CliError } from './cli-error.js';
import { CliExitCode } from './exit-code.js';

/** A job directory the CLI opened: it exists, is laid out as a job directory, and holds at least one checkpoint. */
export interface JobDirectory {
  readonly jobId: JobId;
  /** `--dir` as the user gave it; messages name paths the way the user wrote them. */
  readonly directory: string;
  /** `<dir>/<jobId>`, as the user would write it. */
  readonly path: string;
  readonly storage: FileSystemCheckpointStorage;
  /** Pointers of every `chk-<id>/_metadata`, ascending by id; never empty unless opened without `requireCheckpoints`. */
  readonly metadataPointers: readonly string[];
}

/** Metadata that could not be read: missing, corrupt, or unreadable for another reason. */
export interface UnreadableMetadata {
  readonly path: string;
  readonly checkpointId: number | null;
  readonly problem: string;
}

/** The retained checkpoints of a job: every `_metadata` that verified, and the ones that did not. */
export interface RetainedCheckpoints {
  readonly checkpoints: readonly CompletedCheckpoint[];
  readonly unreadable: readonly UnreadableMetadata[];
}

const CHECKPOINT_DIRECTORY = /^chk-\d+$/;
/** What only a job directory holds: checkpoint directories, shared and task-owned state, the durable id counter, the history. */
const JOB_DIRECTORY_ENTRIES = ['shared', 'taskowned'];
const ID_COUNTER_FILE = 'checkpoint-id-counter';
const HISTORY_FILE = 'checkpoint-history.json';

/**
 * Opens the directory of job `jobId` under `directory` for reading.
 * @throws CliError with USAGE when `jobId` is absent or not a single directory name, NOT_A_DIRECTORY when `directory`
 *   or the job's path is a file, NOT_A_JOB_DIRECTORY when one of them does not exist or the job's path is not laid out
 *   as a job directory, NO_CHECKPOINTS when it holds no checkpoint metadata (unless `requireCheckpoints` is false:
 *   `history` and `report` read the history of a job whose checkpoints are gone).
 */
export async function openJobDirectory(directory: string, jobId: string | undefined, requireCheckpoints = true): Promise<JobDirectory> {
  if (jobId === undefined) throw new CliError(CliExitCode.USAGE, `missing required option --job <id>${await jobsHint(directory)}`);
  if (jobId.length === 0 || jobId.includes('/') || jobId.includes('\\') || jobId === '.' || jobId === '..') {
    throw new CliError(CliExitCode.USAGE, `--job '${jobId}' is not a job id: it must be a single directory name under --dir`);
  }
  const base = await kindOf(directory);
  if (base === 'missing') throw new CliError(CliExitCode.NOT_A_JOB_DIRECTORY, `--dir ${directory}: no such directory`);
  if (base === 'file') throw new CliError(CliExitCode.NOT_A_DIRECTORY, `--dir ${directory}: not a directory (it is a file)`);

  const path = join(directory, jobId);
  const job = await kindOf(path);
  if (job === 'file') throw new CliError(CliExitCode.NOT_A_DIRECTORY, `${path}: not a directory (it is a file); --job names a directory under --dir`);
  if (job === 'missing') {
    const hint = (await isJobDirectory(directory))
      ? `; --dir ${directory} is itself a job directory: pass its parent as --dir and its name as --job`
      : await jobsHint(directory);
    throw new CliError(CliExitCode.NOT_A_JOB_DIRECTORY, `no job directory ${path}${hint}`);
  }
  if (!(await isJobDirectory(path))) {
    throw new CliError(
      CliExitCode.NOT_A_JOB_DIRECTORY,
      `${path} is not a job directory: it holds no chk-<id>/, shared/, taskowned/, ${ID_COUNTER_FILE} or ${HISTORY_FILE} (is --dir right?)`,
    );
  }

  const storage = new FileSystemCheckpointStorage(directory);
  const id = asJobId(jobId);
  const metadataPointers = await storage.listMetadata(id);
  if (metadataPointers.length === 0 && requireCheckpoints) {
    throw new CliError(CliExitCode.NO_CHECKPOINTS, `job ${jobId} has no checkpoints: no chk-<id>/_metadata under ${path}`);
  }
  return { jobId: id, directory, path, storage, metadataPointers };
}

/** Reads and verifies every checkpoint's metadata; metadata that fails is listed with its problem, not thrown. */
export async function readRetainedCheckpoints(job: JobDirectory): Promise<RetainedCheckpoints> {
  const checkpoints: CompletedCheckpoint[] = [];
  const unreadable: UnreadableMetadata[] = [];
  for (const pointer of job.metadataPointers) {
    try {
      checkpoints.push(await job.storage.readMetadata(pointer));
    } catch (error) {
      const problem = error instanceof CorruptStateError ? error.problem : errorMessage(error);
      unreadable.push({ path: pointer, checkpointId: storageLayout.checkpointIdOf(pointer), problem });
    }
  }
  return { checkpoints, unreadable };
}

async function kindOf(path: string): Promise<'directory' | 'file' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'file';
  } catch (error) {
    if (hasCode(error, 'ENOENT') || hasCode(error, 'ENOTDIR')) return 'missing';
    throw error;
  }
}

async function isJobDirectory(path: string): Promise<boolean> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  return entries.some((entry) =>
    entry.isDirectory() ? CHECKPOINT_DIRECTORY.test(entry.name) || JOB_DIRECTORY_ENTRIES.includes(entry.name) : entry.name === ID_COUNTER_FILE || entry.name === HISTORY_FILE,
  );
}

/** ` (job directories under D: a, b)` for messages, or '' when `directory` cannot be read. */
async function jobsHint(directory: string): Promise<string> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return '';
  }
  const jobs: string[] = [];
  for (const entry of entries) if (entry.isDirectory() && (await isJobDirectory(join(directory, entry.name)))) jobs.push(entry.name);
  jobs.sort();
  return jobs.length === 0 ? ` (no job directories under ${directory})` : ` (job directories under ${directory}: ${jobs.join(', ')})`;
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
