import { stop, type Ref } from 'nact';
import { errorMessage } from '../core/error-message.js';
import type { JsonValue } from '../core/json.js';
import type { TaskProtocolPort } from '../protocol/task-protocol-port.js';
import type { CoordinatorToTaskMessage, TriggerCheckpoint } from '../protocol/task-protocol.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';
import type { CheckpointedOperator } from './checkpointed-operator.js';
import { isPromiseLike, restoreOperator, snapshotOperator } from './operator-snapshot.js';
import { ProtocolInbox, type InboxReader } from './protocol-inbox.js';
import type { TaskMessage } from './task-message.js';

/** What nact holds as a task actor's state: the attempt's operator. */
export interface HarnessState<S extends JsonValue, M> {
  readonly operator: CheckpointedOperator<S, M>;
}

/** The harness state once everything a message set off has settled: at once when every hook was synchronous. */
export type HarnessStep<S extends JsonValue, M> = HarnessState<S, M> | Promise<HarnessState<S, M>>;

/** `next` applied to what `step` gives: at once unless `step` is a promise. */
function andThen<S extends JsonValue, M>(step: HarnessStep<S, M>, next: (state: HarnessState<S, M>) => HarnessStep<S, M>): HarnessStep<S, M> {
  return isPromiseLike(step) ? step.then(next) : next(step);
}

/** `state` once `result` (what an operator hook returned) has settled: at once unless it is a promise. */
function after<S extends JsonValue, M>(result: unknown, state: HarnessState<S, M>): HarnessStep<S, M> {
  return isPromiseLike(result) ? Promise.resolve(result).then(() => state) : state;
}

/**
 * One task attempt's runtime around its operator: it handles the task's mailbox messages (its own messages and any
 * protocol message sent there) and the protocol messages of its priority lane, and makes sure operator code never
 * runs twice at once. Lane messages go first: before each mailbox message, right after the message or hook being
 * awaited, or (when the operator is free) in the turn they were offered. A hook that fails crashes the attempt.
 */
export class OperatorHarness<S extends JsonValue, M> implements InboxReader {
  /** The attempt's priority lane for protocol messages. */
  readonly inbox: ProtocolInbox = new ProtocolInbox(this);
  private state: HarnessState<S, M> | null = null;
  private self: Ref<unknown> | null = null;
  /** Operator code is running or being awaited: nothing else may call the operator until it is done. */
  private busy = false;
  /** The attempt crashed or was stopped: it runs no more operator code. */
  private ended = false;
  /** While the lane's own handling awaits an operator hook: the mailbox's next message waits for it. */
  private laneWork: Promise<void> | null = null;

  constructor(private readonly port: TaskProtocolPort) {}

  /** The state nact keeps for the actor, around the operator built for this attempt. */
  start(operator: CheckpointedOperator<S, M>): HarnessState<S, M> {
    this.state = { operator };
    return this.state;
  }

  /** The actor's own ref, which a hook failing from the lane stops. */
  attach(self: Ref<unknown>): void {
    this.self = self;
  }

  get isFree(): boolean {
    return !this.busy && !this.ended;
  }

  /** nact's handler. Not async: operators whose hooks are synchronous (most) then cost no promise chain per message. */
  handle(state: HarnessState<S, M>, message: TaskMessage<M>): HarnessStep<S, M> {
    if (this.ended) return state;
    if (this.laneWork !== null) return this.laneWork.then(() => this.handle(state, message));
    this.busy = true;
    // Protocol messages waiting in the lane go first, then this message, then whatever was offered meanwhile.
    const first = this.inbox.hasWaiting
      ? andThen(this.drain(state, false), (drained) => this.handleOne(drained, message))
      : this.handleOne(state, message);
    if (!isPromiseLike(first) && !this.inbox.hasWaiting) {
      this.busy = false;
      return first;
    }
    return andThen(first, (handled) => this.drain(handled, true));
  }

  /** The lane's look, from the shared microtask while the operator is free. Never throws: a failing hook crashes the attempt. */
  lookAtInbox(): void {
    const state = this.state;
    if (this.ended || state === null) return;
    this.busy = true;
    let result: HarnessStep<S, M>;
    try {
      result = this.drain(state, true);
    } catch (error) {
      this.failFromLane(error);
      return;
    }
    if (isPromiseLike(result)) {
      this.laneWork = result.then(
        () => { this.laneWork = null; },
        (error: unknown) => {
          this.laneWork = null;
          this.failFromLane(error);
        },
      );
    }
  }

  /** nact's onCrash: a mailbox message's handling failed. */
  crashed(error: unknown): void {
    this.ended = true;
    this.port.reportFailure(errorMessage(error));
  }

  /** nact's afterStop: the actor stopped (crashed, stopped from outside, or its system stopped). */
  stopped(): void {
    this.ended = true;
    this.port.reportFailure('the task actor was stopped');
  }

  /** A hook run from the lane failed: the attempt fails exactly as if it had crashed in its mailbox. */
  private failFromLane(error: unknown): void {
    if (this.ended) return;
    this.crashed(error);
    if (this.self !== null) stop(this.self);
  }

  /**
   * Handles every protocol message waiting in the lane, in order, including those offered while one is awaited. With
   * `release`, frees the operator in the same synchronous step as the last look, so no offer falls between the two.
   */
  private drain(state: HarnessState<S, M>, release: boolean): HarnessStep<S, M> {
    for (let next = this.inbox.take(); next !== undefined; next = this.inbox.take()) {
      const result = this.handleProtocol(state, next);
      if (isPromiseLike(result)) return result.then((settled) => this.drain(settled, release));
    }
    if (release) this.busy = false;
    return state;
  }

  private handleOne(state: HarnessState<S, M>, message: TaskMessage<M>): HarnessStep<S, M> {
    // A message the task does not understand (not even an object) leaves it as it was.
    if (typeof message !== 'object' || message === null) return state;
    if (message.type === 'Deliver') return after(state.operator.onMessage?.(message.payload), state);
    return this.handleProtocol(state, message);
  }

  private handleProtocol(state: HarnessState<S, M>, message: CoordinatorToTaskMessage): HarnessStep<S, M> {
    const { operator } = state;
    const { port } = this;
    switch (message.type) {
      case 'TriggerCheckpoint':
        return port.isForThisAttempt(message) ? this.snapshot(state, message) : state;
      case 'NotifyCheckpointComplete':
        return port.isForThisAttempt(message) ? after(operator.notifyCheckpointComplete?.(message.checkpointId), state) : state;
      case 'NotifyCheckpointAborted':
        return port.isForThisAttempt(message) ? after(operator.notifyCheckpointAborted?.(message.checkpointId), state) : state;
      case 'RestoreState':
        return port.isForThisAttempt(message) ? restoreOperator(operator, message, port).then(() => state) : state;
      default:
        return state;
    }
  }

  /** Snapshots and acknowledges, or declines when the snapshot throws or rejects (the attempt goes on). */
  private snapshot(state: HarnessState<S, M>, message: TriggerCheckpoint): HarnessStep<S, M> {
    const { port } = this;
    let taken: TaskStateSnapshot | Promise<TaskStateSnapshot>;
    try {
      taken = snapshotOperator(state.operator, message);
    } catch (error) {
      port.decline(message.checkpointId, error);
      return state;
    }
    if (!isPromiseLike(taken)) {
      port.acknowledge(message.checkpointId, taken);
      return state;
    }
    return taken.then(
      (snapshotState) => {
        port.acknowledge(message.checkpointId, snapshotState);
        return state;
      },
      (error: unknown) => {
        port.decline(message.checkpointId, error);
        return state;
      },
    );
  }
}
