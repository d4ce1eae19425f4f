import type { JobId } from '../core/ids.js';
import { FencedCheckpointIDCounter } from './fenced-checkpoint-id-counter.js';
import { FencedCompletedCheckpointStore, type FencedCompletedCheckpointStoreOptions } from './fenced-completed-checkpoint-store.js';
import type { HighAvailabilityBackend } from './high-availability-backend.js';
import type { LeaderSession } from './leader-session.js';

/**
 * Per job, where its checkpoint ids and completed checkpoints outlive the coordinator's process (Flink's
 * CheckpointRecoveryFactory). What it creates plugs into the coordinator's `idCounter` and `store` options.
 */
export class CheckpointRecoveryFactory {
  /** Use `HighAvailabilityServices.checkpointRecovery(jobId)`. */
  constructor(readonly jobId: JobId, private readonly backend: HighAvailabilityBackend) {}

  /** The job's id counter; its writes carry `session`. */
  createCheckpointIDCounter(session: LeaderSession): FencedCheckpointIDCounter {
    return new FencedCheckpointIDCounter(this.backend.checkpointIds, this.jobId, session);
  }

  /**
   * Recovers the job's completed checkpoint store (see FencedCompletedCheckpointStore.recover): `onRecovered` sees
   * every recovered checkpoint before anything is discarded.
   */
  createCompletedCheckpointStore(options: FencedCompletedCheckpointStoreOptions): Promise<FencedCompletedCheckpointStore> {
    return FencedCompletedCheckpointStore.recover(this.backend.checkpoints, this.jobId, options);
  }
}
