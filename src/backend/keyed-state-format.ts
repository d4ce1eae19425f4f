import type { JsonValue } from '../core/json.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';
import { KeyGroupRanges } from '../state/key-groups.js';
import type { KeyGroupRange } from '../state/state-handles.js';

/*
 * Byte formats of the heap keyed state backend. Every stream starts with a 4-byte ASCII magic naming its kind
 * and a 1-byte format version, so a reader refuses bytes of another kind, or of a version it does not know,
 * with a CorruptStateError that names the file. Integers are unsigned 32-bit big-endian; JSON is UTF-8.
 *
 * Full key-groups stream, magic `NKGF` (one file per full snapshot, read through a KeyGroupsStateHandle):
 *   magic | version | u32 header length | header JSON `{ numberOfKeyGroups, keyGroupRange }`
 *   then, for every key group of the range in ascending order: u32 payload length | payload JSON `[[key, value], ...]`.
 *   The handle's `offsets[i]` is the position of the length field of key group `keyGroupRange.start + i`.
 *
 * Incremental segment, magic `NKGS` (one immutable shared file per incremental snapshot that changed something):
 *   magic | version | JSON `{ numberOfKeyGroups, base, puts: [[key, value], ...], deletes: [key, ...] }`.
 *   A key occurs at most once per segment. A base segment holds the whole live state, so replaying it drops
 *   whatever earlier segments produced; a delta segment holds the puts and deletes (tombstones) since the
 *   previous snapshot.
 *
 * Incremental meta stream, magic `NKGM` (small, kept inline in the IncrementalKeyedStateHandle):
 *   magic | version | JSON `{ backendId, numberOfKeyGroups, keyGroupRange, checkpointId, segments: [handleId, ...] }`
 *   where `segments` is the replay order of the handle's shared files.
 */

/** The format version written into every stream; readers refuse any other. */
export const KEYED_STATE_FORMAT_VERSION = 1;

const Magic = { KeyGroups: 'NKGF', Segment: 'NKGS', Meta: 'NKGM' } as const;
type Magic = (typeof Magic)[keyof typeof Magic];

const PREFIX_LENGTH = 5;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** One key's value as stored in a stream. */
export type KeyedEntry = readonly [key: string, value: JsonValue];

/** The decoded content of an incremental segment. */
export interface SegmentContent {
  readonly numberOfKeyGroups: number;
  readonly base: boolean;
  readonly puts: readonly KeyedEntry[];
  readonly deletes: readonly string[];
}

/** The decoded content of an incremental meta stream. */
export interface IncrementalMeta {
  readonly backendId: string;
  readonly numberOfKeyGroups: number;
  readonly keyGroupRange: KeyGroupRange;
  readonly checkpointId: number;
  readonly segments: readonly string[];
}

/** The header of a full key-groups stream. */
export interface KeyGroupsStreamHeader {
  readonly numberOfKeyGroups: number;
  readonly keyGroupRange: KeyGroupRange;
}

/** One key group read back from a full stream. */
export interface DecodedKeyGroup {
  readonly keyGroup: number;
  readonly entries: readonly KeyedEntry[];
}

/** Serializes all key groups of `header.keyGroupRange` into one stream and returns it with per-group offsets. */
export function encodeKeyGroupsStream(
  header: KeyGroupsStreamHeader,
  entriesOf: (keyGroup: number) => Iterable<KeyedEntry>,
): { readonly bytes: Uint8Array; readonly offsets: readonly number[] } {
  const chunks: Uint8Array[] = [prefix(Magic.KeyGroups)];
  const headerBytes = encoder.encode(JSON.stringify(header));
  chunks.push(u32(headerBytes.byteLength), headerBytes);
  let position = PREFIX_LENGTH + 4 + headerBytes.byteLength;
  const offsets: number[] = [];
  const { start, end } = header.keyGroupRange;
  for (let keyGroup = start; keyGroup <= end; keyGroup += 1) {
    const payload = encoder.encode(JSON.stringify([...entriesOf(keyGroup)]));
    offsets.push(position);
    chunks.push(u32(payload.byteLength), payload);
    position += 4 + payload.byteLength;
  }
  return { bytes: concat(chunks, position), offsets };
}

/**
 * Reads every key group of a full stream. `source` names the stream in errors.
 * Throws CorruptStateError when the magic, version, header, an offset or a payload is wrong, or when the
 * header's range is not `expectedRange`.
 */
export function decodeKeyGroupsStream(
  source: string,
  bytes: Uint8Array,
  offsets: readonly number[],
  expectedRange: KeyGroupRange,
): { readonly header: KeyGroupsStreamHeader; readonly keyGroups: readonly DecodedKeyGroup[] } {
  const body = checkPrefix(source, bytes, Magic.KeyGroups, 'full key-groups stream');
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const headerLength = readU32(source, view, 0);
  const headerJson = parseJson(source, body.subarray(4, 4 + headerLength), 'stream header');
  const header = asRecord(source, headerJson, 'stream header');
  const numberOfKeyGroups = asPositiveInteger(source, header['numberOfKeyGroups'], 'numberOfKeyGroups');
  const keyGroupRange = asRange(source, header['keyGroupRange']);
  if (!KeyGroupRanges.equals(keyGroupRange, expectedRange)) {
    throw new CorruptStateError(source, `stream holds key groups ${KeyGroupRanges.format(keyGroupRange)} but its handle says ${KeyGroupRanges.format(expectedRange)}`);
  }
  if (offsets.length !== KeyGroupRanges.size(keyGroupRange)) {
    throw new CorruptStateError(source, `handle has ${offsets.length} key-group offsets for ${KeyGroupRanges.size(keyGroupRange)} key groups`);
  }
  const keyGroups: DecodedKeyGroup[] = [];
  let position = PREFIX_LENGTH + 4 + headerLength;
  for (let index = 0; index < offsets.length; index += 1) {
    const keyGroup = keyGroupRange.start + index;
    if (offsets[index] !== position) {
      throw new CorruptStateError(source, `offset of key group ${keyGroup} is ${offsets[index]} in the handle but ${position} in the stream`);
    }
    const length = readU32(source, view, position - PREFIX_LENGTH);
    const payloadStart = position + 4;
    if (payloadStart + length > bytes.byteLength) throw new CorruptStateError(source, `key group ${keyGroup} runs past the end of the stream (truncated)`);
    const entries = asEntries(source, parseJson(source, bytes.subarray(payloadStart, payloadStart + length), `key group ${keyGroup}`), `key group ${keyGroup}`);
    keyGroups.push({ keyGroup, entries });
    position = payloadStart + length;
  }
  if (position !== bytes.byteLength) throw new CorruptStateError(source, `${bytes.byteLength - position} unexpected bytes after the last key group`);
  return { header: { numberOfKeyGroups, keyGroupRange }, keyGroups };
}

/** Serializes an incremental segment. */
export function encodeSegment(segment: SegmentContent): Uint8Array {
  return withPrefix(Magic.Segment, JSON.stringify(segment));
}

/** Reads an incremental segment; throws CorruptStateError naming `source` when it is malformed. */
export function decodeSegment(source: string, bytes: Uint8Array): SegmentContent {
  const record = asRecord(source, parseJson(source, checkPrefix(source, bytes, Magic.Segment, 'keyed state segment'), 'segment'), 'segment');
  const base = record['base'];
  if (typeof base !== 'boolean') throw new CorruptStateError(source, 'segment field base is not a boolean');
  const deletes = record['deletes'];
  if (!Array.isArray(deletes) || !deletes.every((key): key is string => typeof key === 'string')) {
    throw new CorruptStateError(source, 'segment field deletes is not an array of keys');
  }
  return {
    numberOfKeyGroups: asPositiveInteger(source, record['numberOfKeyGroups'], 'numberOfKeyGroups'),
    base,
    puts: asEntries(source, record['puts'], 'segment field puts'),
    deletes,
  };
}

/** Serializes an incremental meta stream. */
export function encodeMeta(meta: IncrementalMeta): Uint8Array {
  return withPrefix(Magic.Meta, JSON.stringify(meta));
}

/** Reads an incremental meta stream; throws CorruptStateError naming `source` when it is malformed. */
export function decodeMeta(source: string, bytes: Uint8Array): IncrementalMeta {
  const record = asRecord(source, parseJson(source, checkPrefix(source, bytes, Magic.Meta, 'incremental meta stream'), 'meta'), 'meta');
  const backendId = record['backendId'];
  if (typeof backendId !== 'string' || backendId.length === 0) throw new CorruptStateError(source, 'meta field backendId is not a non-empty string');
  const segments = record['segments'];
  if (!Array.isArray(segments) || !segments.every((id): id is string => typeof id === 'string')) {
    throw new CorruptStateError(source, 'meta field segments is not an array of handle ids');
  }
  return {
    backendId,
    numberOfKeyGroups: asPositiveInteger(source, record['numberOfKeyGroups'], 'numberOfKeyGroups'),
    keyGroupRange: asRange(source, record['keyGroupRange']),
    checkpointId: asPositiveInteger(source, record['checkpointId'], 'checkpointId'),
    segments,
  };
}

function prefix(magic: Magic): Uint8Array {
  const bytes = new Uint8Array(PREFIX_LENGTH);
  bytes.set(encoder.encode(magic), 0);
  bytes[4] = KEYED_STATE_FORMAT_VERSION;
  return bytes;
}

function withPrefix(magic: Magic, json: string): Uint8Array {
  const body = encoder.encode(json);
  return concat([prefix(magic), body], PREFIX_LENGTH + body.byteLength);
}

function checkPrefix(source: string, bytes: Uint8Array, magic: Magic, what: string): Uint8Array {
  const found = bytes.byteLength >= 4 ? String.fromCharCode(...bytes.subarray(0, 4)) : '';
  if (found !== magic) throw new CorruptStateError(source, `not a ${what} (expected magic ${magic}, found ${JSON.stringify(found)})`);
  const version = bytes[4];
  if (version !== KEYED_STATE_FORMAT_VERSION) {
    throw new CorruptStateError(source, `${what} has format version ${version ?? 'none'}, this reader knows only version ${KEYED_STATE_FORMAT_VERSION}`);
  }
  return bytes.subarray(PREFIX_LENGTH);
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

function readU32(source: string, view: DataView, at: number): number {
  if (at < 0 || at + 4 > view.byteLength) throw new CorruptStateError(source, `length field at byte ${at + PREFIX_LENGTH} lies past the end of the stream (truncated)`);
  return view.getUint32(at);
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

function parseJson(source: string, bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(decoder.decode(bytes)) as unknown;
  } catch (error) {
    throw new CorruptStateError(source, `${what} is not valid UTF-8 JSON (${(error as Error).message})`);
  }
}

function asRecord(source: string, value: unknown, what: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CorruptStateError(source, `${what} is not a JSON object`);
  return value as Readonly<Record<string, unknown>>;
}

function asPositiveInteger(source: string, value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new CorruptStateError(source, `field ${field} is not a positive integer`);
  return value;
}

function asRange(source: string, value: unknown): KeyGroupRange {
  const record = asRecord(source, value, 'keyGroupRange');
  const { start, end } = record;
  if (typeof start !== 'number' || typeof end !== 'number' || !Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0) {
    throw new CorruptStateError(source, 'field keyGroupRange is not a range of integers');
  }
  return KeyGroupRanges.of(start, end);
}

function asEntries(source: string, value: unknown, what: string): readonly KeyedEntry[] {
  if (!Array.isArray(value)) throw new CorruptStateError(source, `${what} is not an array of [key, value] entries`);
  for (const entry of value as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
      throw new CorruptStateError(source, `${what} holds an entry that is not a [key, value] pair`);
    }
  }
  return value as readonly KeyedEntry[];
}
