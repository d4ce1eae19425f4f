import { errorMessage } from '../core/error-message.js';
import { defaultLogger, LogLevel, logSafely, type Logger } from '../core/logger.js';
import type { CheckpointId, JobId } from '../core/ids.js';

/**
 * A task-local copy that could not be written. The checkpoint goes on with its durable copy; only fast local
 * recovery of that checkpoint is lost, so the failure is reported instead of failing the snapshot.
 */
export interface TaskLocalWriteFailure {
  readonly jobId: JobId;
  readonly checkpointId: CheckpointId;
  /** The name of the file whose local copy failed. */
  readonly file: string;
  readonly error: unknown;
}

/** The default reporter of task-local write failures: a warning to `logger` (code `NACT_CHECKPOINT_TASK_LOCAL_WRITE_FAILED`). */
export function warnAboutTaskLocalWriteFailure({ jobId, checkpointId, file, error }: TaskLocalWriteFailure, logger: Logger = defaultLogger): void {
  logSafely(
    logger,
    LogLevel.WARN,
    { code: 'NACT_CHECKPOINT_TASK_LOCAL_WRITE_FAILED', jobId, checkpointId, file },
    `the task-local copy of ${file} for checkpoint ${checkpointId} of job ${jobId} could not be written (${errorMessage(error)}); ` +
      'the checkpoint goes on with its durable copy, and a restore of it will read the durable copy',
  );
}
