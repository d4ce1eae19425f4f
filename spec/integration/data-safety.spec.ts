import { expect } from 'chai';
import { asCheckpointId, asJobId, asTaskId } from '../../src/core/ids.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import type { TaskStateSnapshot } from '../../src/state/state-handles.js';
import { RefusingStore } from '../support/refusing-store.js';
import { IncrementalJob, manualJob as manualJobOf, type IncrementalJobOptions } from './support/incremental-job.js';
import { ackOf, completed, exists, expectClean, sharedFilesOf, uploadsIn } from './support/incremental-job-assertions.js';

/** One task unless a spec says otherwise. */
const manualJob = (overrides: Partial<IncrementalJobOptions> = {}): IncrementalJobOptions => manualJobOf({ taskIds: ['a'], ...overrides });

describe('data safety: no completed checkpoint ever references a deleted file', () => {
  let job: IncrementalJob;
  afterEach(async () => job?.dispose());

  /**
   * Checkpoint 2 is finalizing (its metadata write held) when checkpoint 3 is triggered: the task has not heard that 2
   * completed, so 3 carries 2's upload as a file too. Then 2's finalization fails.
   */
  async function failTheFinalizationOfCheckpoint2WhileCheckpoint3CarriesItsUpload(failIt: () => void): Promise<string> {
    await job.startCoordinator();
    await job.put('a', 'k1', 1);
    completed(await job.checkpoint());
    await job.put('a', 'k2', 2);
    job.storage.holdMetadataWrites();
    job.triggerCheckpoint();
    await job.settle();
    expect(job.storage.heldMetadataWriteIds).to.deep.equal([2]);
    job.relay.held.add('a');
    job.triggerCheckpoint();
    await job.settle();
    expect(job.checkpointsInFlight()).to.deep.equal([2, 3]);
    const [uploadOf2] = uploadsIn(ackOf(job, 'a', 2)).filter((path) => !uploadsIn(ackOf(job, 'a', 1)).includes(path));
    expect(uploadOf2).to.be.a('string');
    expect(uploadsIn(ackOf(job, 'a', 3))).to.include(uploadOf2);
    failIt();
    await job.settle();
    expect(job.events.find((event) => event.type === 'checkpoint-failed' && event.checkpointId === 2)).to.not.equal(undefined);
    job.release('a');
    const stats = await job.settle();
    expect(stats.latestCompleted?.checkpointId).to.equal(3);
    return uploadOf2 as string;
  }

  it('when the metadata write of a checkpoint fails, the next checkpoint that carries its upload keeps the file', async () => {
    job = await IncrementalJob.create(manualJob());
    const uploadOf2 = await failTheFinalizationOfCheckpoint2WhileCheckpoint3CarriesItsUpload(() => job.storage.failHeldMetadataWrites(new Error('no space left on device')));
    await expectClean(job);
    expect(await exists(job, uploadOf2)).to.equal(true);
    expect(await exists(job, 'job-1/chk-2')).to.equal(false);
    await job.restartCoordinator('crash');
    expect(await job.read('a')).to.deep.equal({ k1: 1, k2: 2 });
  });

  it('when the store refuses a checkpoint, the next checkpoint that carries its upload keeps the file, and the refused metadata goes', async () => {
    let store!: RefusingStore;
    job = await IncrementalJob.create(manualJob({ wrapStore: (inner) => (store = new RefusingStore(inner)) }));
    const uploadOf2 = await failTheFinalizationOfCheckpoint2WhileCheckpoint3CarriesItsUpload(() => {
      store.refuseNextAdds = 1;
      job.storage.passHeldMetadataWrites();
    });
    expect(store.refusedIds).to.deep.equal([2]);
    await expectClean(job);
    expect(await exists(job, uploadOf2)).to.equal(true);
    expect(await exists(job, 'job-1/chk-2/_metadata')).to.equal(false);
    await job.restartCoordinator('crash');
    expect(job.recoveredLatestId).to.equal(3);
    expect(await job.read('a')).to.deep.equal({ k1: 1, k2: 2 });
  });
});

describe('data safety: no message can delete a file it does not own', () => {
  let job: IncrementalJob;
  afterEach(async () => job?.dispose());

  /** Names the files of retained checkpoint 1, a file of another job and a shared file as private state. */
  async function aStateNamingFilesTheJobMustKeep(): Promise<{ state: TaskStateSnapshot; kept: string[] }> {
    await job.startCoordinator();
    await job.put('a', 'k1', 1);
    const first = completed(await job.checkpoint());
    const foreign = await job.inner.writeSharedFile(asJobId('job-2'), 'foreign-upload', new TextEncoder().encode('another job'));
    const [liveShared] = sharedFilesOf(first);
    const retainedState = first.taskStates[asTaskId('a')] as TaskStateSnapshot;
    const metadata = first.externalPointer as string;
    const state: TaskStateSnapshot = {
      operatorState: { kind: 'file', path: foreign.path, size: foreign.size, checksum: foreign.checksum },
      keyedState: [
        ...retainedState.keyedState,
        { kind: 'key-groups', keyGroupRange: { start: 0, end: 0 }, offsets: [0], stream: { kind: 'file', path: metadata, size: 1, checksum: 'f'.repeat(64) } },
        { kind: 'key-groups', keyGroupRange: { start: 1, end: 1 }, offsets: [0], stream: { kind: 'file', path: liveShared as string, size: 1, checksum: 'f'.repeat(64) } },
      ],
    };
    return { state, kept: [foreign.path, metadata, liveShared as string] };
  }

  function malformedProblems(): string[] {
    return job.events.flatMap((event) => (event.type === 'malformed-message' ? [event.problem] : []));
  }

  it('refuses an acknowledgement for an unknown checkpoint that names files outside that checkpoint\'s upload area, and deletes none of them', async () => {
    job = await IncrementalJob.create(manualJob());
    const { state, kept } = await aStateNamingFilesTheJobMustKeep();
    const { attemptId } = (await job.task('a'))!;
    job.send({ type: 'AcknowledgeCheckpoint', jobId: IncrementalJob.JOB_ID, taskId: asTaskId('a'), attemptId, checkpointId: asCheckpointId(99), state });
    const stats = await job.settle();
    expect(stats.counts.malformedMessages).to.equal(1);
    expect(malformedProblems()).to.deep.equal([
      `AcknowledgeCheckpoint.state.operatorState.path "${kept[0]}" lies outside job-1/chk-99/ (and job-1/taskowned/), where a private file of this checkpoint must be`,
    ]);
    await expectClean(job);
    for (const path of kept) expect(await exists(job, path), path).to.equal(true);
    await job.restartCoordinator('crash');
    expect(await job.read('a')).to.deep.equal({ k1: 1 });
  });

  it('declines at once the checkpoint a participant acknowledges with files of another checkpoint or job, and deletes none of them', async () => {
    job = await IncrementalJob.create(manualJob({ taskIds: ['a', 'b'] }));
    const { state, kept } = await aStateNamingFilesTheJobMustKeep();
    job.relay.held.add('a');
    job.relay.held.add('b');
    job.triggerCheckpoint();
    await job.settle();
    const { attemptId } = (await job.task('a'))!;
    job.send({ type: 'AcknowledgeCheckpoint', jobId: IncrementalJob.JOB_ID, taskId: asTaskId('a'), attemptId, checkpointId: asCheckpointId(2), state });
    await job.settle();
    const failed = job.events.find((event) => event.type === 'checkpoint-failed' && event.checkpointId === 2);
    expect(failed).to.deep.include({ reason: 'declined' });
    expect(failed?.type === 'checkpoint-failed' && failed.message).to.match(/^task a sent a malformed acknowledgement of checkpoint 2: .*lies outside job-1\/chk-2\//);
    job.relay.releaseAll();
    await expectClean(job);
    for (const path of kept) expect(await exists(job, path), path).to.equal(true);
  });

  it('keeps the files of a checkpoint that an acknowledgement from a stale attempt names, once that checkpoint completed', async () => {
    job = await IncrementalJob.create(manualJob());
    await job.startCoordinator();
    await job.put('a', 'k1', 1);
    job.relay.held.add('a');
    job.triggerCheckpoint();
    await job.settle();
    const legit = ackOf(job, 'a', 1);
    job.send({ ...legit, attemptId: 'a-stale-attempt' as never });
    await job.settle();
    job.release('a');
    const stats = await job.settle();
    expect(stats.latestCompleted?.checkpointId).to.equal(1);
    expect(stats.counts.discardedAcknowledgements).to.equal(1);
    await expectClean(job);
    for (const path of uploadsIn(legit)) expect(await exists(job, path), path).to.equal(true);
    await job.restartCoordinator('crash');
    expect(await job.read('a')).to.deep.equal({ k1: 1 });
  });
});

describe('data safety: discarding a completed checkpoint is crash-ordered', () => {
  let job: IncrementalJob;
  afterEach(async () => job?.dispose());

  async function twoCheckpointsWhereTheSecondReplacesTheFirstsUpload(): Promise<{ first: CompletedCheckpoint; second: CompletedCheckpoint }> {
    await job.startCoordinator();
    await job.put('a', 'k1', 1);
    const first = completed(await job.checkpoint());
    await job.put('a', 'k2', 2);
    const second = completed(await job.checkpoint());
    const ownFilesOfFirst = sharedFilesOf(first).filter((path) => !sharedFilesOf(second).includes(path));
    expect(ownFilesOfFirst, 'with maxSegments 1 every checkpoint uploads a new base').to.have.length(1);
    return { first, second };
  }

  it('removes the metadata of a subsumed checkpoint before any of its files', async () => {
    job = await IncrementalJob.create(manualJob({ maxSegments: 1 }));
    const { first } = await twoCheckpointsWhereTheSecondReplacesTheFirstsUpload();
    await expectClean(job);
    const deletions = job.storage.deletionLog.filter((line) => line.includes('chk-1') || sharedFilesOf(first).some((path) => line.endsWith(path)));
    expect(deletions[0]).to.equal('file job-1/chk-1/_metadata');
    expect(deletions.length).to.be.greaterThan(1);
  });

  it('leaves a checkpoint whose discard a crash interrupted either whole or without metadata, so recovery with a larger retained count succeeds', async () => {
    job = await IncrementalJob.create(manualJob({ maxSegments: 1 }));
    await job.startCoordinator();
    await job.put('a', 'k1', 1);
    const first = completed(await job.checkpoint());
    job.storage.stallDeletions();
    await job.put('a', 'k2', 2);
    const second = completed(await job.checkpoint());
    await job.settle();
    expect(job.storage.resumeOldestDeletion()).to.equal(true);
    await job.settle();
    await job.restartCoordinator('crash', { retained: 2 });
    const recovered = job.setup.store.getAllCheckpoints().map((checkpoint) => checkpoint.checkpointId);
    expect(recovered).to.include(second.checkpointId);
    if (recovered.includes(first.checkpointId)) {
      for (const path of sharedFilesOf(first)) expect(await exists(job, path), path).to.equal(true);
    }
    await expectClean(job);
    expect(await job.read('a')).to.deep.equal({ k1: 1, k2: 2 });
  });
});
