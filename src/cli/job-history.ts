import type { PersistedCheckpointHistory } from '../checkpoint/checkpoint-history.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';
import { storageLayout } from '../storage/storage-layout.js';
import { CliError } from './cli-error.js';
import { CliExitCode } from './exit-code.js';
import type { JobDirectory } from './job-directory.js';

/** A job's persisted history, and the file it was read from (as the user would write its path). */
export interface JobHistory {
  readonly file: string;
  readonly persisted: PersistedCheckpointHistory;
}

/**
 * Reads and verifies the job's `checkpoint-history.json`.
 * @throws CliError with NO_HISTORY when there is none, PROBLEMS_FOUND when it fails verification (naming the problem).
 */
export async function readJobHistory(job: JobDirectory): Promise<JobHistory> {
  const file = `${job.directory.replace(/\/+$/, '')}/${storageLayout.historyFile(job.jobId)}`;
  let persisted: PersistedCheckpointHistory | null;
  try {
    persisted = await job.storage.readHistory(job.jobId);
  } catch (error) {
    if (error instanceof CorruptStateError) throw new CliError(CliExitCode.PROBLEMS_FOUND, `${file} cannot be read: ${error.problem}; the coordinator replaces it at its next finished checkpoint`);
    throw error;
  }
  if (persisted === null) {
    throw new CliError(
      CliExitCode.NO_HISTORY,
      `job ${job.jobId} has no checkpoint history: no ${file} (a coordinator writes it when it runs with a storage and persistHistory is on)`,
    );
  }
  return { file, persisted };
}
