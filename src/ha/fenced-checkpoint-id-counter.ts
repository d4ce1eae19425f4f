import { assertValidNextCount } from '../checkpoint/checkpoint-id-counter.js';
import { CheckpointIDCounterShutdownError, type CheckpointIDCounter } from '../checkpoint/checkpoint-id-counter.js';
import { asCheckpointId, type CheckpointId, type JobId } from '../core/ids.js';
import { isGloballyTerminal, type JobStatus } from '../core/job-status.js';
import type { CheckpointIdTable } from './high-availability-backend.js';
import type { LeaderSession } from './leader-session.js';

/**
 * A job's checkpoint id counter kept in high-availability storage (the issue's `PostgresCheckpointIDCounter` in
 * postgres mode), so that ids never repeat and never go backwards across job manager failovers, and several
 * processes can never hand out the same id. Every write carries the leader session it was created with and is
 * rejected with StaleLeaderError once that session is no longer current. A failed call (lost connection) rejects
 * with HighAvailabilityStorageError and the next call reconnects (FLINK-14091).
 */
export class FencedCheckpointIDCounter implements CheckpointIDCounter {
  private stoppedWith: JobStatus | null = null;

  /** Use `CheckpointRecoveryFactory.createCheckpointIDCounter(session)`. */
  constructor(
    private readonly table: CheckpointIdTable,
    readonly jobId: JobId,
    readonly session: LeaderSession,
  ) {}

  /** @throws StaleLeaderError when the session is no longer current; CheckpointIDCounterShutdownError after shutdown. */
  async getAndIncrement(): Promise<CheckpointId> {
    if (this.stoppedWith !== null) throw new CheckpointIDCounterShutdownError(this.stoppedWith);
    return asCheckpointId(await this.table.getAndIncrement(this.session, this.jobId));
  }

  async get(): Promise<CheckpointId> {
    return asCheckpointId(await this.table.get(this.jobId));
  }

  /** @throws RangeError when `next` is not a positive integer or would move the counter backwards; StaleLeaderError. */
  async setCount(next: number): Promise<void> {
    assertValidNextCount(next, 1);
    await this.table.setCount(this.session, this.jobId, next);
  }

  /**
   * SUSPENDED (or RUNNING) keeps the counter for the next leader; a globally terminal status (FINISHED, CANCELED,
   * FAILED) removes it. No more ids are handed out afterwards. A second shutdown does nothing.
   * @throws StaleLeaderError when a terminal removal is attempted by a stale leader (the counter is kept).
   */
  async shutdown(jobStatus: JobStatus): Promise<void> {
    if (this.stoppedWith !== null) return;
    this.stoppedWith = jobStatus;
    if (isGloballyTerminal(jobStatus)) await this.table.remove(this.session, this.jobId);
  }
}
