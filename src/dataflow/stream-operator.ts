import type { AttemptId, CheckpointId, TaskId } from '../core/ids.js';
import type { JsonValue } from '../core/json.js';

/** Where an operator puts its output records: every downstream edge gets each record, routed by the edge's partitioner. */
export interface Collector<T> {
  collect(record: T): void;
}

/** What an operator factory is told about the attempt it builds an operator for. */
export interface OperatorContext {
  readonly taskId: TaskId;
  readonly attemptId: AttemptId;
  /** This subtask's index in `[0, parallelism)`. */
  readonly subtask: number;
  readonly parallelism: number;
}

/**
 * The user's logic in an operator or sink task. Every hook is synchronous and runs in mailbox order, between two
 * input batches; a hook that throws crashes the attempt (which the coordinator restarts and the job rewinds), except
 * `snapshotState`, whose exception declines the checkpoint.
 */
export interface StreamOperator<In, Out = never, S extends JsonValue = JsonValue> {
  /** Processes one record of logical input `input` (the index of its edge in the vertex's `inputs`). */
  processRecord(record: In, output: Collector<Out>, input: number): void;
  /** The operator's state at checkpoint `checkpointId`. The value must not be mutated afterwards (return a fresh object). */
  snapshotState(checkpointId: CheckpointId): S;
  /** Resets the operator to a checkpoint's state; both are null when the job restarts from the beginning. */
  restoreState(state: S | null, checkpointId: CheckpointId | null): void;
  /** Checkpoint `checkpointId` completed: everything up to it (and earlier, still uncommitted checkpoints) may become visible. */
  notifyCheckpointComplete?(checkpointId: CheckpointId): void;
  /** Checkpoint `checkpointId` was aborted. */
  notifyCheckpointAborted?(checkpointId: CheckpointId): void;
}

/** Builds a fresh operator for each attempt of a task. */
export type OperatorFactory<In, Out, S extends JsonValue> = (context: OperatorContext) => StreamOperator<In, Out, S>;
