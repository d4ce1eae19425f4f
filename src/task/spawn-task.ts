import { spawn, type Ref } from 'nact';
import { offerPriorityLane } from '../actor/priority-lane.js';
import { tell, typedRef, type TypedRef } from '../actor/typed-ref.js';
import type { JsonValue } from '../core/json.js';
import { isPathSafeId } from '../core/path-safe-id.js';
import type { TaskDeploymentContext, TaskSpec } from '../protocol/task-deployment.js';
import { TaskProtocolPort } from '../protocol/task-protocol-port.js';
import type { CoordinatorToTaskMessage } from '../protocol/task-protocol.js';
import type { OperatorFactory } from './checkpointed-operator.js';
import { OperatorHarness, type HarnessState } from './operator-harness.js';
import type { TaskMessage } from './task-message.js';

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
  const harness = new OperatorHarness<S, M>(new TaskProtocolPort(context));
  const ref = spawn(parent, (state: HarnessState<S, M>, message: TaskMessage<M>) => harness.handle(state, message), actorNameOf(context), {
    initialStateFunc: (ctx) => harness.start(factory({ ...context, self: typedRef<TaskMessage<M>>(ctx.self) })),
    onCrash: (_message, error, ctx) => {
      harness.crashed(error);
      return ctx.stop;
    },
    afterStop: () => harness.stopped(),
  });
  harness.attach(ref);
  const self = typedRef<TaskMessage<M>>(ref);
  offerPriorityLane<CoordinatorToTaskMessage>(self, harness.inbox);
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

