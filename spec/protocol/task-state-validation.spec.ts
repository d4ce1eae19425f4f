import { expect } from 'chai';
import { describeMalformedTaskState } from '../../src/protocol/task-state-validation.js';

const check = (state: unknown): string | null => describeMalformedTaskState(state, 'job', 7, 'state');

describe('describeMalformedTaskState', () => {
  it('passes inline or empty operator state without keyed state', () => {
    expect(check({ operatorState: null, keyedState: [] })).to.equal(null);
    expect(check({ operatorState: { kind: 'inline', value: { list: [1, 'two'] } }, keyedState: [] })).to.equal(null);
  });

  it('still checks inline values and file areas when there is no keyed state', () => {
    expect(check({ operatorState: { kind: 'inline' }, keyedState: [] })).to.equal('state.operatorState.value is missing');
    expect(check({ operatorState: { kind: 'inline', value: [Number.NaN] }, keyedState: [] })).to.equal('state.operatorState.value is not JSON: $[0] is NaN');
    expect(check({ operatorState: { kind: 'file', path: 'job/chk-7/op', size: 1, checksum: 'c' }, keyedState: [] })).to.equal(null);
    expect(check({ operatorState: { kind: 'file', path: 'job/chk-6/op', size: 1, checksum: 'c' }, keyedState: [] }))
      .to.equal('state.operatorState.path "job/chk-6/op" lies outside job/chk-7/ (and job/taskowned/), where a private file of this checkpoint must be');
    expect(check({ operatorState: { kind: 'strange' }, keyedState: [] })).to.equal(`state.operatorState.kind must be 'inline', 'file', 'bytes', got "strange"`);
    expect(check({ operatorState: 5, keyedState: [] })).to.equal('state.operatorState must be a state handle object');
  });

  it('checks the files of keyed state next to inline operator state', () => {
    const keyed = { kind: 'key-groups', keyGroupRange: { start: 0, end: 1 }, offsets: [0], stream: { kind: 'file', path: 'other/chk-7/k', size: 1, checksum: 'c' } };
    expect(check({ operatorState: { kind: 'inline', value: 1 }, keyedState: [keyed] }))
      .to.equal('state.keyedState[0].stream.path "other/chk-7/k" lies outside job/chk-7/ (and job/taskowned/), where a private file of this checkpoint must be');
  });
});
