import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { CheckpointRetention, CheckpointType } from '../checkpoint/checkpoint-properties.js';
import type { JobId } from '../core/ids.js';
import { CorruptStateError } from './corrupt-state-error.js';
import { storageLayout } from './storage-layout.js';
import { checkTaskStateShape, expectCount, describeFoundValue, failShape, expectObject, expectOneOf, ShapeFailure, expectNonEmptyString } from './task-state-shape.js';

const CHECKPOINT_TYPES: readonly unknown[] = Object.values(CheckpointType);
const RETENTIONS: readonly unknown[] = Object.values(CheckpointRetention);

/**
 * Checks that a parsed metadata record has the shape of a {@link CompletedCheckpoint}, down to every state handle
 * and key-group range, and returns it typed. Unknown extra fields are tolerated. Throws {@link CorruptStateError}
 * naming `path` and the first wrong field (e.g. `taskStates["map-1"].keyedState[0].offsets`).
 */
export function checkCompletedCheckpointShape(value: unknown, path: string): CompletedCheckpoint {
  try {
    const record = expectObject('(root)', value);
    expectNonEmptyString('jobId', record['jobId']);
    if (!Number.isSafeInteger(record['checkpointId']) || (record['checkpointId'] as number) < 1) failShape('checkpointId', 'a positive integer', record['checkpointId']);
    for (const field of ['triggerTimestamp', 'completionTimestamp']) {
      if (typeof record[field] !== 'number' || !Number.isFinite(record[field])) failShape(field, 'a finite number', record[field]);
    }
    const properties = expectObject('properties', record['properties']);
    expectOneOf('properties.type', CHECKPOINT_TYPES, properties['type']);
    expectOneOf('properties.retention', RETENTIONS, properties['retention']);
    if (typeof properties['forced'] !== 'boolean') failShape('properties.forced', 'a boolean', properties['forced']);
    const taskStates = expectObject('taskStates', record['taskStates']);
    for (const [taskId, snapshot] of Object.entries(taskStates)) checkTaskStateShape(snapshot, `taskStates[${JSON.stringify(taskId)}]`);
    expectCount('stateSize', record['stateSize']);
    if (record['externalPointer'] !== null && typeof record['externalPointer'] !== 'string') failShape('externalPointer', 'a string or null', record['externalPointer']);
  } catch (error) {
    if (!(error instanceof ShapeFailure)) throw error;
    const { field, expected, actual } = error.problem;
    throw new CorruptStateError(path, `metadata field ${field} must be ${expected}, found ${describeFoundValue(actual)}`);
  }
  return value as CompletedCheckpoint;
}

/**
 * Checks a record read from the metadata file at `pointer` before it is trusted for a restore or an audit: its shape,
 * that it belongs to `jobId`, and that it is the checkpoint its `chk-<id>` directory names. Throws
 * {@link CorruptStateError} naming `pointer` otherwise.
 */
export function checkStoredCheckpoint(record: unknown, pointer: string, jobId: JobId): CompletedCheckpoint {
  const checkpoint = checkCompletedCheckpointShape(record, pointer);
  if (checkpoint.jobId !== jobId) throw new CorruptStateError(pointer, `the record belongs to job '${checkpoint.jobId}', not to job '${jobId}'`);
  const idInPath = storageLayout.checkpointIdOf(pointer);
  if (idInPath !== checkpoint.checkpointId) throw new CorruptStateError(pointer, `the record is checkpoint ${checkpoint.checkpointId}, not checkpoint ${String(idInPath)} its path names`);
  return checkpoint;
}
