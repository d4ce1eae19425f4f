import { createHash, timingSafeEqual } from 'node:crypto';
import { freeze } from 'immer';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { checkCompletedCheckpointShape } from './completed-checkpoint-shape.js';
import { CorruptStateError } from './corrupt-state-error.js';

/*
 * Layout of a `_metadata` file (integers big-endian):
 *
 *   offset  size  field
 *        0     4  magic "NCKM" (nact checkpoint metadata)
 *        4     2  format version (uint16)
 *        6     4  payload length in bytes (uint32)
 *       10    32  SHA-256 of the payload
 *       42     n  payload: the CompletedCheckpoint as UTF-8 JSON
 *
 * Magic and version come first so that a later version may change everything after them.
 */

/** The format version {@link encodeCheckpointMetadata} writes. */
export const CHECKPOINT_METADATA_FORMAT_VERSION = 1;
/** Every format version {@link decodeCheckpointMetadata} reads. */
export const SUPPORTED_CHECKPOINT_METADATA_FORMAT_VERSIONS: readonly number[] = Object.freeze([1]);

const MAGIC = new Uint8Array([0x4e, 0x43, 0x4b, 0x4d]);
const VERSION_OFFSET = 4;
const LENGTH_OFFSET = 6;
const CHECKSUM_OFFSET = 10;
const PAYLOAD_OFFSET = 42;
const MAX_PAYLOAD_BYTES = 0xffff_ffff;

/** Encodes a completed checkpoint as a versioned, checksummed metadata file. Throws when the record exceeds 4 GiB of JSON. */
export function encodeCheckpointMetadata(checkpoint: CompletedCheckpoint): Uint8Array {
  const payload = new TextEncoder().encode(JSON.stringify(checkpoint));
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    throw new RangeError(`metadata of checkpoint ${checkpoint.checkpointId} is ${payload.byteLength} bytes of JSON; the format holds at most ${MAX_PAYLOAD_BYTES}`);
  }
  const bytes = new Uint8Array(PAYLOAD_OFFSET + payload.byteLength);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint16(VERSION_OFFSET, CHECKPOINT_METADATA_FORMAT_VERSION);
  view.setUint32(LENGTH_OFFSET, payload.byteLength);
  bytes.set(createHash('sha256').update(payload).digest(), CHECKSUM_OFFSET);
  bytes.set(payload, PAYLOAD_OFFSET);
  return bytes;
}

/**
 * Decodes and verifies a metadata file read from `path`: magic, format version, length, checksum, JSON and the
 * shape of the record. Returns a deeply frozen checkpoint. Throws {@link CorruptStateError} naming `path` on any
 * failure — an unknown version says which versions this build reads; a short file says it is truncated.
 */
export function decodeCheckpointMetadata(bytes: Uint8Array, path: string): CompletedCheckpoint {
  const corrupt = (problem: string): never => {
    throw new CorruptStateError(path, problem);
  };
  const truncated = (needed: string): never => corrupt(`truncated checkpoint metadata: ${bytes.byteLength} bytes, ${needed}`);
  if (bytes.byteLength < MAGIC.byteLength) truncated(`too short for the ${PAYLOAD_OFFSET}-byte header`);
  if (!MAGIC.every((byte, index) => bytes[index] === byte)) corrupt('not a checkpoint metadata file (wrong magic bytes at the start)');
  if (bytes.byteLength < LENGTH_OFFSET) truncated(`too short for the ${PAYLOAD_OFFSET}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(VERSION_OFFSET);
  if (!SUPPORTED_CHECKPOINT_METADATA_FORMAT_VERSIONS.includes(version)) {
    corrupt(`unsupported checkpoint metadata format version ${version}; this build reads version(s) ${SUPPORTED_CHECKPOINT_METADATA_FORMAT_VERSIONS.join(', ')}`);
  }
  if (bytes.byteLength < PAYLOAD_OFFSET) truncated(`too short for the ${PAYLOAD_OFFSET}-byte header`);
  const declaredLength = view.getUint32(LENGTH_OFFSET);
  const actualLength = bytes.byteLength - PAYLOAD_OFFSET;
  if (actualLength < declaredLength) truncated(`the header announces ${declaredLength} payload bytes but only ${actualLength} follow`);
  if (actualLength > declaredLength) corrupt(`${actualLength - declaredLength} unexpected bytes after the ${declaredLength}-byte payload`);
  const payload = bytes.subarray(PAYLOAD_OFFSET);
  const expectedChecksum = bytes.subarray(CHECKSUM_OFFSET, PAYLOAD_OFFSET);
  if (!timingSafeEqual(createHash('sha256').update(payload).digest(), expectedChecksum)) corrupt('checksum mismatch in checkpoint metadata');
  let record: unknown;
  try {
    record = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (error) {
    corrupt(`unparsable checkpoint metadata (${(error as Error).message})`);
  }
  return freeze(checkCompletedCheckpointShape(record, path), true);
}
