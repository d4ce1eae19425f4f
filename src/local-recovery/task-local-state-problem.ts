import type { CheckpointId, JobId, TaskId } from '../core/ids.js';
import { defaultLogger, LogLevel, logSafely, type Logger } from '../core/logger.js';

/** What went wrong with task-local state. None of these fails a checkpoint or a restore: the durable copy is used instead. */
export const TaskLocalStateProblemKind = {
  /** A task-local file could not be written or linked; that checkpoint has no local copy. */
  WRITE_FAILED: 'write-failed',
  /** A checkpoint's local copy could not be recorded (a file it names is missing, or the manifest write failed). */
  STORE_FAILED: 'store-failed',
  /** A restore refused a local copy that did not match the durable handle or failed verification; the local file was deleted. */
  LOCAL_COPY_REJECTED: 'local-copy-rejected',
  /** On open, a checkpoint's manifest failed verification; that checkpoint's local directory was dropped. */
  MANIFEST_UNREADABLE: 'manifest-unreadable',
  /** A local directory or file could not be deleted; it stays on disk until the next open or dispose. */
  DISCARD_FAILED: 'discard-failed',
} as const;
export type TaskLocalStateProblemKind = (typeof TaskLocalStateProblemKind)[keyof typeof TaskLocalStateProblemKind];

/** One reported task-local state problem: counted by the store and passed to its reporter. */
export interface TaskLocalStateProblem {
  readonly kind: TaskLocalStateProblemKind;
  readonly jobId: JobId;
  readonly taskId: TaskId;
  /** The checkpoint concerned, or null when the problem concerns no single checkpoint. */
  readonly checkpointId: CheckpointId | null;
  /** What happened and what it costs, naming the file or directory. */
  readonly message: string;
  /** The underlying error, when there is one. */
  readonly error: unknown;
}

/** The default reporter: a warning to `logger` with code `NACT_CHECKPOINT_TASK_LOCAL_STATE`. */
export function warnAboutTaskLocalStateProblem(problem: TaskLocalStateProblem, logger: Logger = defaultLogger): void {
  logSafely(logger, LogLevel.WARN, { code: 'NACT_CHECKPOINT_TASK_LOCAL_STATE', kind: problem.kind, jobId: problem.jobId, taskId: problem.taskId, checkpointId: problem.checkpointId },
    `task ${problem.taskId} of job ${problem.jobId}: ${problem.message}`);
}
