import { expect } from 'chai';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import { IncrementalJob, manualJob } from './support/incremental-job.js';
import { ackOf, completed, exists, expectClean, sharedFilesOf, sharedReferences, uploadsIn } from './support/incremental-job-assertions.js';

describe('recovery of incremental checkpoints from storage', () => {
  let job: IncrementalJob;
  afterEach(async () => job?.dispose());

  it('a restarted coordinator re-registers the retained checkpoint\'s shared state, so placeholders resolve and subsuming it deletes nothing the next one needs (seed 002, FLINK-6964)', async () => {
    job = await IncrementalJob.create(manualJob());
    await job.startCoordinator();
    await job.put('a', 'k1', 1);
    await job.put('a', 'k2', 2);
    await job.put('b', 'k3', 3);
    const first = completed(await job.checkpoint());
    const firstFiles = sharedFilesOf(first);
    expect(firstFiles).to.have.length(2);

    await job.restartCoordinator('suspend');
    expect(job.recoveredLatestId).to.equal(1);
    expect([...job.setup.stateCleaner.registry.handles()].map((handle) => (handle.kind === 'file' ? handle.path : '')).sort()).to.deep.equal(firstFiles);
    expect(await job.read('a')).to.deep.equal({ k1: 1, k2: 2 });
    expect(await job.read('b')).to.deep.equal({ k3: 3 });

    await job.put('a', 'k1', 10);
    const second = completed(await job.checkpoint());
    expect(second.checkpointId).to.equal(2);
    // The restored backends kept their ids and referred to checkpoint 1's segments by placeholder...
    const placeholders = sharedReferences([ackOf(job, 'a', 2).state, ackOf(job, 'b', 2).state]).filter(({ handle }) => handle.kind === 'placeholder');
    expect(placeholders).to.have.length(2);
    // ...which the re-registered shared state resolved to the stored files, now held by checkpoint 2.
    expect(sharedFilesOf(second)).to.include.members(firstFiles);
    expect(job.setup.store.getAllCheckpoints().map((checkpoint) => checkpoint.checkpointId)).to.deep.equal([2]);
    await expectClean(job);
    for (const path of firstFiles) expect(await exists(job, path), path).to.equal(true);
    expect(await exists(job, 'job-1/chk-1/_metadata')).to.equal(false);

    await job.restartCoordinator('crash');
    expect(await job.read('a')).to.deep.equal({ k1: 10, k2: 2 });
    expect(await job.read('b')).to.deep.equal({ k3: 3 });
  });

  it('continues ids after the latest retained checkpoint, sweeping what a crashed coordinator left in flight', async () => {
    job = await IncrementalJob.create(manualJob({ taskIds: ['a'], retained: 2 }));
    await job.startCoordinator();
    for (let round = 1; round <= 3; round += 1) {
      await job.put('a', `k${round}`, round);
      expect(completed(await job.checkpoint()).checkpointId).to.equal(round);
    }
    job.relay.held.add('a');
    await job.put('a', 'k4', 4);
    job.triggerCheckpoint();
    await job.settle();
    const inFlightUpload = uploadsIn(ackOf(job, 'a', 4)).filter((path) => !sharedFilesOf(job.setup.store.getLatestCheckpoint() as CompletedCheckpoint).includes(path));
    expect(inFlightUpload).to.have.length(1);

    await job.restartCoordinator('crash');
    expect(job.recoveredLatestId).to.equal(3);
    expect(job.setup.orphansRemoved).to.deep.equal(inFlightUpload);
    expect(await job.read('a')).to.deep.equal({ k1: 1, k2: 2, k3: 3 });
    const next = completed(await job.checkpoint());
    expect(next.checkpointId).to.equal(4);
    expect(job.events.find((event) => event.type === 'checkpoint-triggered')).to.deep.include({ checkpointId: 4 });
    expect(job.setup.store.getAllCheckpoints().map((checkpoint) => checkpoint.checkpointId)).to.deep.equal([3, 4]);
    await expectClean(job);
  });

  it('waits for the deletions of the previous coordinator of the job in this process before recovering, so they cannot remove a checkpoint that reuses an id', async () => {
    job = await IncrementalJob.create(manualJob({ taskIds: ['a'] }));
    await job.startCoordinator();
    await job.put('a', 'k1', 1);
    completed(await job.checkpoint());
    job.relay.held.add('a');
    job.triggerCheckpoint();
    await job.settle();
    const previous = job.storage;
    previous.stallDeletions();
    await job.stopCoordinator('suspend');
    expect(previous.stalledDeletions).to.be.greaterThan(0);

    const operationsBefore = job.tracker.started;
    const starting = job.startCoordinator();
    await job.tracker.quiet();
    expect(job.tracker.started, 'storage operations started by recovery while the old deletions are stalled').to.equal(operationsBefore);
    previous.resumeDeletions();
    await starting;
    job.releaseAll();

    const reused = completed(await job.checkpoint());
    expect(reused.checkpointId).to.equal(2);
    await expectClean(job);
    expect(await exists(job, 'job-1/chk-2/_metadata')).to.equal(true);
  });
});

describe('cleanup of aborted and refused incremental state', () => {
  let job: IncrementalJob;
  afterEach(async () => job?.dispose());

  it('keeps an aborted checkpoint\'s uploads while a checkpoint in flight may carry them, then deletes what no completed checkpoint references (FLINK-24611, FLINK-30461)', async () => {
    job = await IncrementalJob.create(manualJob({ maxConcurrent: 3 }));
    await job.startCoordinator();
    await job.put('a', 'k1', 1);
    await job.put('b', 'k1', 1);
    completed(await job.checkpoint());

    job.relay.held.add('b');
    await job.put('a', 'k2', 2);
    job.triggerCheckpoint();
    await job.settle();
    await job.put('a', 'k3', 3);
    job.triggerCheckpoint();
    await job.settle();
    const [uploadOf2] = uploadsIn(ackOf(job, 'a', 2));
    const uploadsOf3 = uploadsIn(ackOf(job, 'a', 3));
    const uploadOf3 = uploadsOf3.find((path) => path !== uploadOf2) as string;
    // Checkpoint 2's upload is not confirmed yet, so checkpoint 3 carries it as a file, beside its own.
    expect(uploadsOf3).to.have.members([uploadOf2, uploadOf3]);

    await job.decline('b', 3);
    await job.settle();
    expect(await job.deletionsSettled()).to.equal(true);
    expect(await exists(job, uploadOf2 as string), 'the upload checkpoint 2 (in flight) also carries').to.equal(true);
    expect(await exists(job, uploadOf3), 'the aborted checkpoint\'s own upload, while checkpoint 2 is in flight').to.equal(true);

    job.release('b');
    const stats = await job.settle();
    expect(stats.latestCompleted?.checkpointId).to.equal(2);
    expect(await job.deletionsSettled()).to.equal(true);
    expect(await exists(job, uploadOf2 as string), 'referenced by completed checkpoint 2').to.equal(true);
    expect(await exists(job, uploadOf3), 'referenced by nothing once checkpoint 2 settled').to.equal(false);
    await expectClean(job);

    // With nothing else in flight, an aborted checkpoint's uploads go at once.
    await job.put('a', 'k4', 4);
    job.journal.declineNext.add('b');
    const aborted = await job.checkpoint();
    expect(aborted).to.deep.include({ status: 'failed', checkpointId: 4 });
    await job.settle();
    const [uploadOf4] = uploadsIn(ackOf(job, 'a', 4)).filter((path) => !uploadsIn(ackOf(job, 'a', 3)).includes(path));
    expect(uploadOf4).to.be.a('string');
    expect(await job.deletionsSettled()).to.equal(true);
    expect(await exists(job, uploadOf4 as string)).to.equal(false);
    await expectClean(job);
  });

  it('keeps both savepoints when the first completes after the second, and leaves nothing behind', async () => {
    job = await IncrementalJob.create(manualJob({ taskIds: ['a'] }));
    await job.startCoordinator();
    await job.put('a', 'k1', 1);
    job.relay.held.add('a');
    job.triggerSavepoint();
    await job.settle();
    await job.put('a', 'k2', 2);
    job.triggerSavepoint();
    await job.settle();
    // A copy of the second savepoint's acknowledgement overtakes the held ones.
    job.send({ ...ackOf(job, 'a', 2) });
    let stats = await job.settle();
    expect(stats.latestCompleted?.checkpointId).to.equal(2);
    job.release('a');
    stats = await job.settle();
    // Savepoints stand beside the chain of checkpoints: one completing after a later one is still kept.
    expect(job.setup.store.getAllCheckpoints().map((checkpoint) => checkpoint.checkpointId)).to.deep.equal([1, 2]);
    await expectClean(job);
    for (const id of [1, 2]) expect(await exists(job, `job-1/chk-${id}/_metadata`), `metadata of savepoint ${id}`).to.equal(true);
  });
});
