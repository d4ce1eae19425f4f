import type { JsonValue } from '../core/json.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import type { CheckpointedOperator, TaskContext } from '../task/checkpointed-operator.js';

/** What an operator kind is given for each attempt of a task of a job run by a job manager. */
export interface OperatorKindContext<M = unknown> extends TaskContext<M> {
  /** The task's `config` from the job definition (null when it has none). */
  readonly config: JsonValue;
  /**
   * The job's checkpoint storage, for keyed state backends (`HeapKeyedStateBackend`'s `storage`): it also reads the
   * files of the savepoint or retained checkpoint the job was started from, wherever they lie.
   */
  readonly storage: CheckpointStorage;
}

/**
 * An operator kind: builds the operator of one task attempt from its context. Job managers know kinds by name (their
 * `operators` option, or the exports of a job's operator bundle); a job definition names them. Send the task its own
 * messages with `deliver<YourMessage>(context.self, message)`.
 */
export type OperatorKindFactory = (context: OperatorKindContext) => CheckpointedOperator<JsonValue, never>;
