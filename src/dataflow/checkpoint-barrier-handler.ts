import type { CheckpointId } from '../core/ids.js';
import type { ChannelMessage, RecordBatch } from './dataflow-message.js';

/** Where a barrier handler sends what it lets through. */
export interface BarrierHandlerTarget {
  /** Processes a batch of records (immediately, or on release after alignment). */
  processRecords(batch: RecordBatch): void;
  /** Barrier `checkpointId` arrived on every channel: snapshot, forward the barrier and acknowledge. */
  snapshot(checkpointId: CheckpointId): void;
}

/**
 * Sits between a task's input channels and its operator and decides, per message, when records are processed and
 * when the task snapshots (Flink's CheckpointBarrierHandler). Pure logic, no actor: the task shell feeds it the
 * messages of its current epoch in mailbox order.
 */
export interface CheckpointBarrierHandler {
  /** Handles one message of input channel `message.channel`. */
  receive(message: ChannelMessage): void;
  /** The coordinator aborted `checkpointId`: stop waiting for its barriers, release what was held for it, and ignore its late barriers. */
  abort(checkpointId: CheckpointId): void;
  /** Forgets everything (after a restore): no alignment in progress, nothing held. Held messages are dropped. */
  reset(): void;
  /** The checkpoint whose barriers are being collected, or null. */
  readonly pendingCheckpoint: CheckpointId | null;
  /** Channel messages held back by alignment. */
  readonly heldMessages: number;
}
