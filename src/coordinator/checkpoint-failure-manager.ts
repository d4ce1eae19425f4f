import { countsAsFailure, type CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';

/**
 * Decides when failed checkpoints fail the job. Only declined, expired, finalize and I/O failures count, each
 * checkpoint at most once (a trigger that failed before it got an id counts under a key of its own); a completed
 * checkpoint resets the count, and so does the restore that a job failure leads to. More than `tolerableFailures`
 * counted failures in a row fail the job.
 */
export class CheckpointFailureManager {
  private readonly countedIds = new Set<number>();

  constructor(private readonly tolerableFailures: number) {}

  /** Counted failures since the last success. */
  get continuousFailures(): number {
    return this.countedIds.size;
  }

  /** Records a failure of the checkpoint (or trigger) named by `key`; returns true when the job must fail. */
  handleCheckpointFailure(key: number, reason: CheckpointFailureReason): boolean {
    if (!countsAsFailure(reason) || this.countedIds.has(key)) return false;
    this.countedIds.add(key);
    return this.countedIds.size > this.tolerableFailures;
  }

  /** Records a success, or a restore: the failure count starts again from zero. */
  reset(): void {
    this.countedIds.clear();
  }
}
