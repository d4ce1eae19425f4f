import { priorityLaneOf, type PriorityLane } from '../actor/priority-lane.js';
import type { TypedRef } from '../actor/typed-ref.js';
import type { AttemptId, TaskId } from '../core/ids.js';
import type { CheckpointParticipants } from '../checkpoint/pending-checkpoint.js';
import type { CoordinatorToTaskMessage } from '../protocol/task-protocol.js';
import type { RunningTask } from '../protocol/coordinator-protocol.js';
import type { TaskSpec } from '../protocol/task-deployment.js';

/**
 * The coordinator's view of the job's tasks: index, current attempt, ref and whether it runs.
 * Kept in plain arrays so that an acknowledgement costs one Map lookup and "are all tasks running"
 * is a counter comparison, whatever the number of tasks.
 */
export class TaskTable {
  private readonly indexById = new Map<string, number>();
  readonly ids: TaskId[] = [];
  readonly specs: TaskSpec[] = [];
  readonly attemptIds: AttemptId[] = [];
  readonly refs: (TypedRef<CoordinatorToTaskMessage> | null)[] = [];
  /** The priority lane each attempt offered (protocol messages go there instead of its mailbox), or null. */
  readonly lanes: (PriorityLane<CoordinatorToTaskMessage> | null)[] = [];
  private readonly running: boolean[] = [];
  private runningCount = 0;
  /**
   * The participants handed to the checkpoints triggered since the last change of tasks or attempts: shared by all of
   * them (they never change it), so a trigger copies nothing and an in-flight checkpoint holds no list of its own.
   */
  private currentParticipants: CheckpointParticipants | null = null;

  get size(): number {
    return this.ids.length;
  }

  get allRunning(): boolean {
    return this.runningCount === this.ids.length;
  }

  indexOf(taskId: string): number | undefined {
    return this.indexById.get(taskId);
  }

  add(spec: TaskSpec): number {
    const index = this.ids.length;
    this.indexById.set(spec.taskId, index);
    this.ids.push(spec.taskId as TaskId);
    this.specs.push(spec);
    this.attemptIds.push('' as AttemptId);
    this.refs.push(null);
    this.lanes.push(null);
    this.running.push(false);
    this.currentParticipants = null;
    return index;
  }

  isRunning(index: number): boolean {
    return this.running[index] === true;
  }

  markRunning(index: number, attemptId: AttemptId, ref: TypedRef<CoordinatorToTaskMessage>): void {
    if (!this.running[index]) this.runningCount += 1;
    this.running[index] = true;
    this.attemptIds[index] = attemptId;
    this.refs[index] = ref;
    this.lanes[index] = priorityLaneOf(ref) ?? null;
    this.currentParticipants = null;
  }

  markFailed(index: number): void {
    if (this.running[index]) this.runningCount -= 1;
    this.running[index] = false;
  }

  failedIndexes(): number[] {
    const failed: number[] = [];
    for (let index = 0; index < this.ids.length; index += 1) if (!this.running[index]) failed.push(index);
    return failed;
  }

  /**
   * The tasks and attempts a checkpoint triggered now would wait for: frozen copies, made again only after a task was
   * added or deployed as a new attempt.
   */
  participants(): CheckpointParticipants {
    this.currentParticipants ??= Object.freeze({ taskIds: Object.freeze(this.ids.slice()), attemptIds: Object.freeze(this.attemptIds.slice()) });
    return this.currentParticipants;
  }

  describe(): RunningTask[] {
    return this.ids.map((taskId, index) => ({
      taskId,
      attemptId: this.attemptIds[index] as AttemptId,
      ref: this.refs[index] as TypedRef<CoordinatorToTaskMessage>,
      running: this.running[index] === true,
    }));
  }
}
