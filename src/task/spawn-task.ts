import { isPathSafeId } from '../core/path-safe-id.js';
import { spawn, stop, type Ref } from 'nact';
import { offerPriorityLane } from '../actor/priority-lane.js';
import { tell, typedRef, type TypedRef } from '../actor/typed-ref.js';

import type { JsonValue } from '../core/json.js';
import type { CoordinatorToTaskMessage, RestoreState, TriggerCheckpoint } from '../protocol/task-protocol.js';
import type { KeyedStateHandle, TaskStateSnapshot } from '../state/state-handles.js';
import type { CheckpointedOperator, OperatorFactory } from './checkpointed-operator.js';
import type { TaskDeploymentContext, TaskSpec } from '../protocol/task-deployment.js';
import { TaskProtocolPort } from '../protocol/task-protocol-port.js';
import type { TaskMessage } from './task-message.js';
import { ProtocolInbox } from './protocol-inbox.js';
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
  const keyedState = operator.snapshotKeyedState(message.checkpointId);
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

type Step<S extends JsonValue, M> = HarnessState<S, M> | Promise<HarnessState<S, M>>;

/** `next` applied to what `step` gives: at once unless `step` is a promise. */
function andThen<S extends JsonValue, M>(step: Step<S, M>, next: (state: HarnessState<S, M>) => Step<S, M>): Step<S, M> {
  return isPromiseLike(step) ? step.then(next) : next(step);
}

/**
 * Spawns one attempt of a task: a nact actor that runs the user's operator and speaks the checkpoint
 * protocol (snapshot and acknowledge on TriggerCheckpoint, declining when the snapshot throws; restore on
 * RestoreState; commit and abort notifications). Messages for another job or attempt are ignored. When the
 * actor crashes or is stopped, it reports TaskFailed to the coordinator, which restarts it as a new attempt.
 * Spawn it anywhere but under the coordinator.
 *
 * The attempt offers a priority lane for protocol messages (see {@link offerPriorityLane}), which the coordinator
 * uses: protocol messages then overtake the task's own queued messages. They are handled as soon as the operator is
 * free (in the turn they were sent when it is idle, else right after the message it is handling), never during one of
 * its messages. A snapshot thus reflects a prefix of the task's own messages (every one handled before it, none after):
 * a consistent point of this task. Protocol messages keep their order among themselves, and the task's own messages
 * keep theirs. Protocol messages sent to the mailbox are handled in mailbox order, as before.
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
  const after = (result: unknown, state: HarnessState<S, M>): Step<S, M> =>
    (isPromiseLike(result) ? Promise.resolve(result).then(() => state) : state);

  let self: TypedRef<TaskMessage<M>> | null = null;
  /** The harness state nact holds, once the operator was built. */
  let harness: HarnessState<S, M> | null = null;
  /** Operator code is running or being awaited: nothing else may call the operator until it is done. */
  let busy = false;
  /** The attempt crashed or was stopped: it runs no more operator code. */
  let ended = false;
  /** While the lane's own handling awaits an operator hook: the mailbox's next message waits for it. */
  let laneWork: Promise<void> | null = null;

  const handleProtocol = (state: HarnessState<S, M>, message: CoordinatorToTaskMessage): Step<S, M> => {
    const { operator } = state;
    switch (message.type) {
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

  /**
   * Handles every protocol message waiting in the lane, in order, including those offered while one is awaited. With
   * `release`, frees the operator in the same synchronous step as the last look, so no offer falls between the two.
   */
  const drain = (state: HarnessState<S, M>, release: boolean): Step<S, M> => {
    for (let next = inbox.take(); next !== undefined; next = inbox.take()) {
      const result = handleProtocol(state, next);
      if (isPromiseLike(result)) return result.then((settled) => drain(settled, release));
    }
    if (release) busy = false;
    return state;
  };

  const handleOne = (state: HarnessState<S, M>, message: TaskMessage<M>): Step<S, M> => {
    // A message the task does not understand (not even an object) leaves it as it was.
    if (typeof message !== 'object' || message === null) return state;
    if (message.type === 'Deliver') return after(state.operator.onMessage?.(message.payload), state);
    return handleProtocol(state, message);
  };

  /** A hook run from the lane failed: the attempt fails exactly as if it had crashed in its mailbox. */
  const crash = (error: unknown): void => {
    if (ended) return;
    ended = true;
    port.reportFailure(errorMessage(error));
    if (self !== null) stop(self);
  };

  /** The lane's look, from the shared microtask while the operator is free: never throws. */
  const lookAtLane = (): void => {
    if (ended || harness === null) return;
    busy = true;
    let result: Step<S, M>;
    try {
      result = drain(harness, true);
    } catch (error) {
      crash(error);
      return;
    }
    if (isPromiseLike(result)) {
      laneWork = result.then(
        () => { laneWork = null; },
        (error: unknown) => {
          laneWork = null;
          crash(error);
        },
      );
    }
  };

  const inbox = new ProtocolInbox(() => !busy && !ended, lookAtLane);

  // Not an async function: nact awaits whatever it returns, and operators whose hooks are synchronous (most) then
  // cost no promise chain per message. A hook that throws synchronously crashes the task exactly as a rejection does.
  const handler = (state: HarnessState<S, M>, message: TaskMessage<M>): Step<S, M> => {
    if (ended) return state;
    if (laneWork !== null) return laneWork.then(() => handler(state, message));
    busy = true;
    // Protocol messages waiting in the lane go first, then this message, then whatever was offered meanwhile.
    const first = inbox.hasWaiting ? andThen(drain(state, false), (drained) => handleOne(drained, message)) : handleOne(state, message);
    if (!isPromiseLike(first) && !inbox.hasWaiting) {
      busy = false;
      return first;
    }
    return andThen(first, (handled) => drain(handled, true));
  };

  const ref = spawn(parent, handler, actorNameOf(context), {
    initialStateFunc: (ctx) => (harness = { operator: factory({ ...context, self: typedRef<TaskMessage<M>>(ctx.self) }) }),
    onCrash: (_message, error, ctx) => {
      ended = true;
      port.reportFailure(errorMessage(error));
      return ctx.stop;
    },
    afterStop: () => {
      ended = true;
      port.reportFailure('the task actor was stopped');
    },
  });
  self = typedRef<TaskMessage<M>>(ref);
  offerPriorityLane<CoordinatorToTaskMessage>(self, inbox);
  return self;
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

