import { freeze } from 'immer';
import type { AttemptId, CheckpointId, JobId, TaskId } from '../core/ids.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';
import { stateSizeOf } from '../state/state-size.js';
import type { CheckpointFailureReason } from './checkpoint-failure-reason.js';
import type { CheckpointProperties } from './checkpoint-properties.js';
import type { CompletedCheckpoint } from './completed-checkpoint.js';
import { TaskAcknowledgeResult } from './task-acknowledge-result.js';

/**
 * Deeply freezes plain objects and arrays, as immer's `freeze(value, true)` does, in a fraction of its time: a
 * completed checkpoint holds a few objects per task, and immer's generic walk cost ~8 ms per 10,000 tasks.
 * Anything else (Map, Set, class instances) is left to immer, so the result is the same.
 */
function freezeDeep<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    Object.freeze(value);
    for (const item of value as unknown[]) freezeDeep(item);
    return value;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return freeze(value, true);
  Object.freeze(value);
  const record = value as Record<string, unknown>;
  for (const key in record) freezeDeep(record[key]);
  return value;
}

/** The tasks a checkpoint was triggered on, by index, with the attempt each was running. */
export interface CheckpointParticipants {
  readonly taskIds: readonly TaskId[];
  readonly attemptIds: readonly AttemptId[];
}

/**
 * A checkpoint that was triggered and is waiting for its acknowledgements. It knows which tasks still owe
 * one and keeps the state collected so far; when the last arrives it becomes a {@link CompletedCheckpoint}.
 * Acknowledging is O(1) and never throws.
 */
export class PendingCheckpoint {
  private readonly states: (TaskStateSnapshot | undefined)[];
  private readonly acknowledgedAt: Float64Array;
  private remaining: number;
  private disposed = false;
  /** The reason it was aborted, once it was. */
  abortReason: CheckpointFailureReason | null = null;

  constructor(
    readonly jobId: JobId,
    readonly checkpointId: CheckpointId,
    readonly triggerTimestamp: number,
    readonly properties: CheckpointProperties,
    readonly participants: CheckpointParticipants,
  ) {
    const count = participants.taskIds.length;
    this.states = new Array<TaskStateSnapshot | undefined>(count);
    this.acknowledgedAt = new Float64Array(count).fill(Number.NaN);
    this.remaining = count;
  }

  get numberOfTasks(): number {
    return this.participants.taskIds.length;
  }

  get numberOfAcknowledgedTasks(): number {
    return this.numberOfTasks - this.remaining;
  }

  get isFullyAcknowledged(): boolean {
    return this.remaining === 0 && !this.disposed;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Records the acknowledgement of the task at `taskIndex`. */
  acknowledgeTask(taskIndex: number, attemptId: AttemptId, state: TaskStateSnapshot, now: number): TaskAcknowledgeResult {
    if (this.disposed) return TaskAcknowledgeResult.DISCARDED;
    if (taskIndex < 0 || taskIndex >= this.numberOfTasks || this.participants.attemptIds[taskIndex] !== attemptId) {
      return TaskAcknowledgeResult.UNKNOWN;
    }
    if (this.states[taskIndex] !== undefined) return TaskAcknowledgeResult.DUPLICATE;
    this.states[taskIndex] = state;
    this.acknowledgedAt[taskIndex] = now;
    this.remaining -= 1;
    return TaskAcknowledgeResult.SUCCESS;
  }

  /** True when `attemptId` is the attempt of the task at `taskIndex` this checkpoint was triggered on. */
  isParticipant(taskIndex: number, attemptId: AttemptId): boolean {
    return taskIndex >= 0 && taskIndex < this.numberOfTasks && this.participants.attemptIds[taskIndex] === attemptId;
  }

  /** The tasks that have not acknowledged, in task order. */
  unacknowledgedTaskIds(): TaskId[] {
    const silent: TaskId[] = [];
    this.participants.taskIds.forEach((taskId, index) => {
      if (Number.isNaN(this.acknowledgedAt[index] ?? Number.NaN)) silent.push(taskId);
    });
    return silent;
  }

  /** Milliseconds from trigger to each task's acknowledgement, by task; null for tasks that never acknowledged. */
  acknowledgementLatencies(): Record<string, number | null> {
    const latencies: Record<string, number | null> = {};
    this.participants.taskIds.forEach((taskId, index) => {
      const at = this.acknowledgedAt[index] ?? Number.NaN;
      latencies[taskId] = Number.isNaN(at) ? null : at - this.triggerTimestamp;
    });
    return latencies;
  }

  /** Milliseconds from trigger to each task's acknowledgement, by task index; NaN for tasks that never acknowledged. A copy. */
  acknowledgementLatencyArray(): Float64Array {
    const latencies = Float64Array.from(this.acknowledgedAt);
    for (let index = 0; index < latencies.length; index += 1) latencies[index] = (latencies[index] as number) - this.triggerTimestamp;
    return latencies;
  }

  /**
   * Turns the fully acknowledged checkpoint into its frozen completed record and disposes this one.
   * @throws Error when not every task has acknowledged, or the checkpoint was disposed.
   */
  finalize(completionTimestamp: number, externalPointer: string | null): CompletedCheckpoint {
    if (!this.isFullyAcknowledged) {
      throw new Error(`checkpoint ${this.checkpointId} cannot be finalized: ${this.disposed ? 'it was disposed' : `${this.remaining} task(s) have not acknowledged`}`);
    }
    const { taskIds } = this.participants;
    const taskStates: Record<string, TaskStateSnapshot> = {};
    let stateSize = 0;
    for (let index = 0; index < taskIds.length; index += 1) {
      const state = freezeDeep(this.states[index] as TaskStateSnapshot);
      taskStates[taskIds[index] as string] = state;
      stateSize += stateSizeOf(state);
    }
    Object.freeze(taskStates);
    this.disposed = true;
    return freezeDeep({
      jobId: this.jobId,
      checkpointId: this.checkpointId,
      triggerTimestamp: this.triggerTimestamp,
      completionTimestamp,
      properties: this.properties,
      taskStates: taskStates as Record<TaskId, TaskStateSnapshot>,
      stateSize,
      externalPointer,
    });
  }

  /** Aborts the checkpoint and hands back the states collected so far, for discarding. Aborting twice returns nothing the second time. */
  abort(reason: CheckpointFailureReason): TaskStateSnapshot[] {
    if (this.disposed) return [];
    this.disposed = true;
    this.abortReason = reason;
    const collected = this.states.filter((state): state is TaskStateSnapshot => state !== undefined);
    this.states.fill(undefined);
    return collected;
  }
}
