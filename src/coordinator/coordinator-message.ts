import type { CheckpointId } from '../core/ids.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { CoordinatorRequest } from '../protocol/coordinator-protocol.js';
import type { TaskToCoordinatorMessage } from '../protocol/task-protocol.js';

/** Messages the coordinator sends itself when a timer fires or asynchronous work finishes. Never sent by users. */
export type CoordinatorInternalMessage =
  | { readonly type: 'StartCoordinator' }
  | { readonly type: 'SchedulerTick'; readonly generation: number }
  | { readonly type: 'PauseElapsed' }
  | { readonly type: 'CheckpointIdAssigned'; readonly token: number; readonly checkpointId: CheckpointId }
  | { readonly type: 'CheckpointIdFailed'; readonly token: number; readonly error: string }
  | { readonly type: 'CheckpointExpired'; readonly checkpointId: CheckpointId }
  | { readonly type: 'CheckpointFinalized'; readonly checkpoint: CompletedCheckpoint; readonly subsumed: readonly CompletedCheckpoint[] }
  | { readonly type: 'CheckpointFinalizeFailed'; readonly checkpointId: CheckpointId; readonly error: string }
  | { readonly type: 'RunFailover'; readonly token: number }
  | { readonly type: 'NotifyTasksOfCompletion' }
  | { readonly type: 'TaskMessageBatch'; readonly messages: readonly TaskToCoordinatorMessage[] };

export const INTERNAL_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  'StartCoordinator', 'SchedulerTick', 'PauseElapsed', 'CheckpointIdAssigned', 'CheckpointIdFailed',
  'CheckpointExpired', 'CheckpointFinalized', 'CheckpointFinalizeFailed', 'RunFailover', 'NotifyTasksOfCompletion', 'TaskMessageBatch',
]);

/** Everything a coordinator's mailbox accepts from the outside: task messages and client requests. */
export type CoordinatorMessage = TaskToCoordinatorMessage | CoordinatorRequest;

/** Everything a coordinator's mailbox holds, including its own internal messages. */
export type CoordinatorMailboxMessage = CoordinatorMessage | CoordinatorInternalMessage;
