import { expect } from 'chai';
import { StandaloneCompletedCheckpointStore } from '../../src/checkpoint/standalone-completed-checkpoint-store.js';
import { asTaskId } from '../../src/core/ids.js';
import { RetainedCheckpoints } from '../../src/coordinator/retained-checkpoints.js';
import { aCheckpoint, aSavepoint, aStateWithFiles } from '../support/checkpoint-fixtures.js';

describe('retained checkpoints (what the coordinator asks of the store instead of keeping a copy)', () => {
  let store: StandaloneCompletedCheckpointStore;
  let retained: RetainedCheckpoints;
  beforeEach(() => {
    store = new StandaloneCompletedCheckpointStore({ maxRetained: 2 });
    retained = new RetainedCheckpoints(store);
  });

  it('knows nothing of an empty store: no id retained, highest id 0, snapshots need not be full', () => {
    expect(retained.has(1)).to.equal(false);
    expect(retained.filesOf(1)).to.equal(null);
    expect(retained.highestId()).to.equal(0);
    expect(retained.onlySavepoints()).to.equal(false);
  });

  it('follows the store as it subsumes: a subsumed checkpoint is no longer retained', async () => {
    for (const id of [1, 2, 3]) await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(id));

    expect([1, 2, 3].map((id) => retained.has(id))).to.deep.equal([false, true, true]);
    expect(retained.highestId()).to.equal(3);
  });

  it('names every file a retained checkpoint references, across its tasks', async () => {
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(4, {
      taskStates: { [asTaskId('a')]: aStateWithFiles('a', 4), [asTaskId('b')]: aStateWithFiles('b', 4) },
    }));

    expect([...retained.filesOf(4)!].sort()).to.deep.equal([
      'job-1/chk-4/a-operator', 'job-1/chk-4/b-operator', 'job-1/shared/a-4', 'job-1/shared/b-4',
    ]);
  });

  it('counts a savepoint newer than every checkpoint in the highest id', async () => {
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(5));
    await store.addCheckpointAndSubsumeOldestOne(aSavepoint(9));

    expect(retained.highestId()).to.equal(9);
  });

  it('asks for full snapshots while savepoints are the only restore points, and no longer once a checkpoint completed', async () => {
    await store.addCheckpointAndSubsumeOldestOne(aSavepoint(3));
    expect(retained.onlySavepoints()).to.equal(true);

    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(4));
    expect(retained.onlySavepoints()).to.equal(false);
  });
});
