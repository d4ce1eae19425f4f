import type { CheckpointId, JobId } from '../core/ids.js';

/**
 * Thrown by a CompletedCheckpointStore asked to add a checkpoint whose id it already retains, or a checkpoint (not a
 * savepoint) whose id is not greater than the latest checkpoint it retains. Ids only go up, so a repeated or older id means a stale coordinator or an id counter that moved backwards.
 */
export class CheckpointIdOrderError extends Error {
  override readonly name = 'CheckpointIdOrderError';
  constructor(
    readonly jobId: JobId,
    readonly rejectedCheckpointId: CheckpointId,
    readonly latestCheckpointId: CheckpointId,
  ) {
    super(
      `cannot add checkpoint ${rejectedCheckpointId} of job ${jobId}: it is not newer than the latest retained checkpoint ${latestCheckpointId}; ` +
        'checkpoint ids must only go up (is a stale coordinator still running, or did the id counter move backwards?)',
    );
  }
}
