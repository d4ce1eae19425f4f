import { checksumOf } from './checksum.js';
import { CorruptStateError } from './corrupt-state-error.js';

/** Format version of the checkpoint id counter file; a file of another version is refused. */
export const CHECKPOINT_ID_COUNTER_FORMAT_VERSION = 1;

interface CounterRecord {
  readonly formatVersion: number;
  readonly next: number;
  readonly checksum: string;
}

const checksumOfNext = (next: number): string => checksumOf(new TextEncoder().encode(`next=${next}`));

/** The bytes of a counter file saying the next id is `next`. */
export function encodeIdCounter(next: number): Uint8Array {
  const record: CounterRecord = { formatVersion: CHECKPOINT_ID_COUNTER_FORMAT_VERSION, next, checksum: checksumOfNext(next) };
  return new TextEncoder().encode(JSON.stringify(record));
}

/**
 * The next id a counter file says. @throws CorruptStateError naming `path` when the text is not JSON (truncated?), of
 * another format version, or fails its checksum.
 */
export function decodeIdCounter(text: string, path: string): number {
  let record: Partial<CounterRecord>;
  try {
    record = JSON.parse(text) as Partial<CounterRecord>;
  } catch {
    throw new CorruptStateError(path, 'the checkpoint id counter file is not valid JSON (truncated?)');
  }
  if (record.formatVersion !== CHECKPOINT_ID_COUNTER_FORMAT_VERSION) {
    throw new CorruptStateError(path, `unsupported checkpoint id counter format version ${String(record.formatVersion)} (supported: ${CHECKPOINT_ID_COUNTER_FORMAT_VERSION})`);
  }
  if (!Number.isSafeInteger(record.next) || (record.next as number) < 1 || record.checksum !== checksumOfNext(record.next as number)) {
    throw new CorruptStateError(path, 'the checkpoint id counter failed its checksum');
  }
  return record.next as number;
}
