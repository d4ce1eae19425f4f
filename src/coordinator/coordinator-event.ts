import type { AttemptId, CheckpointId, JobId, TaskId } from '../core/ids.js';
import type { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';

/** What every coordinator event carries: when it happened (the coordinator's clock) and the job it concerns. */
export interface CoordinatorEventEnvelope {
  /** Milliseconds since the epoch, from the coordinator's clock (a ManualClock's time in specs). */
  readonly timestamp: number;
  readonly jobId: JobId;
}

/** The content of each kind of coordinator event, without its envelope. */
export type CoordinatorEventBody =
  | { readonly type: 'checkpoint-triggered'; readonly checkpointId: CheckpointId; readonly savepoint: boolean }
  | { readonly type: 'checkpoint-completed'; readonly checkpoint: CompletedCheckpoint }
  | { readonly type: 'checkpoint-failed'; readonly checkpointId: CheckpointId | null; readonly reason: CheckpointFailureReason; readonly message: string }
  | { readonly type: 'task-failed'; readonly taskId: TaskId; readonly attemptId: AttemptId; readonly error: string }
  | { readonly type: 'task-restarted'; readonly taskId: TaskId; readonly attemptId: AttemptId }
  /** A failure stopped the job; the restart strategy restores it after `delayMs`. `attempt` counts the restarts so far. */
  | { readonly type: 'restart-scheduled'; readonly cause: string; readonly delayMs: number; readonly attempt: number }
  | { readonly type: 'state-restored'; readonly checkpointId: CheckpointId | null; readonly tasks: number }
  /** The job failed for good (the restart strategy gave up, or it cannot be restored): the coordinator ended with FAILED. */
  | { readonly type: 'job-failed'; readonly message: string }
  | { readonly type: 'restore-failed'; readonly message: string }
  | { readonly type: 'malformed-message'; readonly problem: string }
  | { readonly type: 'storage-failure'; readonly message: string }
  /** Files the coordinator was asked to discard and left alone, because they were not its to delete. */
  | { readonly type: 'state-discard-refused'; readonly checkpointId: CheckpointId; readonly refused: readonly { readonly path: string; readonly reason: string }[] }
  | { readonly type: 'internal-error'; readonly message: string };

/**
 * What the coordinator reports to the `onEvent` listener and its logger: progress, failures and restores, each with
 * its timestamp and job id. Nothing that goes wrong is only logged: it is counted in the stats and reported here.
 */
export type CoordinatorEvent = CoordinatorEventBody & CoordinatorEventEnvelope;

/** The type names of coordinator events. */
export type CoordinatorEventType = CoordinatorEvent['type'];
