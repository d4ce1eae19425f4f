import { spawn, type Ref } from 'nact';
import { ask, tell, typedRef, type TypedRef } from '../actor/typed-ref.js';
import type { CoordinatorToTaskMessage, RestoreState, TriggerCheckpoint } from '../protocol/task-protocol.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';
import { reporterOf, type TaskDeploymentContext, type TaskSpec } from '../protocol/task-deployment.js';

/** How a recording task answers a trigger: acknowledge it, decline it, or say nothing (so the checkpoint expires). */
export type TriggerBehaviour = 'acknowledge' | 'stay-silent' | 'decline';

interface Ping {
  readonly type: 'Ping';
  readonly replyTo: TypedRef<true>;
}

type FakeTaskMessage = CoordinatorToTaskMessage | Ping;

/** One line of the protocol log: `<taskId>:<Message>(<checkpointId>)`. */
export type ProtocolLog = string[];

/**
 * Fake tasks for specs of your own coordinator set-ups: each records every protocol message it gets (and every ack or
 * decline it sends) in a shared log such as `source:Trigger(1)`, `source:Ack(1)`, `source:Complete(1)`, answers
 * triggers as told, and can be pinged as a mailbox barrier ({@link barrier}). It answers through the deployment's
 * batched `report`, as production tasks do, and keeps the state each RestoreState brought it.
 */
export class RecordingTasks {
  readonly log: ProtocolLog = [];
  readonly deployments: TaskDeploymentContext[] = [];
  /** Every TriggerCheckpoint any task got, in arrival order. */
  readonly triggers: TriggerCheckpoint[] = [];
  /** Every RestoreState any task got, in arrival order. */
  readonly restores: RestoreState[] = [];
  readonly refs = new Map<string, TypedRef<FakeTaskMessage>>();
  private readonly behaviour = new Map<string, TriggerBehaviour>();
  /** Resolves when the current attempt's actor of a task has stopped. */
  private readonly stopped = new Map<string, { readonly promise: Promise<void>; readonly resolve: () => void }>();
  private readonly stateOf = new Map<string, (checkpointId: number) => TaskStateSnapshot>();

  constructor(private readonly system: Ref<unknown>) {}

  /** Per task, the state of every RestoreState it received, in order (null: restored empty). */
  get restoredStates(): ReadonlyMap<string, readonly (TaskStateSnapshot | null)[]> {
    const byTask = new Map<string, (TaskStateSnapshot | null)[]>();
    for (const { taskId, state } of this.restores) byTask.set(taskId, [...(byTask.get(taskId) ?? []), state]);
    return byTask;
  }

  /** A TaskSpec whose attempts are recording tasks. */
  task(taskId: string, behaviour: TriggerBehaviour = 'acknowledge'): TaskSpec {
    this.behaviour.set(taskId, behaviour);
    return { taskId, deploy: (context) => this.deploy(context) };
  }

  /** Changes how a task answers later triggers. */
  answer(taskId: string, behaviour: TriggerBehaviour): void {
    this.behaviour.set(taskId, behaviour);
  }

  /** Sets the state a task acknowledges with. */
  acknowledgeWith(taskId: string, state: (checkpointId: number) => TaskStateSnapshot): void {
    this.stateOf.set(taskId, state);
  }

  /** The current attempt's deployment context of a task. */
  current(taskId: string): TaskDeploymentContext {
    const found = [...this.deployments].reverse().find((deployment) => deployment.taskId === taskId);
    if (found === undefined) throw new Error(`task ${taskId} was never deployed`);
    return found;
  }

  /** Waits until every task handled everything sent to it so far. */
  async barrier(): Promise<void> {
    for (const [taskId, ref] of this.refs) {
      // A task stopped while the ping waits in its mailbox never answers: its stop settles the barrier instead.
      await Promise.race([ask(ref, { type: 'Ping' }, 2000), this.stopped.get(taskId)?.promise]);
    }
  }

  /** Log lines of one task, without the task prefix. */
  of(taskId: string): string[] {
    return this.log.filter((line) => line.startsWith(`${taskId}:`)).map((line) => line.slice(taskId.length + 1));
  }

  private deploy(context: TaskDeploymentContext): TypedRef<CoordinatorToTaskMessage> {
    this.deployments.push(context);
    const { taskId } = context;
    const report = reporterOf(context);
    let resolveStopped!: () => void;
    const whenStopped = { promise: new Promise<void>((resolve) => { resolveStopped = resolve; }), resolve: () => resolveStopped() };
    const ref = spawn(this.system, (state: null, message: FakeTaskMessage) => {
      if (message.type === 'Ping') {
        tell(message.replyTo, true);
        return state;
      }
      const id = 'checkpointId' in message ? message.checkpointId : null;
      this.log.push(`${taskId}:${message.type.replace('Checkpoint', '').replace('NotifyComplete', 'Complete').replace('NotifyAborted', 'Aborted').replace('RestoreState', 'Restore')}(${id})`);
      if (message.type === 'RestoreState') this.restores.push(message);
      if (message.type === 'TriggerCheckpoint') {
        this.triggers.push(message);
        const envelope = { jobId: message.jobId, taskId: message.taskId, attemptId: message.attemptId, checkpointId: message.checkpointId };
        const behaviour = this.behaviour.get(taskId) ?? 'acknowledge';
        if (behaviour === 'acknowledge') {
          const snapshot = this.stateOf.get(taskId)?.(message.checkpointId) ?? { operatorState: { kind: 'inline', value: `${taskId}@${message.checkpointId}` }, keyedState: [] };
          this.log.push(`${taskId}:Ack(${message.checkpointId})`);
          report({ type: 'AcknowledgeCheckpoint', ...envelope, state: snapshot });
        } else if (behaviour === 'decline') {
          this.log.push(`${taskId}:Decline(${message.checkpointId})`);
          report({ type: 'DeclineCheckpoint', ...envelope, reason: 'not ready' });
        }
      }
      return state;
    }, undefined, { initialState: null, afterStop: () => whenStopped.resolve() });
    const typed = typedRef<FakeTaskMessage>(ref);
    this.refs.set(taskId, typed);
    this.stopped.set(taskId, whenStopped);
    return typed;
  }
}
