import type { Cancellable } from '../actor/clock.js';
import type { TypedRef } from '../actor/typed-ref.js';
import type { AttemptId, CheckpointId } from '../core/ids.js';
import { CheckpointType } from '../checkpoint/checkpoint-properties.js';
import type { PendingCheckpoint } from '../checkpoint/pending-checkpoint.js';
import { TaskAcknowledgeResult } from '../checkpoint/task-acknowledge-result.js';
import type { CheckpointOutcome } from '../protocol/checkpoint-outcome.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';

/** A checkpoint the coordinator triggered and has not finished with: who asked for it, and its expiry timer. */
export interface CheckpointInFlight {
  readonly pending: PendingCheckpoint;
  readonly requesters: TypedRef<CheckpointOutcome>[];
  readonly expiry: Cancellable;
  /** A savepoint's target directory for its self-contained copy; absent for none. */
  readonly savepointTarget?: string;
}

/** What became of one acknowledgement, with the checkpoint it counted for when it counted. */
export type AcknowledgementVerdict =
  | { readonly result: typeof TaskAcknowledgeResult.SUCCESS; readonly inFlight: CheckpointInFlight }
  | { readonly result: typeof TaskAcknowledgeResult.DUPLICATE | typeof TaskAcknowledgeResult.UNKNOWN | typeof TaskAcknowledgeResult.DISCARDED };

/**
 * The checkpoints in flight: pending ones (waiting for acknowledgements) and finalizing ones (every task acknowledged;
 * metadata and store add under way). Acknowledging costs one Map lookup whatever the number of tasks.
 */
export class PendingCheckpointTable {
  private readonly pending = new Map<number, CheckpointInFlight>();
  private readonly finalizing = new Map<number, CheckpointInFlight>();

  add(inFlight: CheckpointInFlight): void {
    this.pending.set(inFlight.pending.checkpointId, inFlight);
  }

  /** The pending checkpoint with this id, if it is pending. */
  pendingCheckpoint(checkpointId: number): CheckpointInFlight | undefined {
    return this.pending.get(checkpointId);
  }

  /** Removes a pending checkpoint (it completes or is aborted). */
  removePending(checkpointId: number): void {
    this.pending.delete(checkpointId);
  }

  /** Moves a fully acknowledged checkpoint from pending to finalizing. */
  startFinalizing(inFlight: CheckpointInFlight): void {
    this.pending.delete(inFlight.pending.checkpointId);
    this.finalizing.set(inFlight.pending.checkpointId, inFlight);
  }

  /** Removes and returns a finalizing checkpoint (its finalization ended either way). */
  finishFinalizing(checkpointId: number): CheckpointInFlight | undefined {
    const inFlight = this.finalizing.get(checkpointId);
    this.finalizing.delete(checkpointId);
    return inFlight;
  }

  /**
   * Records an acknowledgement. SUCCESS when it counts for a pending checkpoint; DUPLICATE when the task already
   * acknowledged, or the checkpoint is finalizing or retained (its files belong to it); UNKNOWN when the sender is not a
   * participant of the pending checkpoint; DISCARDED when the checkpoint is no longer in flight.
   */
  acknowledge(
    checkpointId: CheckpointId, taskIndex: number | undefined, attemptId: AttemptId, state: TaskStateSnapshot, now: number, isRetained: (checkpointId: number) => boolean,
  ): AcknowledgementVerdict {
    const inFlight = this.pending.get(checkpointId);
    if (inFlight === undefined) {
      return { result: this.finalizing.has(checkpointId) || isRetained(checkpointId) ? TaskAcknowledgeResult.DUPLICATE : TaskAcknowledgeResult.DISCARDED };
    }
    if (taskIndex === undefined) return { result: TaskAcknowledgeResult.UNKNOWN };
    const result = inFlight.pending.acknowledgeTask(taskIndex, attemptId, state, now);
    return result === TaskAcknowledgeResult.SUCCESS ? { result, inFlight } : { result };
  }

  /** Pending checkpoints, savepoints not counted (they do not count toward `maxConcurrent`). */
  pendingCheckpointCount(): number {
    let count = 0;
    for (const { pending } of this.pending.values()) if (pending.properties.type === CheckpointType.CHECKPOINT) count += 1;
    return count;
  }

  /** The newest checkpoint (not savepoint) that completed or is finalizing: an older one fully acknowledged later is subsumed. */
  newestCompletedOrFinalizing(latestCompletedCheckpointId: number): number {
    let newest = latestCompletedCheckpointId;
    for (const { pending } of this.finalizing.values()) {
      if (pending.properties.type === CheckpointType.CHECKPOINT && pending.checkpointId > newest) newest = pending.checkpointId;
    }
    return newest;
  }

  /** Pending checkpoints (not savepoints) older than `checkpointId`: a completion subsumes them. */
  olderPendingCheckpoints(checkpointId: number): CheckpointInFlight[] {
    return [...this.pending.values()].filter(({ pending }) => pending.checkpointId < checkpointId && pending.properties.type === CheckpointType.CHECKPOINT);
  }

  /** Every pending checkpoint and savepoint, oldest first. */
  allPending(): CheckpointInFlight[] {
    return [...this.pending.values()].sort((a, b) => a.pending.checkpointId - b.pending.checkpointId);
  }

  /** Ids of the checkpoints pending or finalizing. */
  inFlightIds(): Set<number> {
    return new Set<number>([...this.pending.keys(), ...this.finalizing.keys()]);
  }

  /** Pending plus finalizing. */
  get size(): number {
    return this.pending.size + this.finalizing.size;
  }
}
