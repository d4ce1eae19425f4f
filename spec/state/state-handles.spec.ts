import { expect } from 'chai';
import { asCheckpointId } from '../../src/core/ids.js';
import type {
  ByteStreamStateHandle, FileStateHandle, IncrementalKeyedStateHandle, InlineStateHandle, KeyGroupsStateHandle,
  PlaceholderStreamStateHandle, SnapshotResult, TaskStateSnapshot,
} from '../../src/state/state-handles.js';
import { stateSizeOf } from '../../src/state/state-size.js';

const file: FileStateHandle = { kind: 'file', path: 'job/shared/3f2a', size: 120, checksum: 'ab'.repeat(32) };
const bytes: ByteStreamStateHandle = { kind: 'bytes', handleName: 'meta', data: Buffer.from('{"v":1}').toString('base64'), size: 7 };
const inline: InlineStateHandle = { kind: 'inline', value: { position: 42, words: ['a', 'b'], done: false, missing: null } };
const placeholder: PlaceholderStreamStateHandle = { kind: 'placeholder', size: 80 };
const keyGroups: KeyGroupsStateHandle = { kind: 'key-groups', keyGroupRange: { start: 0, end: 3 }, offsets: [0, 10, 25, 40], stream: { ...file, path: 'job/chk-2/kg' } };
const incremental: IncrementalKeyedStateHandle = {
  kind: 'incremental', backendId: 'b6f1c2', keyGroupRange: { start: 4, end: 7 }, checkpointId: asCheckpointId(2),
  sharedState: [{ handleId: 'seg-1', handle: placeholder }, { handleId: 'seg-2', handle: file }],
  privateState: [], metaState: bytes,
};
const snapshot: TaskStateSnapshot = { operatorState: inline, keyedState: [keyGroups, incremental] };

describe('state handles', () => {
  it('survive JSON.stringify / JSON.parse unchanged, every kind of them', () => {
    const result: SnapshotResult<TaskStateSnapshot> = { jobManagerOwnedSnapshot: snapshot, taskLocalSnapshot: { operatorState: bytes, keyedState: [] } };
    for (const handle of [file, bytes, inline, placeholder, keyGroups, incremental, snapshot, result]) {
      expect(JSON.parse(JSON.stringify(handle))).to.deep.equal(handle);
    }
  });

  it('size a task snapshot as inline JSON length plus every stream, placeholders counted at the size they stand for', () => {
    expect(stateSizeOf(snapshot)).to.equal(JSON.stringify(inline.value).length + 120 + 80 + 120 + 7);
    expect(stateSizeOf({ operatorState: null, keyedState: [] })).to.equal(0);
  });
});
