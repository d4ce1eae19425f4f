import type { TypedRef } from './typed-ref.js';

/**
 * A second way into an actor, for messages that must not wait behind the backlog of its mailbox. nact runs an actor's
 * messages one per event-loop turn in the order they came, so a message sent behind B queued ones waits B turns; an
 * actor that offers a lane takes what was offered there before each message it handles (and is woken up when idle),
 * in the order offered. The messages are the same ones the mailbox would carry: the lane is only a faster transport.
 */
export interface PriorityLane<M> {
  /** Hands `message` to the actor ahead of its mailbox backlog; it never throws and never runs the actor's code itself. */
  offer(message: M): void;
}

// Keyed by the ref object, which nact hands around as is: a deployer that returns another actor's ref (a proxy in front
// of the task, say) finds no lane, and its messages go through that actor's mailbox as before.
const lanes = new WeakMap<object, PriorityLane<never>>();

/** Says that the actor behind `ref` takes messages of type `M` through `lane`. Call it where the actor is spawned. */
export function offerPriorityLane<M>(ref: TypedRef<M>, lane: PriorityLane<M>): void {
  lanes.set(ref, lane as PriorityLane<never>);
}

/** The lane the actor behind `ref` offered, or undefined when it offered none (send through its mailbox then). */
export function priorityLaneOf<M>(ref: TypedRef<M>): PriorityLane<M> | undefined {
  return lanes.get(ref) as PriorityLane<M> | undefined;
}
