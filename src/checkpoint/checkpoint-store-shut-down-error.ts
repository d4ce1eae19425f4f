import type { CheckpointId } from '../core/ids.js';
import type { JobStatus } from '../core/job-status.js';

/** Thrown by a CompletedCheckpointStore asked to add a checkpoint after it was shut down. */
export class CheckpointStoreShutDownError extends Error {
  override readonly name = 'CheckpointStoreShutDownError';
  constructor(
    readonly rejectedCheckpointId: CheckpointId,
    readonly jobStatus: JobStatus,
  ) {
    super(`cannot add checkpoint ${rejectedCheckpointId}: the completed checkpoint store was shut down with job status ${jobStatus}`);
  }
}
