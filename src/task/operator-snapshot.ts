import type { JsonValue } from '../core/json.js';
import { findJsonProblem } from '../core/json-problem.js';
import type { TaskProtocolPort } from '../protocol/task-protocol-port.js';
import type { RestoreState, TriggerCheckpoint } from '../protocol/task-protocol.js';
import type { KeyedStateHandle, TaskStateSnapshot } from '../state/state-handles.js';
import type { CheckpointedOperator } from './checkpointed-operator.js';

/** True for promises and other thenables; JSON values never are. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { readonly then?: unknown }).then === 'function';
}

/** A copy of the snapshotted value. @throws Error naming the path of the first value JSON would not keep as it is. */
function copyJson<S extends JsonValue>(value: S): S {
  const problem = findJsonProblem(value);
  if (problem !== null) throw new Error(`snapshotState returned a value that is not JSON: ${problem}`);
  if (value === null || typeof value !== 'object') return value;
  return JSON.parse(JSON.stringify(value)) as S;
}

/** The keyed state of an operator without any: one frozen empty list, not a new array per snapshot. */
const NO_KEYED_STATE: readonly KeyedStateHandle[] = Object.freeze([]);

function snapshotOf<S extends JsonValue>(value: S | undefined, keyedState: readonly KeyedStateHandle[]): TaskStateSnapshot {
  return { operatorState: value === undefined ? null : { kind: 'inline', value: copyJson(value) }, keyedState };
}

function withKeyedState<S extends JsonValue, M>(operator: CheckpointedOperator<S, M>, message: TriggerCheckpoint, value: S): TaskStateSnapshot | Promise<TaskStateSnapshot> {
  if (operator.snapshotKeyedState === undefined) return snapshotOf(value, NO_KEYED_STATE);
  const keyedState = operator.snapshotKeyedState(message.checkpointId, { full: message.fullSnapshot === true });
  if (isPromiseLike(keyedState)) return Promise.resolve(keyedState).then((resolved) => snapshotOf(value, resolved));
  return snapshotOf(value, keyedState);
}

/**
 * Takes the operator's snapshot: operator state, then keyed state, then the copy of the operator state.
 * Synchronous when the operator's hooks are (the common case: no promise, no extra turn of the mailbox);
 * a promise as soon as one of them returns one. @throws what a synchronous hook or the copy throws.
 */
export function snapshotOperator<S extends JsonValue, M>(operator: CheckpointedOperator<S, M>, message: TriggerCheckpoint): TaskStateSnapshot | Promise<TaskStateSnapshot> {
  const value = operator.snapshotState(message.checkpointId);
  if (isPromiseLike(value)) return Promise.resolve(value).then((resolved) => withKeyedState(operator, message, resolved));
  return withKeyedState(operator, message, value);
}

/** Resets the operator to the restored state: keyed state first, then operator state. Rejects with what a hook threw. */
export async function restoreOperator<S extends JsonValue, M>(operator: CheckpointedOperator<S, M>, message: RestoreState, port: TaskProtocolPort): Promise<void> {
  const state = message.state;
  if (state !== null && state.keyedState.length > 0) {
    if (operator.restoreKeyedState === undefined) {
      throw new Error(`task ${message.taskId}: checkpoint ${message.checkpointId} holds keyed state for it, but its operator has no restoreKeyedState`);
    }
    await operator.restoreKeyedState(state.keyedState);
  }
  await operator.restoreState(port.restoredValue(state) as S | null, message.checkpointId);
}
