import type { CheckpointId, JobId } from '../../../src/core/ids.js';
import type { CheckpointEntry, CheckpointRecordTable, CheckpointTableChange } from '../../../src/ha/high-availability-backend.js';
import { HighAvailabilityStorageError, WriteOutcome } from '../../../src/ha/high-availability-storage-error.js';
import type { LeaderSession } from '../../../src/ha/leader-session.js';

/** Whether the next change the table is asked for is made before the connection "breaks" during its commit. */
export type CommitFault = 'committed-then-lost' | 'lost-before-commit';

/**
 * A checkpoint table whose next change fails with an unknown outcome, as a connection that breaks while committing
 * would: either the change was made (`committed-then-lost`) or it was not (`lost-before-commit`); both report
 * WriteOutcome.UNKNOWN. Later calls pass through.
 */
export class FailingCommitTable implements CheckpointRecordTable {
  private fault: CommitFault | null = null;

  constructor(private readonly table: CheckpointRecordTable) {}

  failNextCommit(fault: CommitFault): void {
    this.fault = fault;
  }

  read(session: LeaderSession | null, jobId: JobId): Promise<CheckpointEntry[]> {
    return this.table.read(session, jobId);
  }

  async apply(session: LeaderSession, jobId: JobId, storeInstance: string, change: CheckpointTableChange): Promise<CheckpointId[]> {
    const fault = this.fault;
    this.fault = null;
    if (fault === null) return this.table.apply(session, jobId, storeInstance, change);
    if (fault === 'committed-then-lost') await this.table.apply(session, jobId, storeInstance, change);
    throw new HighAvailabilityStorageError('spec-table', `changing the completed checkpoints of job '${jobId}'`, WriteOutcome.UNKNOWN, new Error('Connection terminated unexpectedly'));
  }

  release(jobId: JobId, storeInstance: string): Promise<void> {
    return this.table.release(jobId, storeInstance);
  }
}
