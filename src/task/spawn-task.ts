import { spawn, type Ref } from 'nact';
import { tell, typedRef, type TypedRef } from '../actor/typed-ref.js';

import type { JsonValue } from '../core/json.js';
import type { AcknowledgeCheckpoint, RestoreState, TriggerCheckpoint } from '../protocol/task-protocol.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';
import type { CheckpointedOperator, OperatorFactory } from './checkpointed-operator.js';
import type { TaskDeploymentContext, TaskSpec } from './task-deployment.js';
import type { TaskMessage } from './task-message.js';

interface HarnessState<S extends JsonValue, M> {
  readonly operator: CheckpointedOperator<S, M>;
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function copyJson<S extends JsonValue>(value: S, taskId: string): S {
  if (value === null || typeof value !== 'object') return value;
  try {
    return JSON.parse(JSON.stringify(value)) as S;
  } catch (error) {
    throw new Error(`task ${taskId}: snapshotState returned a value that is not JSON (${errorMessage(error)})`);
  }
}

function operatorValueOf<S extends JsonValue>(state: TaskStateSnapshot, taskId: string): S | null {
  const handle = state.operatorState;
  if (handle === null) return null;
  if (handle.kind === 'inline') return handle.value as S;
  if (handle.kind === 'bytes') return JSON.parse(Buffer.from(handle.data, 'base64').toString('utf8')) as S;
  throw new Error(`task ${taskId}: operator state in file ${handle.path} cannot be restored by the task harness; keep operator state inline or use keyed state`);
}

async function snapshot<S extends JsonValue, M>(operator: CheckpointedOperator<S, M>, message: TriggerCheckpoint): Promise<TaskStateSnapshot> {
  const value = await operator.snapshotState(message.checkpointId);
  const keyedState = operator.snapshotKeyedState === undefined ? [] : await operator.snapshotKeyedState(message.checkpointId);
  return { operatorState: value === undefined ? null : { kind: 'inline', value: copyJson(value, message.taskId) }, keyedState };
}

async function restore<S extends JsonValue, M>(operator: CheckpointedOperator<S, M>, message: RestoreState): Promise<void> {
  const state = message.state;
  if (state !== null && state.keyedState.length > 0) {
    if (operator.restoreKeyedState === undefined) {
      throw new Error(`task ${message.taskId}: checkpoint ${message.checkpointId} holds keyed state for it, but its operator has no restoreKeyedState`);
    }
    await operator.restoreKeyedState(state.keyedState);
  }
  await operator.restoreState(state === null ? null : operatorValueOf<S>(state, message.taskId), message.checkpointId);
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
  let failureReported = false;
  const reportFailure = (error: string): void => {
    if (failureReported) return;
    failureReported = true;
    tell(context.coordinator, { type: 'TaskFailed', jobId: context.jobId, taskId: context.taskId, attemptId: context.attemptId, error });
  };
  const isForThisAttempt = (message: { readonly jobId: string; readonly attemptId: string }): boolean =>
    message.jobId === context.jobId && message.attemptId === context.attemptId;

  const handler = async (state: HarnessState<S, M>, message: TaskMessage<M>): Promise<HarnessState<S, M>> => {
    const { operator } = state;
    switch (message.type) {
      case 'Deliver':
        await operator.onMessage?.(message.payload);
        return state;
      case 'TriggerCheckpoint': {
        if (!isForThisAttempt(message)) return state;
        const envelope = { jobId: context.jobId, taskId: context.taskId, attemptId: context.attemptId, checkpointId: message.checkpointId };
        let snapshotState: TaskStateSnapshot;
        try {
          snapshotState = await snapshot(operator, message);
        } catch (error) {
          tell(context.coordinator, { type: 'DeclineCheckpoint', ...envelope, reason: errorMessage(error) });
          return state;
        }
        const ack: AcknowledgeCheckpoint = { type: 'AcknowledgeCheckpoint', ...envelope, state: snapshotState };
        tell(context.coordinator, ack);
        return state;
      }
      case 'NotifyCheckpointComplete':
        if (isForThisAttempt(message)) await operator.notifyCheckpointComplete?.(message.checkpointId);
        return state;
      case 'NotifyCheckpointAborted':
        if (isForThisAttempt(message)) await operator.notifyCheckpointAborted?.(message.checkpointId);
        return state;
      case 'RestoreState':
        if (isForThisAttempt(message)) await restore(operator, message);
        return state;
    }
  };

  const ref = spawn(parent, handler, undefined, {
    initialStateFunc: (ctx) => ({ operator: factory({ ...context, self: typedRef<TaskMessage<M>>(ctx.self) }) }),
    onCrash: (_message, error, ctx) => {
      reportFailure(errorMessage(error));
      return ctx.stop;
    },
    afterStop: () => reportFailure('the task actor was stopped'),
  });
  return typedRef<TaskMessage<M>>(ref);
}

/** A task of the job whose attempts run `factory`'s operator under `parent` (usually the actor system). */
export function operatorTask<S extends JsonValue, M>(parent: Ref<unknown>, taskId: string, factory: OperatorFactory<S, M>): TaskSpec {
  return { taskId, deploy: (context) => spawnTask(parent, context, factory) };
}

/** Sends one of the task's own messages to its operator. */
export function deliver<M>(task: TypedRef<TaskMessage<M>>, payload: NoInfer<M>): void {
  tell(task, { type: 'Deliver', payload });
}

