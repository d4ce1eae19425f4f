import { freeze } from 'immer';
import { CheckpointType, type CheckpointRetention } from '../checkpoint/checkpoint-properties.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { JobId } from '../core/ids.js';
import type { RestorePoint } from '../savepoint/restore-point.js';
import { RestoreMode } from './restore-mode.js';

/**
 * The record a job keeps in its completed checkpoint store for the savepoint or retained checkpoint it was started from:
 * the restore point's id, state and files (paths as the job's storage reaches them), under the job's id. Claimed, it is
 * a checkpoint of the job with the job's retention, subsumed and discarded like the others (its files included, where
 * they lie). Not claimed, it is kept as a savepoint: never subsumed, never discarded, and used for a restore only while
 * the job has no checkpoint of its own.
 */
export function restorePointRecord(point: RestorePoint, jobId: JobId, mode: RestoreMode, retention: CheckpointRetention): CompletedCheckpoint {
  const type = mode === RestoreMode.CLAIM ? CheckpointType.CHECKPOINT : CheckpointType.SAVEPOINT;
  return freeze({ ...point.checkpoint, jobId, properties: { type, retention, forced: true } }, true);
}
