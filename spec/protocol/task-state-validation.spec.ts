import { expect } from 'chai';
import { describeMalformedTaskState } from '../../src/protocol/task-state-validation.js';
import { checkCompletedCheckpointShape } from '../../src/storage/completed-checkpoint-shape.js';

const check = (state: unknown): string | null => describeMalformedTaskState(state, 'job', 7, 'state');

describe('describeMalformedTaskState', () => {
  it('passes inline or empty operator state without keyed state', () => {
    expect(check({ operatorState: null, keyedState: [] })).to.equal(null);
    expect(check({ operatorState: { kind: 'inline', value: { list: [1, 'two'] } }, keyedState: [] })).to.equal(null);
  });

  it('still checks inline values and file areas when there is no keyed state', () => {
    expect(check({ operatorState: { kind: 'inline' }, keyedState: [] })).to.equal('state.operatorState.value is missing');
    expect(check({ operatorState: { kind: 'inline', value: [Number.NaN] }, keyedState: [] })).to.equal('state.operatorState.value is not JSON: $[0] is NaN');
    expect(check({ operatorState: { kind: 'file', path: 'job/chk-7/op', size: 1, checksum: 'c'.repeat(64) }, keyedState: [] })).to.equal(null);
    expect(check({ operatorState: { kind: 'file', path: 'job/chk-6/op', size: 1, checksum: 'c'.repeat(64) }, keyedState: [] }))
      .to.equal('state.operatorState.path "job/chk-6/op" lies outside job/chk-7/ (and job/taskowned/), where a private file of this checkpoint must be');
    expect(check({ operatorState: { kind: 'strange' }, keyedState: [] })).to.equal('state.operatorState.kind must be one of "inline", "file", "bytes", found "strange"');
    expect(check({ operatorState: 5, keyedState: [] })).to.equal('state.operatorState must be an object, found 5');
  });

  it('checks the files of keyed state next to inline operator state', () => {
    const keyed = { kind: 'key-groups', keyGroupRange: { start: 0, end: 1 }, offsets: [0, 0], stream: { kind: 'file', path: 'other/chk-7/k', size: 1, checksum: 'c'.repeat(64) } };
    expect(check({ operatorState: { kind: 'inline', value: 1 }, keyedState: [keyed] }))
      .to.equal('state.keyedState[0].stream.path "other/chk-7/k" lies outside job/chk-7/ (and job/taskowned/), where a private file of this checkpoint must be');
  });

  it('refuses every state the metadata reader would refuse, so no checkpoint completes that cannot be read back', () => {
    const file = (path: string) => ({ kind: 'file', path, size: 1, checksum: 'a'.repeat(64) });
    const incremental = { kind: 'incremental', backendId: 'b', keyGroupRange: { start: 0, end: 1 }, checkpointId: 7, sharedState: [], privateState: [], metaState: file('job/chk-7/meta') };
    const unreadable = {
      'offsets not one per key group': { kind: 'key-groups', keyGroupRange: { start: 0, end: 3 }, offsets: [0], stream: file('job/chk-7/k') },
      'a checksum that is not a SHA-256': { kind: 'key-groups', keyGroupRange: { start: 0, end: 0 }, offsets: [0], stream: { ...file('job/chk-7/k'), checksum: 'c' } },
      'an empty backend id': { ...incremental, backendId: '' },
      'an incremental checkpoint id of 0': { ...incremental, checkpointId: 0 },
      'an empty handle id': { ...incremental, sharedState: [{ handleId: '', handle: file('job/shared/s') }] },
    };
    for (const [what, keyed] of Object.entries(unreadable)) {
      const state = { operatorState: null, keyedState: [keyed] };
      const metadata = { jobId: 'job', checkpointId: 7, triggerTimestamp: 0, completionTimestamp: 1, properties: { type: 'checkpoint', retention: 'never-retain-after-termination', forced: false }, taskStates: { t: state }, stateSize: 0, externalPointer: null };
      expect(() => checkCompletedCheckpointShape(metadata, 'job/chk-7/_metadata'), what).to.throw();
      expect(check(state), what).to.not.equal(null);
    }
  });
});
