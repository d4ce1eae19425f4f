import { expect } from 'chai';
import { checkpointIdOfKeyedState } from '../../src/local-recovery/restored-checkpoint-id.js';
import { KeyGroupRanges } from '../../src/state/key-groups.js';
import type { KeyedStateHandle } from '../../src/state/state-handles.js';
import { asCheckpointId } from '../../src/core/ids.js';

const file = (path: string) => ({ kind: 'file' as const, path, size: 1, checksum: '0'.repeat(64) });
const full = (path: string): KeyedStateHandle => ({ kind: 'key-groups', keyGroupRange: KeyGroupRanges.of(0, 0), offsets: [0], stream: file(path) });
const incremental = (checkpointId: number): KeyedStateHandle => ({
  kind: 'incremental', backendId: 'b', keyGroupRange: KeyGroupRanges.of(1, 1), checkpointId: asCheckpointId(checkpointId), sharedState: [], privateState: [],
  metaState: { kind: 'bytes', handleName: 'meta', data: '', size: 0 },
});

describe('checkpointIdOfKeyedState', () => {
  it('reads the checkpoint from incremental handles and from the chk-<id> directory of full ones', () => {
    expect(checkpointIdOfKeyedState([incremental(7)])).to.equal(7);
    expect(checkpointIdOfKeyedState([full('job/chk-7/keyed-x'), incremental(7)])).to.equal(7);
  });

  it('gives none when the handles disagree or say nothing', () => {
    expect(checkpointIdOfKeyedState([full('job/chk-6/keyed-x'), incremental(7)])).to.equal(null);
    expect(checkpointIdOfKeyedState([])).to.equal(null);
    expect(checkpointIdOfKeyedState([{ kind: 'key-groups', keyGroupRange: KeyGroupRanges.of(0, 0), offsets: [0], stream: { kind: 'bytes', handleName: 'x', data: '', size: 0 } }])).to.equal(null);
  });
});
