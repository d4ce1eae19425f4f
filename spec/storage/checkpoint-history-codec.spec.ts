import { expect } from 'chai';
import type { PersistedCheckpointHistory } from '../../src/checkpoint/checkpoint-history.js';
import { asCheckpointId, asJobId, asTaskId } from '../../src/core/ids.js';
import { decodeCheckpointHistory, encodeCheckpointHistory } from '../../src/storage/checkpoint-history-codec.js';
import { CorruptStateError } from '../../src/storage/corrupt-state-error.js';

const PATH = 'job-1/checkpoint-history.json';

function aHistory(): PersistedCheckpointHistory {
  return {
    jobId: asJobId('job-1'),
    writtenAt: 5_000,
    totals: { triggered: 2, completed: 1, failed: 1, restored: 1 },
    history: {
      capacity: 10,
      entries: [
        {
          checkpointId: asCheckpointId(1), kind: 'checkpoint', status: 'completed', triggerTimestamp: 1_000, endTimestamp: 1_040, durationMs: 40,
          acknowledgementLatency: { min: 1, avg: 2.5, p99: 4, max: 4, acknowledged: 2, tasks: 2 }, slowestTask: { taskId: asTaskId('sink'), latencyMs: 4 },
          stateSize: 300, persistedBytes: 120, failureReason: null, failureMessage: null,
        },
        {
          checkpointId: asCheckpointId(2), kind: 'checkpoint', status: 'failed', triggerTimestamp: 2_000, endTimestamp: 2_500, durationMs: 500,
          acknowledgementLatency: null, slowestTask: null, stateSize: null, persistedBytes: null, failureReason: 'expired', failureMessage: 'checkpoint 2 expired',
        },
      ],
      restores: [{ checkpointId: asCheckpointId(1), timestamp: 2_600 }],
      summary: { completed: 1, failed: 1, inProgress: 0, durationMs: { min: 40, avg: 40, max: 40 }, stateSize: { min: 300, avg: 300, max: 300 }, persistedBytes: { min: 120, avg: 120, max: 120 } },
    },
  };
}

function refusal(bytes: Uint8Array): CorruptStateError {
  try {
    decodeCheckpointHistory(bytes, PATH);
  } catch (error) {
    expect(error).to.be.instanceOf(CorruptStateError);
    return error as CorruptStateError;
  }
  throw new Error('the damaged history was accepted');
}

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytesOf = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('the checkpoint history file', () => {
  it('reads back what was written, survives a JSON round trip of its text, and starts with its format and version', () => {
    const bytes = encodeCheckpointHistory(aHistory());
    expect(decodeCheckpointHistory(bytes, PATH)).to.deep.equal(aHistory());
    expect(text(bytes)).to.match(/^\{"format":"nact-checkpoint-history","formatVersion":1,"checksum":"[0-9a-f]{64}","payload":\{/);
    expect(decodeCheckpointHistory(bytesOf(JSON.stringify(JSON.parse(text(bytes)), null, 2)), PATH)).to.deep.equal(aHistory());
  });

  it('refuses a truncated file, naming it', () => {
    const bytes = encodeCheckpointHistory(aHistory());
    const error = refusal(bytes.subarray(0, bytes.byteLength - 40));
    expect(error.path).to.equal(PATH);
    expect(error.problem).to.match(/^not a checkpoint history: unparsable JSON \(.*; truncated\?\)$/);
  });

  it('refuses a changed value (checksum), another format version, and another kind of file', () => {
    const original = text(encodeCheckpointHistory(aHistory()));
    expect(refusal(bytesOf(original.replace('"stateSize":300', '"stateSize":301'))).problem).to.equal('checksum mismatch in checkpoint history');
    expect(refusal(bytesOf(original.replace('"formatVersion":1', '"formatVersion":2'))).problem).to.equal('unsupported checkpoint history format version 2; this build reads version 1');
    expect(refusal(bytesOf('{"next":3}')).problem).to.equal('not a checkpoint history: format is undefined, expected "nact-checkpoint-history"');
  });

  it('refuses a well-checksummed payload of the wrong shape, naming the field', () => {
    const broken = { ...aHistory(), history: { ...aHistory().history, entries: [{ ...aHistory().history.entries[0], status: 'done' }] } };
    expect(refusal(encodeCheckpointHistory(broken as unknown as PersistedCheckpointHistory)).problem)
      .to.equal('malformed checkpoint history: history.entries[0].status must be one of in-progress, completed, failed');
  });
});
