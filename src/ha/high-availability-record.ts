import { checksumOf } from '../storage/checksum.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';

/** The format version every high-availability record is written in; a record of another version is refused. */
export const HIGH_AVAILABILITY_RECORD_FORMAT_VERSION = 1;

/** What a record holds; a file or row of one kind is never read as another. */
export const HighAvailabilityRecordKind = {
  LEASE: 'lease',
  CHECKPOINT: 'completed-checkpoint',
  CHECKPOINT_INDEX: 'completed-checkpoint-index',
  JOB_GRAPH: 'job-graph',
} as const;
export type HighAvailabilityRecordKind = (typeof HighAvailabilityRecordKind)[keyof typeof HighAvailabilityRecordKind];

/** A record as stored: its format version, the SHA-256 of its payload, and the payload (JSON text). */
export interface SealedRecord {
  readonly formatVersion: number;
  readonly checksum: string;
  readonly payload: string;
}

interface RecordFile extends SealedRecord {
  readonly kind: HighAvailabilityRecordKind;
}

const encoder = new TextEncoder();

/** Serializes `value` as JSON and seals it with the current format version and its checksum. */
export function sealRecord(value: unknown): SealedRecord {
  const payload = JSON.stringify(value);
  return { formatVersion: HIGH_AVAILABILITY_RECORD_FORMAT_VERSION, checksum: checksumOf(encoder.encode(payload)), payload };
}

/**
 * Verifies a sealed record read from `location` and returns its parsed payload.
 * @throws CorruptStateError naming `location` for an unknown format version, a checksum mismatch or unparsable JSON.
 */
export function unsealRecord(record: SealedRecord, location: string): unknown {
  if (record.formatVersion !== HIGH_AVAILABILITY_RECORD_FORMAT_VERSION) {
    throw new CorruptStateError(
      location,
      `unsupported high-availability record format version ${String(record.formatVersion)}; this build reads version ${HIGH_AVAILABILITY_RECORD_FORMAT_VERSION}`,
    );
  }
  if (typeof record.payload !== 'string' || checksumOf(encoder.encode(record.payload)) !== record.checksum) {
    throw new CorruptStateError(location, 'the high-availability record failed its checksum');
  }
  try {
    return JSON.parse(record.payload) as unknown;
  } catch {
    throw new CorruptStateError(location, 'the high-availability record payload is not valid JSON');
  }
}

/** The bytes of a record file: a sealed record that also names its kind. */
export function encodeRecordFile(kind: HighAvailabilityRecordKind, value: unknown): Uint8Array {
  const file: RecordFile = { kind, ...sealRecord(value) };
  return encoder.encode(JSON.stringify(file));
}

/**
 * Reads a record file written by {@link encodeRecordFile} and returns its verified payload.
 * @throws CorruptStateError naming `path` when the file is truncated, of another kind or version, or fails its checksum.
 */
export function decodeRecordFile(bytes: Uint8Array, path: string, kind: HighAvailabilityRecordKind): unknown {
  let file: Partial<RecordFile>;
  try {
    file = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Partial<RecordFile>;
  } catch {
    throw new CorruptStateError(path, `the ${kind} file is not valid JSON (truncated?)`);
  }
  if (typeof file !== 'object' || file === null || file.kind !== kind) {
    throw new CorruptStateError(path, `expected a ${kind} record, found ${JSON.stringify(file?.kind ?? null)}`);
  }
  return unsealRecord(file as SealedRecord, path);
}
