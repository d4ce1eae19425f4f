import { expect } from 'chai';
import { asCheckpointId, asJobId } from '../../src/core/ids.js';
import { CheckpointCleaner, type DiscardRefusal } from '../../src/coordinator/checkpoint-cleaner.js';
import type { TaskStateSnapshot } from '../../src/state/state-handles.js';
import { aCheckpoint, aStateWithFiles } from '../support/checkpoint-fixtures.js';
import { RecordingStateCleaner } from '../support/recording-state-cleaner.js';

/** The cleaner with a view of the coordinator the spec controls: checkpoints in flight and retained ones. */
function aCleaner(view: { inFlight?: number[]; retained?: Record<number, string[]> } = {}) {
  const files = new RecordingStateCleaner();
  const refusals: { checkpointId: number; refused: readonly DiscardRefusal[] }[] = [];
  const inFlight = new Set(view.inFlight ?? []);
  const retained = view.retained ?? {};
  const cleaner = new CheckpointCleaner(asJobId('job-1'), files, {
    inFlightIds: () => new Set(inFlight),
    isRetained: (id) => id in retained,
    filesOfRetained: (id) => (id in retained ? new Set(retained[id]) : null),
  }, (checkpointId, refused) => refusals.push({ checkpointId, refused }));
  return { cleaner, files, refusals, inFlight };
}

const fileState = (operatorPath: string, sharedPath?: string): TaskStateSnapshot => ({
  operatorState: { kind: 'file', path: operatorPath, size: 1, checksum: 'c'.repeat(64) },
  keyedState: sharedPath === undefined ? [] : [{
    kind: 'incremental', backendId: 'b', keyGroupRange: { start: 0, end: 0 }, checkpointId: asCheckpointId(1),
    sharedState: [{ handleId: 'h', handle: { kind: 'file', path: sharedPath, size: 1, checksum: 'c'.repeat(64) } }], privateState: [], metaState: { kind: 'bytes', handleName: 'm', data: '', size: 0 },
  }],
});

describe('checkpoint cleaner (the one discard rule, driven without an actor system)', () => {
  it('removes an aborted checkpoint\'s directory at once and its unreferenced shared files once nothing in flight can carry them', () => {
    const { cleaner, files, inFlight } = aCleaner({ inFlight: [3, 4] });
    cleaner.discardAborted(asCheckpointId(3), [aStateWithFiles('a', 3)]);
    expect(files.abortedDirectories).to.deep.equal([3]);
    expect(files.discardedFiles).to.deep.equal([]);
    inFlight.delete(3);
    inFlight.delete(4);
    cleaner.settled(asCheckpointId(4));
    expect(files.discardedFiles).to.deep.equal(['job-1/shared/a-3']);
  });

  it('keeps shared files a retained checkpoint references, silently', () => {
    const { cleaner, files, refusals } = aCleaner();
    files.referenced.add('job-1/shared/a-3');
    cleaner.discardAborted(asCheckpointId(3), [aStateWithFiles('a', 3)]);
    expect(files.discardedFiles).to.deep.equal([]);
    expect(refusals).to.deep.equal([]);
  });

  it('refuses, and reports, files outside the upload area of the checkpoint the state names', () => {
    const { cleaner, files, refusals } = aCleaner();
    cleaner.discardUnclaimed(asCheckpointId(9), fileState('job-1/chk-2/op', 'job-2/shared/x'));
    expect(files.discardedFiles).to.deep.equal([]);
    expect(refusals).to.deep.equal([{ checkpointId: 9, refused: [
      { path: 'job-1/chk-2/op', reason: 'a private file of checkpoint 9 must lie in job-1/chk-9/' },
      { path: 'job-2/shared/x', reason: 'a shared file of checkpoint 9 must lie in job-1/shared/' },
    ] }]);
  });

  it('never deletes task-owned files', () => {
    const { cleaner, files, refusals } = aCleaner();
    cleaner.discardUnclaimed(asCheckpointId(9), fileState('job-1/taskowned/cache'));
    expect([files.discardedFiles, refusals]).to.deep.equal([[], []]);
  });

  it('waits, for an unclaimed acknowledgement, for the checkpoint it names; then deletes what that checkpoint does not retain', () => {
    const { cleaner, files, refusals, inFlight } = aCleaner({ inFlight: [5], retained: { 5: ['job-1/chk-5/kept'] } });
    cleaner.discardUnclaimed(asCheckpointId(5), fileState('job-1/chk-5/kept'));
    cleaner.discardUnclaimed(asCheckpointId(5), fileState('job-1/chk-5/stale-attempt'));
    expect(files.discardedFiles).to.deep.equal([]);
    inFlight.delete(5);
    cleaner.settled(asCheckpointId(5));
    expect(files.discardedFiles).to.deep.equal(['job-1/chk-5/stale-attempt']);
    expect(refusals).to.deep.equal([{ checkpointId: 5, refused: [{ path: 'job-1/chk-5/kept', reason: 'retained checkpoint 5 references it' }] }]);
  });

  it('takes a failed finalization\'s registrations back and discards it; one whose id the store retains is left whole', () => {
    const { cleaner, files } = aCleaner();
    const failed = aCheckpoint(6, { taskStates: { ['a' as never]: aStateWithFiles('a', 6) } });
    cleaner.discardFailedFinalization(failed);
    expect([files.released, files.abortedDirectories, files.discardedFiles]).to.deep.equal([[6], [6], ['job-1/shared/a-6']]);

    const same = aCleaner({ retained: { 6: [] } });
    same.cleaner.discardFailedFinalization(failed);
    expect([same.files.released, same.files.abortedDirectories, same.files.discardedFiles]).to.deep.equal([[], [], []]);
    expect(same.refusals[0]?.refused.map((refusal) => refusal.reason)).to.deep.equal(['the store retains another checkpoint 6', 'the store retains another checkpoint 6']);
  });
});
