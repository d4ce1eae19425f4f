import { tell, type TypedRef } from '../actor/typed-ref.js';
import type { TaskToCoordinatorMessage } from '../protocol/task-protocol.js';
import { internal, type CoordinatorInternalMessage } from './coordinator-message.js';

/**
 * One `TaskMessageBatch` mailbox message that keeps taking task messages until the coordinator reads it: reading
 * `messages` closes it, so every message sent later goes into the next batch, which is told after this one.
 */
class OpenBatch {
  readonly type = 'TaskMessageBatch';
  private readonly buffer: TaskToCoordinatorMessage[] = [];
  private closed = false;

  /** @param onClose called once, when the batch is first read. */
  constructor(private readonly onClose: (batch: OpenBatch) => void) {}

  add(message: TaskToCoordinatorMessage): void {
    this.buffer.push(message);
  }

  /** The batch's messages, in the order sent. Reading them closes the batch (and reading again gives the same list). */
  get messages(): readonly TaskToCoordinatorMessage[] {
    if (!this.closed) {
      this.closed = true;
      this.onClose(this);
    }
    return this.buffer;
  }
}

/**
 * Carries task messages to the coordinator in one mailbox message per burst. nact runs one message of an actor per
 * event-loop turn, so N acknowledgements sent one by one cost the coordinator N turns; all tasks of a checkpoint run in
 * the same turn, so their acknowledgements go into one batch and cost it one. The batch is told to the coordinator with
 * the first message of the burst and takes messages until the coordinator reads it, so a burst costs no extra turn on
 * the way (under load every turn of the event loop is long: each busy task handles a message in it). Every task's
 * messages go through the same batcher in the order sent, so per-task order is kept.
 */
export class TaskMessageBatcher {
  /** The batch told to the coordinator and not read yet (a read batch is let go, so its messages are not kept alive here). */
  private open: OpenBatch | null = null;
  private readonly closed = (batch: OpenBatch): void => {
    if (this.open === batch) this.open = null;
  };

  constructor(private readonly coordinator: TypedRef<CoordinatorInternalMessage>) {}

  /** Queues a message for the coordinator, in the batch it has not read yet (told now when there is none). */
  readonly send = (message: TaskToCoordinatorMessage): void => {
    let batch = this.open;
    if (batch === null) {
      batch = new OpenBatch(this.closed);
      this.open = batch;
      tell(this.coordinator, internal(batch));
    }
    batch.add(message);
  };
}
