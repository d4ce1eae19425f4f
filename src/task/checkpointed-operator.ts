import type { TypedRef } from '../actor/typed-ref.js';
import type { CheckpointId } from '../core/ids.js';
import type { JsonValue } from '../core/json.js';
import type { KeyedStateHandle } from '../state/state-handles.js';
import type { TaskDeploymentContext } from '../protocol/task-deployment.js';
import type { TaskMessage } from './task-message.js';

/**
 * The user's logic inside a task: its own message handling plus the checkpoint hooks. The task harness
 * calls the hooks in mailbox order, so a snapshot is taken between two messages, never in the middle of one.
 * A hook that throws (other than `snapshotState`, which declines the checkpoint) crashes the task, which the
 * coordinator restarts as a new attempt and restores.
 */
export interface CheckpointedOperator<S extends JsonValue = JsonValue, M = never> {
  /** Returns the operator's (non-keyed) state for this checkpoint; it is copied, so later mutation is safe. Throwing declines the checkpoint. */
  snapshotState(checkpointId: CheckpointId): S | Promise<S>;
  /** Resets the operator to a checkpoint's state; `state` and `checkpointId` are null when there is nothing to restore. */
  restoreState(state: S | null, checkpointId: CheckpointId | null): void | Promise<void>;
  /**
   * Snapshots keyed state (for example a HeapKeyedStateBackend's) into handles for this checkpoint. With
   * `options.full`, the snapshot must not reference files of earlier snapshots (pass it on: `backend.snapshot(id, options)`).
   */
  snapshotKeyedState?(checkpointId: CheckpointId, options: KeyedSnapshotOptions): readonly KeyedStateHandle[] | Promise<readonly KeyedStateHandle[]>;
  /** Restores keyed state from a checkpoint's handles. Required when the checkpoint holds keyed state for the task. */
  restoreKeyedState?(handles: readonly KeyedStateHandle[]): void | Promise<void>;
  /** The checkpoint completed: commit what it covers (and everything earlier not yet committed). */
  notifyCheckpointComplete?(checkpointId: CheckpointId): void | Promise<void>;
  /** The checkpoint was aborted: drop what was prepared for it. */
  notifyCheckpointAborted?(checkpointId: CheckpointId): void | Promise<void>;
  /** Handles one of the task's own messages. */
  onMessage?(message: M): void | Promise<void>;
}

/** How one keyed snapshot is to be taken. */
export interface KeyedSnapshotOptions {
  /**
   * True when the snapshot must reference no file an earlier snapshot uploaded (the job does not own its restore point;
   * see `TriggerCheckpoint.fullSnapshot`): an incremental backend uploads its whole state as a new base.
   */
  readonly full: boolean;
}

/** What an operator factory is given for each attempt of its task. */
export interface TaskContext<M> extends TaskDeploymentContext {
  /** This attempt's own ref, for sending itself messages. */
  readonly self: TypedRef<TaskMessage<M>>;
}

/** Builds a fresh operator for each attempt of a task. */
export type OperatorFactory<S extends JsonValue, M> = (context: TaskContext<M>) => CheckpointedOperator<S, M>;
