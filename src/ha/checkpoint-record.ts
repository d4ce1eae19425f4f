import { freeze } from 'immer';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { JobId } from '../core/ids.js';
import { checkCompletedCheckpointShape } from '../storage/completed-checkpoint-shape.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';

/**
 * Checks a completed checkpoint read back from high-availability storage at `location`: its shape, that it belongs to
 * `jobId` and that it is the checkpoint its row or file names. Returns it deeply frozen.
 * @throws CorruptStateError naming `location` otherwise.
 */
export function checkpointFromRecord(value: unknown, location: string, jobId: JobId, checkpointId: number): CompletedCheckpoint {
  const checkpoint = checkCompletedCheckpointShape(value, location);
  if (checkpoint.jobId !== jobId) throw new CorruptStateError(location, `the record belongs to job '${checkpoint.jobId}', not to job '${jobId}'`);
  if (checkpoint.checkpointId !== checkpointId) {
    throw new CorruptStateError(location, `the record is checkpoint ${checkpoint.checkpointId}, not checkpoint ${checkpointId} its entry names`);
  }
  return freeze(checkpoint, true);
}
