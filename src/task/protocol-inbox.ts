import type { PriorityLane } from '../actor/priority-lane.js';
import type { CoordinatorToTaskMessage } from '../protocol/task-protocol.js';

/**
 * The priority lane of one task attempt: protocol messages (trigger, notify, restore) wait here instead of behind the
 * task's own messages in its mailbox. The harness takes them before each message it handles; a wake-up sent to the
 * task's mailbox when the first one arrives makes an idle task look too. At most one wake-up is on its way at a time,
 * so a lane costs one mailbox message per burst of protocol messages, not one per message.
 */
export class ProtocolInbox implements PriorityLane<CoordinatorToTaskMessage> {
  private readonly queue: CoordinatorToTaskMessage[] = [];
  private head = 0;
  private wakeUpOnItsWay = false;

  /** @param wakeUp sends the task's mailbox the message that makes the harness look here. */
  constructor(private readonly wakeUp: () => void) {}

  offer(message: CoordinatorToTaskMessage): void {
    this.queue.push(message);
    if (this.wakeUpOnItsWay) return;
    this.wakeUpOnItsWay = true;
    this.wakeUp();
  }

  /** True when a protocol message is waiting. */
  get hasWaiting(): boolean {
    return this.head < this.queue.length;
  }

  /** The oldest waiting protocol message, taken out; undefined when none waits. */
  take(): CoordinatorToTaskMessage | undefined {
    if (this.head >= this.queue.length) return undefined;
    const message = this.queue[this.head];
    this.head += 1;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    return message;
  }

  /** The wake-up reached the task: a message offered from now on sends another. */
  wokenUp(): void {
    this.wakeUpOnItsWay = false;
  }
}
