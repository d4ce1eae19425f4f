import { isPathSafeId } from '../core/path-safe-id.js';
import { spawn, type Ref } from 'nact';
import { tell, typedRef, type TypedRef } from '../actor/typed-ref.js';

import type { JsonValue } from '../core/json.js';
import type { CoordinatorToTaskMessage, RestoreState, TriggerCheckpoint } from '../protocol/task-protocol.js';
import type { KeyedStateHandle, TaskStateSnapshot } from '../state/state-handles.js';
import type { CheckpointedOperator, OperatorFactory } from './checkpointed-operator.js';
import type { TaskDeploymentContext, TaskSpec } from '../protocol/task-deployment.js';
import { TaskProtocolPort } from '../protocol/task-protocol-port.js';
import type { TaskMessage } from './task-message.js';
import { errorMessage } from '../core/error-message.js';
import { findJsonProblem } from '../core/json-problem.js';

interface HarnessState<S extends JsonValue, M> {
  readonly operator: CheckpointedOperator<S, M>;
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

/** True for promises and other thenables; JSON values never are. */
function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { readonly then?: unknown }).then === 'function';
}

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
function snapshot<S extends JsonValue, M>(operator: CheckpointedOperator<S, M>, message: TriggerCheckpoint): TaskStateSnapshot | Promise<TaskStateSnapshot> {
  const value = operator.snapshotState(message.checkpointId);
  if (isPromiseLike(value)) return Promise.resolve(value).then((resolved) => withKeyedState(operator, message, resolved));
  return withKeyedState(operator, message, value);
}

async function restore<S extends JsonValue, M>(operator: CheckpointedOperator<S, M>, message: RestoreState, port: TaskProtocolPort): Promise<void> {
  const state = message.state;
  if (state !== null && state.keyedState.length > 0) {
    if (operator.restoreKeyedState === undefined) {
      throw new Error(`task ${message.taskId}: checkpoint ${message.checkpointId} holds keyed state for it, but its operator has no restoreKeyedState`);
    }
    await operator.restoreKeyedState(state.keyedState);
  }
  await operator.restoreState(port.restoredValue(state) as S | null, message.checkpointId);
}

let attemptsSpawned = 0;

/**
 * A name for the attempt's actor that no other actor of this process has: nact's anonymous names are 31 random
 * bits, so among 10,000 anonymous siblings two collide about 2% of the time and the spawn throws.
 * Undefined (an anonymous actor) for a task id nact would not accept in a name.
 */
function actorNameOf(context: TaskDeploymentContext): string | undefined {
  attemptsSpawned += 1;
  return isPathSafeId(context.taskId) ? `checkpointed-task-${attemptsSpawned}-${context.taskId}` : undefined;
}

/**
 * Spawns one attempt of a task: a nact actor that runs the user's operator and speaks the checkpoint
 * protocol (snapshot and acknowledge on TriggerCheckpoint, declining when the snapshot throws; restore on
 * RestoreState; commit and abort notifications). Messages for another job or attempt are ignored. When the
 * actor crashes or is stopped, it reports TaskFailed to the coordinator, which restarts it as a new attempt.
 * Spawn it anywhere but under the coordinator.
 */
export function spawnTask<S extends JsonValue, M>(
  parent: Ref<unknown>,
  context: TaskDeploymentContext,
  factory: OperatorFactory<S, M>,
): TypedRef<TaskMessage<M>> {
  const port = new TaskProtocolPort(context);
  const acknowledge = (message: TriggerCheckpoint, snapshotState: TaskStateSnapshot): void => port.acknowledge(message.checkpointId, snapshotState);
  const decline = (message: TriggerCheckpoint, error: unknown): void => port.decline(message.checkpointId, error);
  /** `state` once `result` (what an operator hook returned) has settled: at once unless it is a promise. */
  const after = (result: unknown, state: HarnessState<S, M>): HarnessState<S, M> | Promise<HarnessState<S, M>> =>
    (isPromiseLike(result) ? Promise.resolve(result).then(() => state) : state);

  // Not an async function: nact awaits whatever it returns, and operators whose hooks are synchronous (most) then
  // cost no promise chain per message. A hook that throws synchronously crashes the task exactly as a rejection does.
  const handler = (state: HarnessState<S, M>, message: TaskMessage<M>): HarnessState<S, M> | Promise<HarnessState<S, M>> => {
    // A message the task does not understand (not even an object) leaves it as it was.
    if (typeof message !== 'object' || message === null) return state;
    const { operator } = state;
    switch (message.type) {
      case 'Deliver':
        return after(operator.onMessage?.(message.payload), state);
      case 'TriggerCheckpoint': {
        if (!port.isForThisAttempt(message)) return state;
        let taken: TaskStateSnapshot | Promise<TaskStateSnapshot>;
        try {
          taken = snapshot(operator, message);
        } catch (error) {
          decline(message, error);
          return state;
        }
        if (isPromiseLike(taken)) {
          return taken.then(
            (snapshotState) => {
              acknowledge(message, snapshotState);
              return state;
            },
            (error: unknown) => {
              decline(message, error);
              return state;
            },
          );
        }
        acknowledge(message, taken);
        return state;
      }
      case 'NotifyCheckpointComplete':
        return port.isForThisAttempt(message) ? after(operator.notifyCheckpointComplete?.(message.checkpointId), state) : state;
      case 'NotifyCheckpointAborted':
        return port.isForThisAttempt(message) ? after(operator.notifyCheckpointAborted?.(message.checkpointId), state) : state;
      case 'RestoreState':
        return port.isForThisAttempt(message) ? restore(operator, message, port).then(() => state) : state;
      default:
        return state;
    }
  };

  const ref = spawn(parent, handler, actorNameOf(context), {
    initialStateFunc: (ctx) => ({ operator: factory({ ...context, self: typedRef<TaskMessage<M>>(ctx.self) }) }),
    onCrash: (_message, error, ctx) => {
      port.reportFailure(errorMessage(error));
      return ctx.stop;
    },
    afterStop: () => port.reportFailure('the task actor was stopped'),
  });
  return typedRef<TaskMessage<M>>(ref);
}

/** A task of the job whose attempts run `factory`'s operator under `parent` (usually the actor system). */
export function operatorTask<S extends JsonValue, M>(parent: Ref<unknown>, taskId: string, factory: OperatorFactory<S, M>): TaskSpec {
  return { taskId, deploy: (context) => spawnTask(parent, context, factory) };
}

/**
 * Sends one of the task's own messages to its operator. With the ref {@link spawnTask} returned, the payload type
 * follows from the ref. A ref from `GetTasks` only knows the protocol, so name the operator's message type there:
 * `deliver<OrderEvent>(task.ref, event)` (without it the payload type is `never` and nothing compiles).
 */
export function deliver<M = never>(task: TypedRef<TaskMessage<M>> | TypedRef<CoordinatorToTaskMessage>, payload: NoInfer<M>): void {
  tell(task as TypedRef<TaskMessage<M>>, { type: 'Deliver', payload });
}

