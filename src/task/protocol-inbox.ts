import type { PriorityLane } from '../actor/priority-lane.js';
import type { CoordinatorToTaskMessage } from '../protocol/task-protocol.js';

/** The side of the harness a {@link ProtocolInbox} talks to. */
export interface InboxReader {
  /** Whether the harness may run operator code now (it runs none, and awaits none). */
  readonly isFree: boolean;
  /** Handles what waits in the inbox; called only from the shared microtask, never inside the offerer's code, and never throws. */
  lookAtInbox(): void;
}

/** Inboxes offered to since the last shared drain: every one of them gets one look, in the order first offered to. */
const toDrain: ProtocolInbox[] = [];

function drainOffered(): void {
  // An inbox offered to while this runs is appended and still looked at here.
  for (let index = 0; index < toDrain.length; index += 1) (toDrain[index] as ProtocolInbox).lookNow();
  toDrain.length = 0;
}

/**
 * The priority lane of one task attempt: protocol messages (trigger, notify, restore) wait here instead of behind the
 * task's own messages in its mailbox. When the first message of a burst is offered and the operator is free, the
 * inbox asks the harness to look, in a microtask shared by every inbox offered to in the same event-loop turn (so a
 * checkpoint over N idle tasks costs N snapshots in one turn, not N mailbox messages). When the operator is busy, the
 * harness looks once it is done, before its next mailbox message.
 */
export class ProtocolInbox implements PriorityLane<CoordinatorToTaskMessage> {
  /** The oldest waiting message: one protocol message at a time is the common case, and it costs no array. */
  private oldest: CoordinatorToTaskMessage | undefined = undefined;
  /** The messages waiting behind `oldest`, in order; null when none does. */
  private behind: CoordinatorToTaskMessage[] | null = null;
  private lookScheduled = false;

  constructor(private readonly reader: InboxReader) {}

  offer(message: CoordinatorToTaskMessage): void {
    if (this.oldest === undefined) this.oldest = message;
    else (this.behind ??= []).push(message);
    if (this.lookScheduled || !this.reader.isFree) return;
    this.lookScheduled = true;
    if (toDrain.length === 0) queueMicrotask(drainOffered);
    toDrain.push(this);
  }

  /** True when a protocol message is waiting. */
  get hasWaiting(): boolean {
    return this.oldest !== undefined;
  }

  /** The oldest waiting protocol message, taken out; undefined when none waits. */
  take(): CoordinatorToTaskMessage | undefined {
    const message = this.oldest;
    const behind = this.behind;
    if (behind === null) {
      this.oldest = undefined;
    } else {
      this.oldest = behind.shift();
      if (behind.length === 0) this.behind = null;
    }
    return message;
  }

  /** @internal the shared microtask's call: the harness looks unless someone else already took everything. */
  lookNow(): void {
    this.lookScheduled = false;
    if (this.hasWaiting && this.reader.isFree) this.reader.lookAtInbox();
  }
}
