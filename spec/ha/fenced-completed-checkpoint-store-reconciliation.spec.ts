import { CheckpointAddOutcomeUnknownError } from '../../src/checkpoint/completed-checkpoint-store.js';
import { expect } from 'chai';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import { asJobId } from '../../src/core/ids.js';
import { JobStatus } from '../../src/core/job-status.js';
import { FencedCompletedCheckpointStore } from '../../src/ha/fenced-completed-checkpoint-store.js';
import { HighAvailabilityStorageError } from '../../src/ha/high-availability-storage-error.js';
import type { LeaderSession } from '../../src/ha/leader-session.js';
import { InMemoryHighAvailabilityBackend } from '../../src/ha/memory/in-memory-high-availability-backend.js';
import { InMemoryHighAvailabilityData } from '../../src/ha/memory/in-memory-high-availability-data.js';
import { aCheckpoint } from '../support/checkpoint-fixtures.js';
import { RecordingDiscarder } from '../support/recording-discarder.js';
import { rejectionOf } from '../support/rejection-of.js';
import { FailingCommitTable } from './support/failing-commit-table.js';

const idsOf = (checkpoints: readonly CompletedCheckpoint[]): number[] => checkpoints.map((checkpoint) => checkpoint.checkpointId);

describe('FencedCompletedCheckpointStore after a write whose outcome is unknown', () => {
  let table: FailingCommitTable;
  let session: LeaderSession;
  let discarder: RecordingDiscarder;
  let store: FencedCompletedCheckpointStore;

  beforeEach(async () => {
    const backend = new InMemoryHighAvailabilityBackend(new InMemoryHighAvailabilityData(), 'instance-1');
    session = (await backend.leases.tryAcquire('cluster', 'contender-1', null))!;
    table = new FailingCommitTable(backend.checkpoints);
    discarder = new RecordingDiscarder();
    store = await FencedCompletedCheckpointStore.recover(table, asJobId('job-1'), { session, maxRetained: 1, discarder });
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
  });

  it('discards nothing when the add fails, and adopts the checkpoint at the next call when the write did happen', async () => {
    table.failNextCommit('committed-then-lost');
    const failure = await rejectionOf(store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2)));
    expect(failure).to.be.instanceOf(CheckpointAddOutcomeUnknownError);
    expect((failure as CheckpointAddOutcomeUnknownError).cause).to.be.instanceOf(HighAvailabilityStorageError).with.property('outcome', 'unknown');
    expect(discarder.calls, 'neither the new checkpoint nor the subsumed one').to.deep.equal([]);
    expect(idsOf(store.getAllCheckpoints())).to.deep.equal([1]);

    expect(idsOf(await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3)))).to.deep.equal([2]);
    // Checkpoint 1 was released by the write that did happen; 2 by this one.
    expect(discarder.calls).to.deep.equal(['subsumed(1)', 'subsumed(2)']);
    expect(idsOf(store.getAllCheckpoints())).to.deep.equal([3]);
  });

  it('discards the new checkpoint at the next call when the write did not happen', async () => {
    table.failNextCommit('lost-before-commit');
    await rejectionOf(store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2)));
    expect(discarder.calls).to.deep.equal([]);
    expect(idsOf(await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3)))).to.deep.equal([1]);
    expect(discarder.calls).to.deep.equal(['not-added(2)', 'subsumed(1)']);
  });

  it('settles the unknown write before a terminal shutdown discards', async () => {
    table.failNextCommit('committed-then-lost');
    await rejectionOf(store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2)));
    await store.shutdown(JobStatus.FINISHED);
    expect(discarder.calls).to.deep.equal(['subsumed(1)', 'shutdown(2)']);
  });
});
