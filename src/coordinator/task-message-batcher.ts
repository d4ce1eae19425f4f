import { tell, type TypedRef } from '../actor/typed-ref.js';
import type { TaskToCoordinatorMessage } from '../protocol/task-protocol.js';
import { internal, type CoordinatorInternalMessage } from './coordinator-message.js';

/**
 * Carries task messages to the coordinator in one mailbox message per event-loop turn. nact runs one message of an
 * actor per turn, so N acknowledgements sent one by one cost the coordinator N turns; all tasks of a checkpoint run in
 * the same turn, so their acknowledgements arrive here together and cost it one. Every task's messages go through
 * the same batcher in the order sent, so per-task order is kept.
 */
export class TaskMessageBatcher {
  private buffer: TaskToCoordinatorMessage[] = [];
  private scheduled = false;

  constructor(private readonly coordinator: TypedRef<CoordinatorInternalMessage>) {}

  /** Queues a message for the coordinator; it is delivered, with the rest of this turn's, at the next turn. */
  readonly send = (message: TaskToCoordinatorMessage): void => {
    this.buffer.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  };

  private readonly flush = (): void => {
    const messages = this.buffer;
    this.buffer = [];
    this.scheduled = false;
    tell(this.coordinator, internal({ type: 'TaskMessageBatch', messages }));
  };
}
