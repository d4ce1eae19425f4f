import type { AttemptId, CheckpointId, TaskId } from '../core/ids.js';
import type { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';

/**
 * What the coordinator reports to the `onEvent` listener: progress, failures and restores.
 * Nothing that goes wrong is only logged: it is counted in the stats and reported here.
 */
export type CoordinatorEvent =
  | { readonly type: 'checkpoint-triggered'; readonly checkpointId: CheckpointId; readonly savepoint: boolean }
  | { readonly type: 'checkpoint-completed'; readonly checkpoint: CompletedCheckpoint }
  | { readonly type: 'checkpoint-failed'; readonly checkpointId: CheckpointId | null; readonly reason: CheckpointFailureReason; readonly message: string }
  | { readonly type: 'task-failed'; readonly taskId: TaskId; readonly attemptId: AttemptId; readonly error: string }
  | { readonly type: 'task-restarted'; readonly taskId: TaskId; readonly attemptId: AttemptId }
  | { readonly type: 'state-restored'; readonly checkpointId: CheckpointId | null; readonly tasks: number }
  | { readonly type: 'job-failed'; readonly message: string }
  | { readonly type: 'restore-failed'; readonly message: string }
  | { readonly type: 'malformed-message'; readonly problem: string }
  | { readonly type: 'storage-failure'; readonly message: string }
  | { readonly type: 'internal-error'; readonly message: string };
