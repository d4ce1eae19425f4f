import type { CoordinatorInternalMessage } from './coordinator-message.js';

/**
 * How the coordinator's own messages (ids assigned, finalizations, timer ticks, task message batches) reach it: not
 * through its mailbox, where each would wait a whole event-loop turn, but in a microtask after the code that sent them.
 * nact runs one message of every busy actor per turn, so under load a turn is long; the coordinator's own steps no
 * longer pay a turn each. They are still handled one at a time, in the order sent, never inside another handler (the
 * coordinator's handlers are synchronous, so a microtask always runs between two of them), and never after the
 * coordinator stopped.
 */
export class InternalMessageLane {
  private readonly waiting: CoordinatorInternalMessage[] = [];
  private drainScheduled = false;
  private closed = false;

  constructor(private readonly handle: (message: CoordinatorInternalMessage) => void) {}

  /** Hands a message to the coordinator, after the code running now. */
  readonly offer = (message: CoordinatorInternalMessage): void => {
    if (this.closed) return;
    this.waiting.push(message);
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(this.drain);
  };

  /** Drops what waits and everything offered from now on: the coordinator stopped. */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    // A message handled here may offer more: they are handled in this same drain, in order.
    for (let index = 0; index < this.waiting.length && !this.closed; index += 1) this.handle(this.waiting[index] as CoordinatorInternalMessage);
    this.waiting.length = 0;
  };
}
