import type { CheckpointId } from '../core/ids.js';
import { countsAsFailure, type CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';

/**
 * Decides when failed checkpoints fail the job. Only declined, expired and I/O failures count, each
 * checkpoint id at most once; a completed checkpoint resets the count. More than `tolerableFailures`
 * counted failures in a row fail the job.
 */
export class CheckpointFailureManager {
  private readonly countedIds = new Set<CheckpointId>();

  constructor(private readonly tolerableFailures: number) {}

  /** Counted failures since the last success. */
  get continuousFailures(): number {
    return this.countedIds.size;
  }

  /** Records a failure; returns true when the job must fail. */
  handleCheckpointFailure(checkpointId: CheckpointId, reason: CheckpointFailureReason): boolean {
    if (!countsAsFailure(reason) || this.countedIds.has(checkpointId)) return false;
    this.countedIds.add(checkpointId);
    return this.countedIds.size > this.tolerableFailures;
  }

  /** Records a success: the failure count starts again from zero. */
  handleCheckpointSuccess(): void {
    this.countedIds.clear();
  }
}
