import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { decodeCheckpointMetadata } from './checkpoint-metadata-codec.js';
import { CorruptStateError } from './corrupt-state-error.js';

const METADATA_POINTER = /^([^/]+)\/chk-(\d+)\/_metadata$/;

/**
 * Checks that `pointer` names a metadata file of Flink's layout (`<jobId>/chk-<id>/_metadata`), before any storage
 * reads it. @throws RangeError naming the pointer and the expected form otherwise.
 */
export function assertMetadataPointer(pointer: string): { readonly jobId: string; readonly checkpointId: number } {
  const match = METADATA_POINTER.exec(pointer);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new RangeError(`${pointer}: not a checkpoint metadata pointer; expected <jobId>/chk-<id>/_metadata`);
  }
  return { jobId: match[1], checkpointId: Number(match[2]) };
}

/**
 * Decodes the bytes a storage read from the metadata file at `pointer` and checks that the record is the one that
 * file must hold: format version, checksum and shape (through the metadata codec), then that it belongs to the job
 * and checkpoint its directory names and that it was written to this very pointer. Every storage reads metadata
 * through this, so they all refuse the same files with the same messages.
 * @throws RangeError when `pointer` is not a metadata pointer.
 * @throws CorruptStateError naming `pointer` on any other failure.
 */
export function decodeStoredCheckpointMetadata(bytes: Uint8Array, pointer: string): CompletedCheckpoint {
  const { jobId, checkpointId } = assertMetadataPointer(pointer);
  const checkpoint = decodeCheckpointMetadata(bytes, pointer);
  if (checkpoint.jobId !== jobId) throw new CorruptStateError(pointer, `the record belongs to job '${checkpoint.jobId}', not to job '${jobId}' its directory names`);
  if (checkpoint.checkpointId !== checkpointId) throw new CorruptStateError(pointer, `the record is checkpoint ${checkpoint.checkpointId}, not checkpoint ${checkpointId} its directory names`);
  if (checkpoint.externalPointer !== pointer) throw new CorruptStateError(pointer, `the record says it was written to ${String(checkpoint.externalPointer)}`);
  return checkpoint;
}
