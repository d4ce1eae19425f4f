import type { TaskToCoordinatorMessage } from '../protocol/task-protocol.js';
import type { CoordinatorInternalMessage } from './coordinator-message.js';

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

/** One way into the coordinator and the batch on its way there, not read yet. */
class BatchRoute {
  /** The batch handed over and not read yet (a read batch is let go, so its messages are not kept alive here). */
  private open: OpenBatch | null = null;
  private readonly closed = (batch: OpenBatch): void => {
    if (this.open === batch) this.open = null;
  };

  constructor(private readonly handOver: (batch: CoordinatorInternalMessage) => void) {}

  add(message: TaskToCoordinatorMessage): void {
    let batch = this.open;
    if (batch === null) {
      batch = new OpenBatch(this.closed);
      this.open = batch;
      this.handOver(batch);
    }
    batch.add(message);
  }
}

/**
 * Carries task messages to the coordinator in one message per burst. nact runs one message of an actor per event-loop
 * turn, so N acknowledgements sent one by one cost the coordinator N turns; all tasks of a checkpoint run in the same
 * turn, so their acknowledgements go into one batch and cost it one. The batch is handed over with the first message of
 * the burst and takes messages until the coordinator reads it, so a burst costs no extra turn on the way.
 * Acknowledgements and declines take the coordinator's lane (handled in a microtask, not a mailbox turn later: under
 * load every turn is long, each busy task handling a message in it); failure reports take its mailbox, behind what is
 * queued there. Per task the order holds: nothing an attempt sends follows its failure report.
 */
export class TaskMessageBatcher {
  private readonly checkpointRoute: BatchRoute;
  private readonly failureRoute: BatchRoute;

  /**
   * @param toLane hands a batch to the coordinator's internal message lane.
   * @param toMailbox tells a batch to the coordinator's mailbox.
   */
  constructor(toLane: (message: CoordinatorInternalMessage) => void, toMailbox: (message: CoordinatorInternalMessage) => void = toLane) {
    this.checkpointRoute = new BatchRoute(toLane);
    this.failureRoute = new BatchRoute(toMailbox);
  }

  /** Queues a message for the coordinator, in the batch of its route it has not read yet (handed over now when there is none). */
  readonly send = (message: TaskToCoordinatorMessage): void => {
    (message.type === 'TaskFailed' ? this.failureRoute : this.checkpointRoute).add(message);
  };
}
