import { v4 as uuidv4 } from 'uuid';
import { isActorRef, tell, type TypedRef } from '../actor/typed-ref.js';
import { asAttemptId, type AttemptId, type JobId, type TaskId } from '../core/ids.js';
import type { CoordinatorToTaskMessage, TaskToCoordinatorMessage } from '../protocol/task-protocol.js';
import type { TaskSpec } from '../protocol/task-deployment.js';
import { TaskTable } from './task-table.js';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object without a nact reference's shape (${Object.keys(value).slice(0, 3).join(', ') || 'no keys'})`;
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}

/**
 * The job's task attempts: deploying them (a fresh attempt id each time), telling them protocol messages, and stopping
 * them. Task actors are never the coordinator's children (DESIGN.md): their refs live in the {@link TaskTable}.
 */
export class TaskDeployments {
  readonly table = new TaskTable();

  constructor(
    private readonly jobId: JobId,
    private readonly coordinator: TypedRef<TaskToCoordinatorMessage>,
    private readonly report: (message: TaskToCoordinatorMessage) => void,
    private readonly stopTask: (ref: TypedRef<CoordinatorToTaskMessage>) => void,
  ) {}

  /** Adds a task (not deployed yet) and returns its index. */
  add(spec: TaskSpec): number {
    return this.table.add(spec);
  }

  /**
   * Spawns a new attempt of the task at `index`.
   * @throws Error naming the task when its deploy function throws or returns something other than an actor ref.
   */
  deploy(index: number): AttemptId {
    const spec = this.table.specs[index] as TaskSpec;
    const taskId = this.table.ids[index] as TaskId;
    const attemptId = asAttemptId(uuidv4());
    let ref: unknown;
    try {
      ref = spec.deploy({ jobId: this.jobId, taskId, attemptId, coordinator: this.coordinator, report: this.report });
    } catch (error) {
      throw new Error(`deploying task ${taskId} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!isActorRef(ref)) throw new Error(`deploying task ${taskId} failed: task ${taskId}: its deploy function returned ${describe(ref)} instead of an actor ref`);
    this.table.markRunning(index, attemptId, ref as TypedRef<CoordinatorToTaskMessage>);
    return attemptId;
  }

  /**
   * Tells every running task a message built for it: through the priority lane its attempt offered, so the message
   * does not wait behind the task's own backlog, else through its mailbox.
   */
  tellRunning(build: (taskId: TaskId, attemptId: AttemptId, index: number) => CoordinatorToTaskMessage): void {
    const { ids, attemptIds, refs, lanes } = this.table;
    for (let index = 0; index < ids.length; index += 1) {
      const ref = refs[index];
      if (ref === null || ref === undefined || !this.table.isRunning(index)) continue;
      const message = build(ids[index] as TaskId, attemptIds[index] as AttemptId, index);
      const lane = lanes[index];
      if (lane === null || lane === undefined) tell(ref, message);
      else lane.offer(message);
    }
  }

  /** Stops every running task actor; their failure reports are then ignored, since they no longer run. */
  stopRunning(): void {
    this.table.refs.forEach((ref, index) => {
      if (ref !== null && this.table.isRunning(index)) {
        this.table.markFailed(index);
        this.stopTask(ref);
      }
    });
  }
}
