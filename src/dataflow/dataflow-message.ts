import type { TypedRef } from '../actor/typed-ref.js';
import type { AttemptId, CheckpointId, TaskId } from '../core/ids.js';
import type { CoordinatorToTaskMessage } from '../protocol/task-protocol.js';

/*
 * What flows between dataflow tasks. Every channel message carries the sender's epoch (its restore generation,
 * see TaskDirectory): a receiver drops a message whose epoch is not its own, so records and barriers sent before a
 * restore never leak into the state restored after it. `channel` is the receiver's input channel index for the
 * sender, fixed by the job graph.
 */

/** Records on one input channel of the receiving task, in the order the sender produced them. */
export interface RecordBatch<T = unknown> {
  readonly type: 'Records';
  readonly epoch: number;
  readonly channel: number;
  readonly records: readonly T[];
}

/** Checkpoint barrier: every record before it on its channel belongs to checkpoint `checkpointId`, every record after it to a later one. */
export interface CheckpointBarrier {
  readonly type: 'Barrier';
  readonly epoch: number;
  readonly channel: number;
  readonly checkpointId: CheckpointId;
}

/** A message on an input channel. */
export type ChannelMessage<T = unknown> = RecordBatch<T> | CheckpointBarrier;

/** A source's self-message: emit the next batch of records. `token` identifies the emission loop; messages of an older loop are ignored. */
export interface EmitStep {
  readonly type: 'EmitStep';
  readonly token: number;
}

/** Makes the task's handler throw, so the attempt crashes and the coordinator restarts it: the failure injector's tool. */
export interface PoisonPill {
  readonly type: 'PoisonPill';
  readonly reason: string;
}

/** What a task attempt reports about itself when probed: running, or stopped (a probe still in its mailbox when it stopped). */
export type TaskProbe =
  | {
      readonly status: 'running';
      readonly taskId: TaskId;
      readonly attemptId: AttemptId;
      readonly epoch: number;
      /** The checkpoint whose barriers the task is aligning (or tracking), or null. */
      readonly aligning: CheckpointId | null;
      /** Channel messages held back by alignment. */
      readonly held: number;
    }
  | { readonly status: 'stopped'; readonly taskId: TaskId; readonly attemptId: AttemptId };

/** Asks a task attempt for a {@link TaskProbe}. The reply also proves the task handled everything sent to it before. */
export interface ProbeTask {
  readonly type: 'ProbeTask';
  readonly replyTo: TypedRef<TaskProbe>;
}

/** Everything a dataflow task attempt accepts. */
export type DataflowTaskMessage = CoordinatorToTaskMessage | ChannelMessage | EmitStep | PoisonPill | ProbeTask;
