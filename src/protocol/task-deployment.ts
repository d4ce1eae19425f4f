import { tell, type TypedRef } from '../actor/typed-ref.js';
import type { AttemptId, JobId, TaskId } from '../core/ids.js';
import type { CoordinatorToTaskMessage, TaskToCoordinatorMessage } from './task-protocol.js';

/** What a task attempt is told when it is deployed. */
export interface TaskDeploymentContext {
  readonly jobId: JobId;
  readonly taskId: TaskId;
  /** Fresh for every incarnation of the task. */
  readonly attemptId: AttemptId;
  /** Where the task sends acknowledgements, declines and its own failure. */
  readonly coordinator: TypedRef<TaskToCoordinatorMessage>;
  /**
   * Sends a message to the coordinator batched with the other tasks' messages of the same event-loop turn, in order
   * per task: much cheaper than `tell(coordinator, …)` with thousands of tasks. Absent when the context was built by
   * hand; then send to `coordinator`. Whoever replaces `coordinator` must replace (or drop) this too.
   */
  readonly report?: (message: TaskToCoordinatorMessage) => void;
}

/**
 * Spawns one attempt of a task and returns its ref. The coordinator calls it at start and again after
 * the task failed. The actor must not be a child of the coordinator (see DESIGN.md: nact copies an
 * actor's children into every message's context).
 */
export type TaskDeployer = (context: TaskDeploymentContext) => TypedRef<CoordinatorToTaskMessage>;

/** A task of the job: its stable id and how to deploy an attempt of it. */
export interface TaskSpec {
  readonly taskId: string;
  readonly deploy: TaskDeployer;
}

/** How a task sends its messages to the coordinator: through `report` when the context has it, else to `coordinator`. */
export function reporterOf(context: TaskDeploymentContext): (message: TaskToCoordinatorMessage) => void {
  return context.report ?? ((message) => tell(context.coordinator, message));
}
