import type { CheckpointId } from '../core/ids.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { TypedRef } from '../actor/typed-ref.js';
import type { CoordinatorRequest, Done } from '../protocol/coordinator-protocol.js';
import type { TaskToCoordinatorMessage } from '../protocol/task-protocol.js';

/** Messages the coordinator sends itself when a timer fires or asynchronous work finishes. Never accepted from outside. */
export type CoordinatorInternalMessage =
  | { readonly type: 'StartCoordinator' }
  | { readonly type: 'SchedulerTick'; readonly generation: number }
  | { readonly type: 'PauseElapsed' }
  | { readonly type: 'CheckpointIdAssigned'; readonly token: number; readonly checkpointId: CheckpointId }
  | { readonly type: 'CheckpointIdFailed'; readonly token: number; readonly error: string }
  | { readonly type: 'CheckpointExpired'; readonly checkpointId: CheckpointId }
  | { readonly type: 'CheckpointFinalized'; readonly checkpoint: CompletedCheckpoint; readonly savepointPath: string | null }
  | { readonly type: 'CheckpointFinalizeFailed'; readonly checkpoint: CompletedCheckpoint; readonly error: string; readonly storeKeepsState: boolean }
  | { readonly type: 'RunRestore'; readonly token: number }
  | { readonly type: 'CounterAdvanceFailed'; readonly checkpointId: CheckpointId; readonly error: string }
  | { readonly type: 'StoresShutDown'; readonly error: string | null; readonly replyTo: TypedRef<Done> | null }
  | { readonly type: 'NotifyTasksOfCompletion' }
  | { readonly type: 'TaskMessageBatch'; readonly messages: readonly TaskToCoordinatorMessage[] };

const INTERNAL_TYPES: ReadonlySet<string> = new Set<CoordinatorInternalMessage['type']>([
  'StartCoordinator', 'SchedulerTick', 'PauseElapsed', 'CheckpointIdAssigned', 'CheckpointIdFailed', 'CheckpointExpired',
  'CheckpointFinalized', 'CheckpointFinalizeFailed', 'RunRestore', 'CounterAdvanceFailed', 'StoresShutDown', 'NotifyTasksOfCompletion', 'TaskMessageBatch',
]);

// Internal messages are recognised by identity, not by their type: only this module can put a message here, so one
// forged from outside with the same `type` is told apart (nact delivers in-process messages as the very same object).
const sealed = new WeakSet<object>();

/** Marks a message as the coordinator's own. */
export function internal<M extends CoordinatorInternalMessage>(message: M): M {
  sealed.add(message);
  return message;
}

/** Whether a message was sealed by {@link internal}. */
export function isInternal(message: unknown): message is CoordinatorInternalMessage {
  return typeof message === 'object' && message !== null && sealed.has(message);
}

/** Whether a message carries the type of an internal message (and so, unsealed, was forged). */
export function hasInternalType(message: { readonly type: unknown }): boolean {
  return typeof message.type === 'string' && INTERNAL_TYPES.has(message.type);
}

/** Everything a coordinator's mailbox accepts from the outside: task messages and client requests. */
export type CoordinatorMessage = TaskToCoordinatorMessage | CoordinatorRequest;

/** Everything a coordinator's mailbox holds, including its own internal messages. */
export type CoordinatorMailboxMessage = CoordinatorMessage | CoordinatorInternalMessage;
