import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { CheckpointRetention, CheckpointType } from '../../src/checkpoint/checkpoint-properties.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import { asCheckpointId, asJobId, asTaskId } from '../../src/core/ids.js';
import type { JsonValue } from '../../src/core/json.js';
import type {
  FileStateHandle,
  KeyedStateHandle,
  StateFileReference,
  StreamStateHandle,
  TaskStateSnapshot,
} from '../../src/state/state-handles.js';
import {
  CHECKPOINT_METADATA_FORMAT_VERSION,
  decodeCheckpointMetadata,
  encodeCheckpointMetadata,
} from '../../src/storage/checkpoint-metadata-codec.js';
import { CorruptStateError } from '../../src/storage/corrupt-state-error.js';
import { aCheckpoint, aSavepoint } from '../support/checkpoint-fixtures.js';

const PATH = 'job-1/chk-7/_metadata';
const HEADER_BYTES = 42;

const fileHandle: fc.Arbitrary<FileStateHandle> = fc.record({
  kind: fc.constant('file' as const),
  path: fc.stringMatching(/^job-1\/shared\/[a-z0-9]{1,12}$/),
  size: fc.nat(),
  checksum: fc.stringMatching(/^[0-9a-f]{64}$/),
});
const streamHandle: fc.Arbitrary<StreamStateHandle> = fc.oneof(
  fileHandle,
  fc.record({ kind: fc.constant('bytes' as const), handleName: fc.string({ minLength: 1 }), data: fc.base64String(), size: fc.nat() }),
);
const keyGroupRange = fc.tuple(fc.nat(100), fc.nat(8)).map(([start, length]) => ({ start, end: start + length - 1 }));
const fileReference: fc.Arbitrary<StateFileReference> = fc.record({
  handleId: fc.string({ minLength: 1 }),
  handle: fc.oneof(streamHandle, fc.record({ kind: fc.constant('placeholder' as const), size: fc.nat() })),
});
const keyedHandle: fc.Arbitrary<KeyedStateHandle> = fc.oneof(
  keyGroupRange.chain((range) =>
    fc.record({
      kind: fc.constant('key-groups' as const),
      keyGroupRange: fc.constant(range),
      offsets: fc.array(fc.nat(), { minLength: range.end - range.start + 1, maxLength: range.end - range.start + 1 }),
      stream: streamHandle,
    }),
  ),
  fc.record({
    kind: fc.constant('incremental' as const),
    backendId: fc.uuid(),
    keyGroupRange,
    checkpointId: fc.integer({ min: 1, max: 1000 }).map(asCheckpointId),
    sharedState: fc.array(fileReference, { maxLength: 3 }),
    privateState: fc.array(fileReference, { maxLength: 3 }),
    metaState: streamHandle,
  }),
);
const taskState: fc.Arbitrary<TaskStateSnapshot> = fc.record({
  operatorState: fc.oneof(
    fc.constant(null),
    streamHandle,
    // fc.jsonValue() may give -0, which JSON writes as 0: what a task may hand over is what survives JSON unchanged.
    fc.jsonValue().map((value) => ({ kind: 'inline' as const, value: JSON.parse(JSON.stringify(value)) as JsonValue })),
  ),
  keyedState: fc.array(keyedHandle, { maxLength: 3 }),
});
const completedCheckpoint: fc.Arbitrary<CompletedCheckpoint> = fc.record({
  jobId: fc.string({ minLength: 1 }).map(asJobId),
  checkpointId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map(asCheckpointId),
  triggerTimestamp: fc.nat(),
  completionTimestamp: fc.nat(),
  properties: fc.record({
    type: fc.constantFrom(...Object.values(CheckpointType)),
    retention: fc.constantFrom(...Object.values(CheckpointRetention)),
    forced: fc.boolean(),
  }),
  taskStates: fc.dictionary(fc.string({ minLength: 1 }).map(asTaskId), taskState, { maxKeys: 3 }),
  stateSize: fc.nat(),
  externalPointer: fc.oneof(fc.constant(null), fc.constant(PATH)),
});

/** A file with a valid header and checksum around any payload: for records that pass the checksum but not the shape. */
function withValidEnvelope(payloadText: string, version = CHECKPOINT_METADATA_FORMAT_VERSION): Uint8Array {
  const payload = new TextEncoder().encode(payloadText);
  const bytes = new Uint8Array(HEADER_BYTES + payload.byteLength);
  const view = new DataView(bytes.buffer);
  bytes.set([0x4e, 0x43, 0x4b, 0x4d], 0);
  view.setUint16(4, version);
  view.setUint32(6, payload.byteLength);
  bytes.set(createHash('sha256').update(payload).digest(), 10);
  bytes.set(payload, HEADER_BYTES);
  return bytes;
}

function decodingFails(bytes: Uint8Array): CorruptStateError {
  try {
    decodeCheckpointMetadata(bytes, PATH);
  } catch (error) {
    expect(error).to.be.instanceOf(CorruptStateError);
    expect((error as CorruptStateError).name).to.equal('CorruptStateError');
    expect((error as CorruptStateError).path).to.equal(PATH);
    expect((error as CorruptStateError).message).to.match(/^job-1\/chk-7\/_metadata: /);
    return error as CorruptStateError;
  }
  throw new Error('expected decoding to fail');
}

describe('checkpoint metadata codec', () => {
  it('decodes what it encoded, for any completed checkpoint', () => {
    fc.assert(
      fc.property(completedCheckpoint, (checkpoint) => {
        expect(decodeCheckpointMetadata(encodeCheckpointMetadata(checkpoint), PATH)).to.deep.equal(checkpoint);
      }),
    );
  });

  it('starts the file with the magic bytes and format version 1', () => {
    const bytes = encodeCheckpointMetadata(aCheckpoint(7));
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).to.equal('NCKM');
    expect(new DataView(bytes.buffer).getUint16(4)).to.equal(1);
  });

  it('returns a deeply frozen record', () => {
    const decoded = decodeCheckpointMetadata(encodeCheckpointMetadata(aSavepoint(7)), PATH);
    expect(Object.isFrozen(decoded)).to.equal(true);
    expect(Object.isFrozen(decoded.properties)).to.equal(true);
  });

  it('refuses every truncation of a valid file, naming the file', () => {
    const bytes = encodeCheckpointMetadata(aCheckpoint(7, { stateSize: 12 }));
    for (let length = 0; length < bytes.byteLength; length++) {
      expect(decodingFails(bytes.subarray(0, length)).problem).to.match(/^truncated checkpoint metadata: /);
    }
  });

  it('says how many payload bytes are missing when the payload is cut short', () => {
    const bytes = encodeCheckpointMetadata(aCheckpoint(7));
    const payloadLength = bytes.byteLength - HEADER_BYTES;
    expect(decodingFails(bytes.subarray(0, bytes.byteLength - 5)).message).to.equal(
      `${PATH}: truncated checkpoint metadata: ${bytes.byteLength - 5} bytes, the header announces ${payloadLength} payload bytes but only ${payloadLength - 5} follow; refusing to use it (restore from an older checkpoint or remove the file)`,
    );
  });

  it('refuses a file with any single flipped byte', () => {
    const bytes = encodeCheckpointMetadata(aCheckpoint(7, { stateSize: 3 }));
    for (let index = 0; index < bytes.byteLength; index++) {
      const damaged = bytes.slice();
      damaged[index] = (damaged[index] ?? 0) ^ 0x01;
      decodingFails(damaged);
    }
  });

  it('reports a flipped payload byte as a checksum mismatch', () => {
    const damaged = encodeCheckpointMetadata(aCheckpoint(7));
    damaged[HEADER_BYTES + 3] = (damaged[HEADER_BYTES + 3] ?? 0) ^ 0x20;
    expect(decodingFails(damaged).problem).to.equal('checksum mismatch in checkpoint metadata');
  });

  it('refuses an unknown format version, saying which versions it reads', () => {
    const bytes = encodeCheckpointMetadata(aCheckpoint(7));
    new DataView(bytes.buffer).setUint16(4, 2);
    expect(decodingFails(bytes).problem).to.equal('unsupported checkpoint metadata format version 2; this build reads version(s) 1');
  });

  it('refuses a file that is not checkpoint metadata', () => {
    expect(decodingFails(new TextEncoder().encode(JSON.stringify(aCheckpoint(7)))).problem).to.equal(
      'not a checkpoint metadata file (wrong magic bytes at the start)',
    );
  });

  it('refuses bytes after the payload', () => {
    const bytes = encodeCheckpointMetadata(aCheckpoint(7));
    const longer = new Uint8Array(bytes.byteLength + 2);
    longer.set(bytes);
    expect(decodingFails(longer).problem).to.match(/^2 unexpected bytes after the \d+-byte payload$/);
  });

  it('refuses a payload that is not JSON even when its checksum matches', () => {
    expect(decodingFails(withValidEnvelope('{"jobId":')).problem).to.match(/^unparsable checkpoint metadata \(/);
  });

  it('refuses a record without a checkpoint id, naming the field', () => {
    const { checkpointId: _, ...record } = aCheckpoint(7);
    expect(decodingFails(withValidEnvelope(JSON.stringify(record))).problem).to.equal('metadata field checkpointId must be a positive integer, found nothing');
  });

  it('refuses a key-groups handle whose offsets do not cover its key-group range', () => {
    const stream: StreamStateHandle = { kind: 'bytes', handleName: 'kg', data: '', size: 0 };
    const taskStates = {
      [asTaskId('map-1')]: {
        operatorState: null,
        keyedState: [{ kind: 'key-groups', keyGroupRange: { start: 0, end: 3 }, offsets: [0, 10, 20], stream }],
      },
    } as const;
    expect(decodingFails(withValidEnvelope(JSON.stringify(aCheckpoint(7, { taskStates })))).problem).to.equal(
      'metadata field taskStates["map-1"].keyedState[0].offsets must be 4 offsets (one per key group of [0, 3]), found 3',
    );
  });

  it('refuses an unknown checkpoint type', () => {
    const record = { ...aCheckpoint(7), properties: { type: 'snapshot', retention: 'retain-on-failure', forced: false } };
    expect(decodingFails(withValidEnvelope(JSON.stringify(record))).problem).to.equal(
      'metadata field properties.type must be one of "checkpoint", "savepoint", found "snapshot"',
    );
  });

  it('refuses a file handle whose checksum is not a SHA-256', () => {
    const taskStates = { [asTaskId('source-1')]: { operatorState: { kind: 'file', path: 'job-1/chk-7/op', size: 3, checksum: 'abc' }, keyedState: [] } } as const;
    expect(decodingFails(withValidEnvelope(JSON.stringify(aCheckpoint(7, { taskStates })))).problem).to.equal(
      'metadata field taskStates["source-1"].operatorState.checksum must be a hex SHA-256, found "abc"',
    );
  });
});
